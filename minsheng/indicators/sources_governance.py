"""Governance's data elements, from governance's records, by the region code each carries.

- *rectification_tasks*: problems of the rectification lists whose deadline falls in the period
  (by the list's issuing region); *rectification_done*: of those, verified complete (整改完成率 =
  done ÷ tasks, the same rule as governance/rectification.py's completion).
- *property_graded* and *property_grade_<band>*: the property companies' scorecards of exactly
  this period (a year's or a quarter's), by the company's region, counted by grade (优秀, 良好,
  合格, 不合格); a company without a grade (样本不足 everywhere) is not graded. Published or not:
  the dashboard is for the district, the public page shows only published ones.
- *gov_party_branches*, *gov_full_time_cadres* (of those, with a full-time cadre sent down),
  *gov_secretary_heads_elected* (a party secretary heading the committee, elected — election date
  set — and approved by the street), *gov_property_managers*: the governance registry's rows valid
  on the period's last day (or today, for the running period), by the compound's region. Only
  compounds with registry rows carry these facts (places.Compound has no field for them).
- *takeover_items_due*: takeover standard items whose deadline falls in the period;
  *takeover_items_on_time*: of those, passed inspection and reported done by the deadline.

Missing is not zero (sources.py's `covers`): a source has data for a district and period only when
the district kept those records by then — a rectification list imported before the period's end
or a problem due before it; a scorecard of exactly this period (a quarterly scheme has no yearly
grades); a registry change dated before the period's end (before the first, the registry holds
only the state copied from the compound, without branches, cadres or managers); a takeover started
before the period's end. Otherwise the elements get no value and the pages read "—".
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce

from minsheng.cases.stats import aware
from minsheng.governance.models import (
    GovernanceRecord,
    Scorecard,
    Takeover,
    TakeoverItem,
    Task,
    TaskList,
)
from minsheng.indicators.periods import Period
from minsheng.indicators.sources import Row, _rows, source, stock_day

GRADES = {"优秀": "property_grade_excellent", "良好": "property_grade_good",
          "合格": "property_grade_pass", "不合格": "property_grade_fail"}


def _district(prefix: str) -> str:
    return prefix[:6]


def _lists_kept(prefix: str, period: Period) -> bool:
    d = _district(prefix)
    return TaskList.objects.filter(region__code__startswith=d,
                                   created_at__lt=aware(period.end)).exists() \
        or Task.objects.filter(task_list__region__code__startswith=d,
                               deadline__lt=period.end).exists()


def _scored(prefix: str, period: Period) -> bool:
    d = _district(prefix)
    return Scorecard.objects.filter(Q(scheme__region__code__startswith=d)
                                    | Q(company__region__code__startswith=d),
                                    period=period.id).exists()


def _registry_kept(prefix: str, period: Period) -> bool:
    return GovernanceRecord.objects.filter(compound__region__code__startswith=_district(prefix),
                                           valid_from__lt=period.end).exists()


def _takeovers_started(prefix: str, period: Period) -> bool:
    return Takeover.objects.filter(region__code__startswith=_district(prefix),
                                   started_on__lt=period.end).exists()


@source("rectification", ("rectification_tasks", "rectification_done"), covers=_lists_kept)
def rectification(prefix: str, period: Period) -> Iterable[Row]:
    qs = (Task.objects.filter(task_list__region__code__startswith=prefix,
                              deadline__gte=period.start, deadline__lt=period.end)
          .order_by().values("task_list__region_id")
          .annotate(n=Count("pk"), done=Count("pk", filter=Q(state=Task.State.VERIFIED))))
    yield from _rows(qs, "task_list__region_id", {"rectification_tasks": "n",
                                                  "rectification_done": "done"})


@source("property_grades", ("property_graded", *GRADES.values()), covers=_scored)
def property_grades(prefix: str, period: Period) -> Iterable[Row]:
    qs = (Scorecard.objects.filter(company__region__code__startswith=prefix, period=period.id)
          .exclude(grade="").order_by().values("company__region_id")
          .annotate(n=Count("pk"), **{f"g{k}": Count("pk", filter=Q(grade=g))
                                      for k, g in enumerate(GRADES)}))
    yield from _rows(qs, "company__region_id", {
        "property_graded": "n", **{e: f"g{k}" for k, e in enumerate(GRADES.values())}})


@source("governance_registry", ("gov_party_branches", "gov_full_time_cadres",
                                "gov_secretary_heads_elected", "gov_property_managers"),
        stock=True, covers=_registry_kept)
def governance_registry(prefix: str, period: Period) -> Iterable[Row]:
    day = stock_day(period)
    valid = ((Q(valid_from__isnull=True) | Q(valid_from__lte=day))
             & (Q(valid_to__isnull=True) | Q(valid_to__gt=day)))
    qs = (GovernanceRecord.objects.filter(valid, compound__region__code__startswith=prefix)
          .order_by().values("compound__region_id")
          .annotate(branches=Count("pk", filter=Q(has_party_branch=True)),
                    cadres=Count("pk", filter=Q(has_party_branch=True, cadre_full_time=True)),
                    elected=Count("pk", filter=Q(head_is_party_secretary=True,
                                                 election_date__isnull=False,
                                                 street_approved=True)),
                    managers=Coalesce(Sum("property_managers"), 0)))
    yield from _rows(qs, "compound__region_id", {
        "gov_party_branches": "branches", "gov_full_time_cadres": "cadres",
        "gov_secretary_heads_elected": "elected", "gov_property_managers": "managers"})


@source("takeovers", ("takeover_items_due", "takeover_items_on_time"),
        covers=_takeovers_started)
def takeovers(prefix: str, period: Period) -> Iterable[Row]:
    qs = (TakeoverItem.objects.filter(compound__region__code__startswith=prefix,
                                      deadline__gte=period.start, deadline__lt=period.end)
          .order_by().values("compound__region_id")
          .annotate(n=Count("pk"), on_time=Count("pk", filter=Q(
              state=TakeoverItem.State.PASSED, done_on__lte=F("deadline")))))
    yield from _rows(qs, "compound__region_id", {"takeover_items_due": "n",
                                                 "takeover_items_on_time": "on_time"})
