"""Governance's data elements, from governance's records, by the region code each carries.

- *rectification_tasks*: problems of the rectification lists whose deadline falls in the period
  (by the list's issuing region); *rectification_done*: of those, verified complete (整改完成率 =
  done ÷ tasks, the same rule as governance/rectification.py's completion).
- *property_graded* and *property_grade_<band>*: the property companies' scorecards of exactly
  this period (a year's or a quarter's), by the company's region, counted by grade (优秀, 良好,
  合格, 不合格); a company without a grade (样本不足 everywhere) is not graded. Published or not:
  the dashboard is for the district, the public page shows only published ones.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, Q

from minsheng.governance.models import Scorecard, Task
from minsheng.indicators.periods import Period
from minsheng.indicators.sources import Row, _rows, source

GRADES = {"优秀": "property_grade_excellent", "良好": "property_grade_good",
          "合格": "property_grade_pass", "不合格": "property_grade_fail"}


@source("rectification", ("rectification_tasks", "rectification_done"))
def rectification(prefix: str, period: Period) -> Iterable[Row]:
    qs = (Task.objects.filter(task_list__region__code__startswith=prefix,
                              deadline__gte=period.start, deadline__lt=period.end)
          .order_by().values("task_list__region_id")
          .annotate(n=Count("pk"), done=Count("pk", filter=Q(state=Task.State.VERIFIED))))
    yield from _rows(qs, "task_list__region_id", {"rectification_tasks": "n",
                                                  "rectification_done": "done"})


@source("property_grades", ("property_graded", *GRADES.values()))
def property_grades(prefix: str, period: Period) -> Iterable[Row]:
    qs = (Scorecard.objects.filter(company__region__code__startswith=prefix, period=period.id)
          .exclude(grade="").order_by().values("company__region_id")
          .annotate(n=Count("pk"), **{f"g{k}": Count("pk", filter=Q(grade=g))
                                      for k, g in enumerate(GRADES)}))
    yield from _rows(qs, "company__region_id", {
        "property_graded": "n", **{e: f"g{k}" for k, e in enumerate(GRADES.values())}})
