"""relapse.py, the pure rules: thresholds in force, the workflow, the removal review."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from minsheng.assistance import relapse
from minsheng.assistance.relapse import ReviewInput, Threshold, review_removal

D = dt.date


def test_the_most_local_threshold_in_force_on_the_day():
    ts = [Threshold("131002000000", "monitoring_line", Decimal(7000), D(2025, 1, 1), D(2025, 12, 31)),
          Threshold("131002000000", "monitoring_line", Decimal(7500), D(2026, 1, 1)),
          Threshold("131002001000", "monitoring_line", Decimal(9000), D(2026, 6, 1)),
          Threshold("140213000000", "monitoring_line", Decimal(1), D(2020, 1, 1))]
    at = relapse.in_force
    assert at(ts, "monitoring_line", "131002001001", D(2025, 12, 31)).amount == 7000
    assert at(ts, "monitoring_line", "131002001001", D(2026, 1, 1)).amount == 7500
    assert at(ts, "monitoring_line", "131002001001", D(2026, 6, 1)).amount == 9000
    assert at(ts, "monitoring_line", "131002002001", D(2026, 6, 1)).amount == 7500
    assert at(ts, "monitoring_line", "131002001001", D(2024, 12, 31)) is None
    assert at(ts, "medical", "131002001001", D(2026, 6, 1)) is None


def test_an_amount_reaches_its_line_at_the_line():
    t = Threshold("131002000000", "medical", Decimal(10000), D(2025, 1, 1))
    assert relapse.reaches(Decimal("10000.00"), t)
    assert not relapse.reaches(Decimal("9999.99"), t)
    assert not relapse.reaches(None, t)
    assert not relapse.reaches(Decimal(99999), None)


def test_the_workflow_runs_in_order_only():
    state = relapse.HOME_CHECK
    seen = []
    while (s := relapse.next_step(state)) is not None:
        seen.append(s.code)
        state = relapse.step_for(state, s.code).target
    assert seen == ["home_check", "consent", "data_match", "village_review", "notice",
                    "town_review", "district_approval"]
    assert state == relapse.MONITORED
    with pytest.raises(relapse.StepError):
        relapse.step_for(relapse.HOME_CHECK, "district_approval")
    with pytest.raises(relapse.StepError):
        relapse.step_for(relapse.HOME_CHECK, "nonsense")
    assert relapse.can_dismiss(relapse.NOTICE)
    assert not relapse.can_dismiss(relapse.MONITORED)


@pytest.mark.parametrize(("start", "end", "months"), [
    (D(2026, 1, 31), D(2026, 7, 30), 5), (D(2026, 1, 31), D(2026, 7, 31), 6),
    (D(2026, 3, 1), D(2026, 2, 1), 0), (D(2025, 12, 15), D(2026, 6, 15), 6)])
def test_months_between(start, end, months):
    assert relapse.months_between(start, end) == months


def _review(**kw):
    base = {"identified_on": D(2026, 1, 1), "reviewed_on": D(2026, 7, 1), "measures": 1,
                "able_to_work": 1, "per_capita_income": Decimal(9000), "monitoring_line": Decimal(8000),
                "income_stable": True, "spending_resolved": True, "guarantees_secure": True,
                "risk_gone": True}
    return review_removal(ReviewInput(**{**base, **kw}))


def test_removal_passes_when_all_five_conditions_and_both_guards_hold():
    r = _review()
    assert r.passed and r.months_monitored == 6
    assert all(x.startswith("✓") for x in r.reasons) and len(r.reasons) == 8


@pytest.mark.parametrize(("change", "why"), [
    ({"reviewed_on": D(2026, 6, 30)}, "已监测 5 个月"),
    ({"measures": 0}, "帮扶措施 0 项"),
    ({"able_to_work": 0}, "无劳动能力"),
    ({"per_capita_income": Decimal(8000)}, "未高于"),
    ({"income_stable": False}, "收入持续稳定"),
    ({"spending_resolved": False}, "刚性支出"),
    ({"guarantees_secure": False}, "三保障"),
    ({"risk_gone": False}, "风险已稳定消除"),
])
def test_removal_fails_on_any_one_condition_or_guard_and_says_which(change, why):
    r = _review(**change)
    assert not r.passed
    failed = [x for x in r.reasons if x.startswith("✗")]
    assert len(failed) == 1 and why in failed[0]


def test_category_suggestion_and_fell_into_poverty():
    s = relapse.suggest_category
    assert s(was_registered_poor=True, per_capita_income=Decimal(6000),
             monitoring_line=Decimal(7000), sudden=False) == "unstable_exited"
    assert s(was_registered_poor=False, per_capita_income=Decimal(6000),
             monitoring_line=Decimal(7000), sudden=False) == "marginal"
    assert s(was_registered_poor=False, per_capita_income=Decimal(9000),
             monitoring_line=Decimal(7000), sudden=True) == "sudden_hardship"
    assert relapse.fell_into_poverty(Decimal(3999), Decimal(4000))
    assert not relapse.fell_into_poverty(Decimal(4000), Decimal(4000))
    assert not relapse.fell_into_poverty(None, Decimal(4000))
