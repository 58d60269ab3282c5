"""Planned against actual progress and money at any date, and the flags derived from them.

Pure functions over plain values (no Django), so they are tested by hand-checked cases:
- planned % at a date: 0 at the start date, then the cumulative milestone weights (scaled to sum to
  100) at their planned dates, linear in between, 100 after the last milestone;
- actual % at a date: the latest APPROVED report on or before it (0 when none);
- lag = planned − actual, in percentage points; flags from configurable thresholds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

LAGGING_POINTS = Decimal(10)  # lag at or above this is "lagging"
AT_RISK_POINTS = Decimal(20)  # lag at or above this, or lagging within the last 30 days, "at risk"
AT_RISK_DAYS = 30


@dataclass(frozen=True)
class MilestonePoint:
    date: dt.date
    weight: Decimal


@dataclass(frozen=True)
class ReportPoint:
    date: dt.date
    percent: Decimal
    spent: Decimal


FLAG_LABELS = {
    "not_started": "未开始",
    "on_track": "正常",
    "lagging": "滞后",
    "at_risk": "严重滞后",
    "overdue": "逾期未完成",
    "completed": "已完成",
    "cancelled": "已终止",
}
FLAG_ORDER = ["overdue", "at_risk", "lagging", "on_track", "not_started", "completed", "cancelled"]


def planned_percent(start: dt.date, milestones: list[MilestonePoint], at: dt.date) -> Decimal:
    if at <= start or not milestones:
        return Decimal(0)
    total = sum((m.weight for m in milestones), Decimal(0))
    points = [(start, Decimal(0))]
    cum = Decimal(0)
    for m in sorted(milestones, key=lambda m: m.date):
        cum += m.weight
        points.append((max(m.date, start), cum * 100 / total))
    for (d0, p0), (d1, p1) in zip(points, points[1:], strict=False):
        if at <= d1:
            span = (d1 - d0).days
            if span <= 0:
                return p1
            return p0 + (p1 - p0) * Decimal((at - d0).days) / Decimal(span)
    return Decimal(100)


def actual_at(reports: list[ReportPoint], at: dt.date) -> ReportPoint | None:
    """The latest approved report on or before `at` (reports are approved ones only)."""
    best = None
    for r in reports:
        if r.date <= at and (best is None or r.date >= best.date):
            best = r
    return best


@dataclass(frozen=True)
class Status:
    planned: Decimal
    actual: Decimal
    lag: Decimal
    spent: Decimal
    flag: str

    @property
    def label(self) -> str:
        return FLAG_LABELS[self.flag]


def status_at(*, start: dt.date, end: dt.date, milestones: list[MilestonePoint],
              reports: list[ReportPoint], at: dt.date, cancelled: bool = False) -> Status:
    planned = planned_percent(start, milestones, at).quantize(Decimal("0.1"))
    latest = actual_at(reports, at)
    actual = latest.percent if latest else Decimal(0)
    spent = latest.spent if latest else Decimal(0)
    lag = max(Decimal(0), planned - actual)
    if cancelled:
        flag = "cancelled"
    elif actual >= 100:
        flag = "completed"
    elif at > end:
        flag = "overdue"
    elif at < start:
        flag = "not_started"
    elif lag >= AT_RISK_POINTS or (lag >= LAGGING_POINTS and (end - at).days <= AT_RISK_DAYS):
        flag = "at_risk"
    elif lag >= LAGGING_POINTS:
        flag = "lagging"
    else:
        flag = "on_track"
    return Status(planned, actual, lag, spent, flag)


def curve(*, start: dt.date, end: dt.date, milestones: list[MilestonePoint],
          reports: list[ReportPoint], until: dt.date, step_days: int = 7) -> list[dict]:
    """Weekly planned and actual percent (and spent) for an S-curve, start..min(end, until)."""
    out = []
    d = start
    last = max(start, min(until, max(end, start)))
    while True:
        a = actual_at(reports, d)
        out.append({"date": d.isoformat(),
                    "planned": float(planned_percent(start, milestones, d)),
                    "actual": float(a.percent) if a else 0.0,
                    "spent": float(a.spent) if a else 0.0})
        if d >= last:
            break
        d = min(last, d + dt.timedelta(days=step_days))
    return out
