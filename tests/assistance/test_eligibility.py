"""Eligibility rules on hand-worked households, one per rule and boundary. 低保标准 800 元/人·月
(so 1.5× = 1,200 元) throughout."""

from __future__ import annotations

import ast
from decimal import Decimal
from pathlib import Path

from minsheng.assistance import eligibility as el
from minsheng.assistance.eligibility import Household, Member, Standards, assess

S = Standards(dibao=Decimal("800"), edge_multiplier=Decimal("1.5"))
D = Decimal


def verdicts(h: Household) -> dict[str, str]:
    return {r.programme: r.verdict for r in assess(h, S)}


def by(h: Household, programme: str) -> el.Result:
    return next(r for r in assess(h, S) if r.programme == programme)


def adults(total: str, n: int = 2) -> Household:
    """n working-age adults, the whole income on the first."""
    members = [Member(f"成员{i}", 40, monthly_income=D(total) if i == 0 else D(0))
               for i in range(n)]
    return Household("H", tuple(members))


def test_the_module_imports_no_django():
    tree = ast.parse(Path(el.__file__).read_text(encoding="utf-8"))
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not any(x.split(".")[0] in ("django", "minsheng") for x in names)


def test_a_household_one_fen_below_the_standard_gets_dibao_not_edge():
    h = adults("1599.98")  # 799.99 per person
    assert verdicts(h)[el.DIBAO] == el.ELIGIBLE
    assert verdicts(h)[el.EDGE] == el.INELIGIBLE
    assert "799.99" in by(h, el.DIBAO).rule
    assert "社会救助暂行办法" in by(h, el.DIBAO).source


def test_a_household_exactly_at_the_standard_is_not_dibao_but_edge():
    h = adults("1600")  # exactly 800 per person: not *below* the standard
    assert verdicts(h)[el.DIBAO] == el.INELIGIBLE
    assert verdicts(h)[el.EDGE] == el.ELIGIBLE


def test_rounding_never_makes_a_household_at_the_standard_look_below_it():
    # three people, 2399.99: 799.9966… rounds to 800.00 for display, but is below the standard
    h = adults("2399.99", n=3)
    assert el.per_capita_income(h) == D("800.00")
    assert verdicts(h)[el.DIBAO] == el.ELIGIBLE


def test_the_edge_includes_exactly_one_and_a_half_times_the_standard():
    assert verdicts(adults("2400"))[el.EDGE] == el.ELIGIBLE  # 1,200.00 per person
    assert verdicts(adults("2400.02"))[el.EDGE] == el.INELIGIBLE  # 1,200.01
    assert "1200.00" in by(adults("2400.02"), el.EDGE).rule


def test_property_outside_the_rules_bars_dibao_and_edge():
    h = Household("H", adults("0").members, assets_within_rules=False)
    assert verdicts(h)[el.DIBAO] == el.INELIGIBLE
    assert verdicts(h)[el.EDGE] == el.INELIGIBLE


def test_tekun_an_old_man_alone_without_supporter_qualifies_at_home():
    h = Household("H", (Member("老张", 72, labour="none", monthly_income=D("300")),))
    r = by(h, el.TEKUN)
    assert r.verdict == el.ELIGIBLE and r.members == ("老张",)
    assert "分散供养" in r.rule and "特困人员认定办法" in r.source


def test_tekun_one_who_cannot_look_after_himself_is_offered_institutional_care():
    h = Household("H", (Member("老张", 85, monthly_income=D("0"), self_care=False),))
    assert "集中供养" in by(h, el.TEKUN).rule


def test_tekun_a_supporter_able_to_support_bars_it():
    h = Household("H", (Member("老张", 72, monthly_income=D("300"), has_able_supporter=True),))
    r = by(h, el.TEKUN)
    assert r.verdict == el.INELIGIBLE
    assert "法定义务人" in r.rule


def test_tekun_own_income_at_the_standard_is_a_livelihood():
    h = Household("H", (Member("老张", 72, monthly_income=D("800")),))
    assert by(h, el.TEKUN).verdict == el.INELIGIBLE


def test_tekun_a_working_age_adult_is_not_in_its_categories():
    h = Household("H", (Member("小李", 35, labour="none", monthly_income=D("0")),))
    assert by(h, el.TEKUN).verdict == el.INELIGIBLE
    # … but a grade-1 disabled adult is
    h = Household("H", (Member("小李", 35, disability_grade="1", monthly_income=D("0")),))
    assert by(h, el.TEKUN).verdict == el.ELIGIBLE
    # a grade-3 disability with the ability to work is not
    h = Household("H", (Member("小李", 35, disability_grade="3", monthly_income=D("0")),))
    assert by(h, el.TEKUN).verdict == el.INELIGIBLE


def test_an_orphan_who_also_qualifies_for_tekun_goes_to_the_orphan_programme():
    child = Member("小明", 10, monthly_income=D("0"), parents_deceased_or_missing=True)
    h = Household("H", (child,))
    assert verdicts(h)[el.ORPHAN] == el.ELIGIBLE
    r = by(h, el.TEKUN)
    assert r.verdict == el.INELIGIBLE and "孤儿" in r.rule


def test_an_orphan_beside_a_tekun_grandmother_both_counted_each_in_their_programme():
    h = Household("H", (Member("奶奶", 70, monthly_income=D("200")),
                        Member("小明", 10, parents_deceased_or_missing=True)))
    assert by(h, el.TEKUN).members == ("奶奶",)
    assert by(h, el.ORPHAN).members == ("小明",)
    assert "小明 按孤儿保障" in by(h, el.TEKUN).rule


def test_an_orphan_is_under_eighteen():
    h = Household("H", (Member("小明", 18, parents_deceased_or_missing=True),))
    assert verdicts(h)[el.ORPHAN] == el.INELIGIBLE


def test_temporary_an_emergency_always_needs_a_caseworker():
    h = Household("H", adults("5000").members, emergency="火灾")
    r = by(h, el.TEMPORARY)
    assert r.verdict == el.MANUAL and "急难型" in r.rule and "火灾" in r.rule


def test_temporary_spending_that_brings_income_below_the_standard_needs_a_caseworker():
    # 2,000 a month for two, 12,000 a year on medical bills: 1,000 net, 500 per person
    h = Household("H", adults("2000").members, rigid_spending_yearly=D("12000"))
    assert verdicts(h)[el.TEMPORARY] == el.MANUAL
    assert verdicts(Household("H", adults("2000").members))[el.TEMPORARY] == el.INELIGIBLE
    # spending that leaves the household exactly at the standard: not in need
    h = Household("H", adults("2000").members, rigid_spending_yearly=D("4800"))
    assert verdicts(h)[el.TEMPORARY] == el.INELIGIBLE


def test_every_result_names_its_rule_and_source_in_programme_order():
    results = assess(adults("100"), S)
    assert [r.programme for r in results] == list(el.PROGRAMMES)
    assert all(r.rule and r.source for r in results)
