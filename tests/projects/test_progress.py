"""Planned against actual progress, by hand-checked cases."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from minsheng.projects.progress import (
    MilestonePoint,
    ReportPoint,
    curve,
    planned_percent,
    status_at,
)

START, END = dt.date(2026, 1, 1), dt.date(2026, 12, 31)
# 20% by 1 March, 50% (cumulative) by 1 July, 100% by 31 December
MS = [MilestonePoint(dt.date(2026, 3, 1), D(20)), MilestonePoint(dt.date(2026, 7, 1), D(30)),
      MilestonePoint(dt.date(2026, 12, 31), D(50))]


def test_planned_is_linear_between_milestones():
    assert planned_percent(START, MS, dt.date(2025, 12, 1)) == 0
    assert planned_percent(START, MS, dt.date(2026, 3, 1)) == 20
    assert planned_percent(START, MS, dt.date(2026, 7, 1)) == 50
    # 1 May is 61 of the 122 days between 1 March and 1 July: 20 + 30 * 61/122 = 35
    assert planned_percent(START, MS, dt.date(2026, 5, 1)) == 35
    assert planned_percent(START, MS, dt.date(2027, 1, 5)) == 100


def test_weights_not_summing_to_100_are_scaled():
    ms = [MilestonePoint(dt.date(2026, 7, 1), D(1)), MilestonePoint(END, D(1))]
    assert planned_percent(START, ms, dt.date(2026, 7, 1)) == 50


def test_only_reports_up_to_the_date_count():
    reps = [ReportPoint(dt.date(2026, 4, 30), D(30), D(100)),
            ReportPoint(dt.date(2026, 6, 30), D(40), D(200))]
    s = status_at(start=START, end=END, milestones=MS, reports=reps, at=dt.date(2026, 5, 1))
    assert (s.planned, s.actual, s.spent) == (D(35), D(30), D(100))
    assert s.flag == "on_track"


def test_flags():
    reps = [ReportPoint(dt.date(2026, 6, 30), D(30), D(0))]
    # 1 July: planned 50, actual 30 -> lag 20 -> at risk
    assert status_at(start=START, end=END, milestones=MS, reports=reps,
                     at=dt.date(2026, 7, 1)).flag == "at_risk"
    reps = [ReportPoint(dt.date(2026, 6, 30), D(38), D(0))]
    s = status_at(start=START, end=END, milestones=MS, reports=reps, at=dt.date(2026, 7, 1))
    assert (s.lag, s.flag) == (D(12), "lagging")
    # lagging by 10 points with less than 30 days left is at risk
    reps = [ReportPoint(dt.date(2026, 12, 10), D(85), D(0))]
    assert status_at(start=START, end=END, milestones=MS, reports=reps,
                     at=dt.date(2026, 12, 15)).flag == "at_risk"
    assert status_at(start=START, end=END, milestones=MS, reports=reps,
                     at=dt.date(2027, 1, 2)).flag == "overdue"
    done = [ReportPoint(dt.date(2026, 11, 1), D(100), D(0))]
    assert status_at(start=START, end=END, milestones=MS, reports=done,
                     at=dt.date(2027, 1, 2)).flag == "completed"
    assert status_at(start=START, end=END, milestones=MS, reports=[],
                     at=dt.date(2025, 12, 1)).flag == "not_started"
    assert status_at(start=START, end=END, milestones=MS, reports=[], at=dt.date(2026, 5, 1),
                     cancelled=True).flag == "cancelled"


def test_curve_runs_weekly_to_the_date():
    c = curve(start=START, end=END, milestones=MS, reports=[], until=dt.date(2026, 2, 1))
    assert c[0]["date"] == "2026-01-01" and c[-1]["date"] == "2026-02-01"
    assert all(a["planned"] <= b["planned"] for a, b in zip(c, c[1:], strict=False))
