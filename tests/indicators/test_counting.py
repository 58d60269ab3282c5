"""Figures that count the right thing (issue 12 §1): a duplicate merged into another case is not
counted twice, and hazards found and hazards fixed (排查整治: found and put right) are two
elements, with the report saying which is which. Cases of 2030 (tests/cases/test_stats.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

import minsheng.reports
from minsheng.cases import stats, workflow
from minsheng.indicators import services
from minsheng.indicators.models import Indicator
from tests.cases.test_stats import accept, at, compound_in, file, resolve, streets, world  # noqa: F401

pytestmark = pytest.mark.django_db

D = "131002000000"


def test_a_merged_duplicate_is_counted_once(world, user):  # noqa: F811
    boss = user("district")
    s1 = world["s1"]
    services.compute(D, "2030")
    before = services.evaluate([s1.code], "2030", with_previous=False)[s1.code]
    one = file("property_repair", at(5, 1), compound_in(s1, 0), "楼道灯坏了")
    dup = file("property_repair", at(5, 1, 10), compound_in(s1, 0), "楼道灯不亮")
    workflow.do_merge(boss, dup, one, "同一盏灯")
    services.compute(D, "2030")
    after = services.evaluate([s1.code], "2030", with_previous=False)[s1.code]
    assert after["cases_received"].value == before["cases_received"].value + 1
    figs = stats.case_figures(boss, at(1, 1).date(), at(12, 31).date(), s1.code[:9])
    assert figs["received"] == after["cases_received"].value


def test_hazards_found_and_fixed_are_two_elements(world, user):  # noqa: F811
    boss = user("district")
    s1 = world["s1"]
    open_hazard = file("safety_hazard", at(6, 1), compound_in(s1, 0), "消防通道堵塞")
    accept(boss, open_hazard, at(6, 1, 10))
    fixed_hazard = file("safety_hazard", at(6, 2), compound_in(s1, 0), "电动车楼道充电")
    accept(boss, fixed_hazard, at(6, 2, 10))
    resolve(boss, fixed_hazard, at(6, 3))
    services.compute(D, "2030")
    got = services.evaluate([s1.code], "2030", with_previous=False)[s1.code]
    # the world's hazard D (resolved) and these two: 3 found, 2 fixed
    assert got["hazards_found"].value == 3
    assert got["hazards_fixed"].value == 2
    assert "整治" not in Indicator.objects.get(code="hazards_found").name
    assert Indicator.objects.get(code="hazards_fixed").name == "排查整治安全隐患"
    figs = stats.case_figures(boss, at(1, 1).date(), at(12, 31).date(), s1.code[:9])
    assert (figs["hazards_found"], figs["hazards_fixed"]) == (3, 2)


def test_the_report_says_found_and_fixed_apart():
    text = (Path(minsheng.reports.__file__).parent / "templates" / "reports" / "annual.md"
            ).read_text(encoding="utf-8")
    assert "排查整治安全隐患{{ v.hazards_found }}" not in text
    assert "排查发现安全隐患{{ v.hazards_found }}" in text and "{{ v.hazards_fixed }}" in text
