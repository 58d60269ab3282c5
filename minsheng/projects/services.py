"""The figures pages and exports read about projects: status and lag at a date, money, S-curves,
the plan overview and the livelihood share. The writers are in actions.py."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

from django.db.models import Sum
from django.utils import timezone

from minsheng.projects import progress
from minsheng.projects.budget import BudgetLine, livelihood_share
from minsheng.projects.models import (
    ExpenditureLine,
    Plan,
    ProgressReport,
    Project,
)

STANDARD = Path(__file__).resolve().parent / "data" / "renovation_standard.json"


def today() -> dt.date:
    return timezone.localdate()


def _points(project: Project) -> tuple[list, list]:
    ms = [progress.MilestonePoint(m.planned_date, m.weight) for m in project.milestones.all()]
    if not ms:
        ms = [progress.MilestonePoint(project.end_date, Decimal(100))]
    reps = [progress.ReportPoint(r.as_of, r.percent, r.spent) for r in project.reports.all()
            if r.state == ProgressReport.State.APPROVED]
    return ms, reps


def status_of(project: Project, at: dt.date | None = None) -> progress.Status:
    """Planned vs approved actual progress and money at a date (today by default)."""
    ms, reps = _points(project)
    return progress.status_at(start=project.start_date, end=project.end_date, milestones=ms,
                              reports=reps, at=at or today(),
                              cancelled=project.status == Project.Status.CANCELLED)


def money_of(project: Project) -> dict[str, Decimal]:
    agg = project.funds.aggregate(planned=Sum("planned"), allocated=Sum("allocated"))
    return {"planned": agg["planned"] or Decimal(0), "allocated": agg["allocated"] or Decimal(0)}


def with_status(projects, at: dt.date | None = None) -> list[tuple[Project, progress.Status]]:
    """Projects with their status, milestones and reports prefetched (two queries, not 2n)."""
    qs = projects.prefetch_related("milestones", "reports", "funds")
    return [(p, status_of(p, at)) for p in qs]


def curve_of(project: Project, until: dt.date | None = None) -> list[dict]:
    ms, reps = _points(project)
    return progress.curve(start=project.start_date, end=project.end_date, milestones=ms,
                          reports=reps, until=until or today())


def plan_money_curve(projects, until: dt.date | None = None) -> list[dict]:
    """The whole plan's S-curve of money: planned spending (planned % × planned money) against
    approved cumulative spending, by week."""
    items = []
    start, end = None, None
    for p in projects.prefetch_related("milestones", "reports", "funds"):
        planned_money = sum((f.planned for f in p.funds.all()), Decimal(0))
        items.append((p, planned_money, *_points(p)))
        start = min(start or p.start_date, p.start_date)
        end = max(end or p.end_date, p.end_date)
    if not items:
        return []
    out = []
    d = start
    last = min(end, until or today()) if (until or today()) >= start else start
    while True:
        planned = Decimal(0)
        spent = Decimal(0)
        for p, money, ms, reps in items:
            planned += money * progress.planned_percent(p.start_date, ms, d) / 100
            a = progress.actual_at(reps, d)
            spent += a.spent if a else Decimal(0)
        out.append({"date": d.isoformat(), "planned": float(planned), "spent": float(spent)})
        if d >= last:
            break
        d = min(last, d + dt.timedelta(days=14))
    return out


def checklist_for(renovation_class: str) -> list[tuple[str, str]]:
    std = json.loads(STANDARD.read_text(encoding="utf-8"))
    tiers = std["classes"].get(renovation_class, [])
    return [(t, text) for t in tiers for text in std["tiers"][t]]




def share_for(region_code: str, year: int):
    """Livelihood share of a region-year from stored expenditure lines (the same function the
    `minsheng budget share` command uses on a file)."""
    lines = [BudgetLine(0, ln.code, ln.name, ln.amount) for ln in
             ExpenditureLine.objects.filter(region_id=region_code, year=year)]
    return livelihood_share(lines) if lines else None


def plans_overview(plan: Plan, at: dt.date | None = None) -> dict:
    rows = with_status(plan.projects.all(), at)
    counts: dict[str, int] = {}
    for _p, s in rows:
        counts[s.flag] = counts.get(s.flag, 0) + 1
    return {"rows": rows, "counts": counts}
