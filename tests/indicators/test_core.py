"""The indicator engine: periods, formulas, the SQL computation rolled up the region tree, manual
values, targets and the catalogue. Figures are checked against the hand-counted cases of
tests/cases/test_stats.py (2030, far from the demo's year) and against independent ORM counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django_q.models import Schedule

from minsheng.cases.models import Case, IncidentCount
from minsheng.indicators import formula, jobs, services
from minsheng.indicators.catalogue import catalogue
from minsheng.indicators.models import (
    DataElement,
    DataSet,
    DataValue,
    Indicator,
    Target,
)
from minsheng.indicators.periods import Period, PeriodError, parse
from minsheng.indicators.sources import SOURCES
from minsheng.places.models import Compound, Region
from minsheng.projects.models import ExpenditureLine
from minsheng.web.jobs import ensure_schedules
from tests.cases.test_stats import world  # noqa: F401  (the fixture)

D = "131002000000"

# --- periods and formulas (pure) ---------------------------------------------------------------


def test_periods_parse_bounds_and_neighbours():
    q = parse("2024Q1")
    assert (q.start, q.end, q.days) == (dt.date(2024, 1, 1), dt.date(2024, 4, 1), 91)
    assert q.previous().id == "2023Q4" and parse("2025-01").previous().id == "2024-12"
    assert parse("2025-12").end == dt.date(2026, 1, 1)
    assert parse(2025).label == "2025年" and parse("2025Q3").label == "2025年第3季度"
    assert [p.id for p in parse("2025Q2").sub_periods("month")] == ["2025-04", "2025-05",
                                                                     "2025-06"]
    assert len(parse("2024").sub_periods("quarter")) == 4
    assert abs(parse("2025-02").fraction_of_year - 28 / 365) < 1e-9
    for bad in ("2025Q5", "2025-13", "25", "二〇二五", "1800"):
        with pytest.raises(PeriodError):
            parse(bad)
    with pytest.raises(PeriodError):
        parse("2025-03").sub_periods("year")


def test_formula_evaluates_safely():
    v = {"a": Decimal(3), "b": Decimal(4), "z": Decimal(0)}
    assert formula.evaluate("(a + b) * 2 - 1", v) == 13
    assert formula.evaluate("a / b", v) == Decimal("0.75")
    assert formula.evaluate("a / z", v) is None  # no division by zero error, just no value
    assert formula.evaluate("a + missing", v) is None
    assert formula.evaluate("a / DAYS", v, days=3) == 1
    assert formula.names("a + b / DAYS") == {"a", "b"}
    for bad in ("__import__('os')", "a.b", "a if b else z", "a < b", "'x'", "", "a +"):
        with pytest.raises(formula.FormulaError):
            formula.evaluate(bad, v)


# --- the catalogue -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_catalogue_is_loaded_and_consistent():
    data = catalogue()
    assert Indicator.objects.count() == len(data["indicators"])
    assert DataElement.objects.count() == len(data["elements"])
    produced = {e for _fn, elements, _stock in SOURCES.values() for e in elements}
    elements = {e.code: e for e in DataElement.objects.all()}
    for code, el in elements.items():
        if el.source == "computed":
            assert code in produced, f"{code} is computed but no source yields it"
        else:
            assert el.dataset_id, f"manual element {code} has no data set"
    for ind in Indicator.objects.all():
        assert ind.element_codes() <= set(elements), ind.code
        assert ind.definition and ind.owner, ind.code
        ind.full_clean()  # formulas parse and name existing elements


@pytest.mark.django_db
def test_indicator_formula_naming_unknown_element_is_refused():
    ind = Indicator.objects.get(code="cases_on_time_rate")
    ind.numerator = "cases_on_time + no_such_element"
    with pytest.raises(Exception, match="no_such_element"):
        ind.full_clean()


# --- computation from records ------------------------------------------------------------------


@pytest.mark.django_db
def test_case_indicators_match_the_hand_counted_cases(world):  # noqa: F811
    services.compute(D, "2030")
    s1, s2 = world["s1"].code, world["s2"].code
    got = services.evaluate([D, s1, s2], "2030", with_previous=False)
    # street 1: tests/cases/test_stats.py counts these by hand
    assert got[s1]["cases_received"].value == 12
    assert got[s1]["cases_on_time_rate"].value == Decimal("75.0")  # 3 of 4 resolved
    assert got[s1]["cases_avg_hours"].value == Decimal("33.0")
    assert got[s1]["cases_satisfaction"].value == Decimal("3.25")
    assert got[s1]["disputes_mediated"].value == 2
    assert got[s1]["mediation_success_rate"].value == Decimal("50.0")
    assert got[s1]["recon_accepted"].value == 3
    assert got[s1]["recon_concluded"].value == 2
    assert got[s1]["recon_corrected"].value == 1 and got[s1]["recon_settled"].value == 1
    assert got[s1]["recon_amount_recovered"].value == Decimal("215.0")  # 万元
    assert got[s1]["legal_aid_consultations"].value == 1
    assert got[s1]["hazards_found"].value == 1
    assert got[s1]["enterprises_interviewed"].value == 1
    assert got[s2]["cases_received"].value == 1
    # the district is the sum of its parts, and equals an independent count of the records
    independent = Case.objects.filter(region__code__startswith="131002",
                                      created_at__year=2030).count()
    assert got[D]["cases_received"].value == independent == 13
    # a community is counted too (the compound's community)
    comm = Compound.objects.get(pk=world["k"].compound_id).region_id
    assert services.evaluate([comm], "2030", with_previous=False)[comm][
        "cases_received"].value >= 1


@pytest.mark.django_db
def test_quarter_and_month_values_and_previous_period(world):  # noqa: F811
    for p in ("2030Q1", "2030-02", "2030-03", "2029Q4"):
        services.compute(D, p)
    q1 = services.evaluate([D], "2030Q1")[D]["cases_received"]
    assert q1.value == 13 and q1.previous == 0 and q1.change == 13
    assert services.evaluate([D], "2030-02")[D]["cases_received"].value == 1  # L
    assert services.evaluate([D], "2030-03")[D]["cases_received"].value == 12


@pytest.mark.django_db
def test_recompute_replaces_values_and_stamps_as_of(world):  # noqa: F811
    stamp = dt.datetime(2031, 1, 5, 9, tzinfo=dt.UTC)
    services.compute(D, "2030", now=stamp)
    assert services.as_of(D, Period(2030)) == stamp
    Case.objects.filter(pk=world["e"].pk).delete()
    services.compute(D, "2030")
    assert services.evaluate([D], "2030")[D]["cases_received"].value == 12
    assert DataValue.objects.filter(region_id=D, period="2030",
                                    element_id="cases_received").count() == 1


@pytest.mark.django_db
def test_stock_values_of_a_closed_period_are_kept():
    with time_machine.travel(dt.datetime(2024, 6, 1, 12, tzinfo=dt.UTC), tick=False):
        services.compute(D, "2024Q1")  # Q1 is over on 1 June: its stock is fixed when computed
        services.compute(D, "2024")
    before = services.evaluate([D], "2024Q1")[D]["compounds_total"].value
    # a compound without police-incident returns (those keep their compounds: PROTECT)
    Compound.objects.filter(region__code__startswith="131002").exclude(
        pk__in=IncidentCount.objects.values("compound_id")).order_by("pk").first().delete()
    with time_machine.travel(dt.datetime(2024, 7, 1, 12, tzinfo=dt.UTC), tick=False):
        services.compute(D, "2024Q1")
        services.compute(D, "2024")
    assert services.evaluate([D], "2024Q1")[D]["compounds_total"].value == before
    assert services.evaluate([D], "2024")[D]["compounds_total"].value == before - 1


@pytest.mark.django_db
def test_compound_coverage_matches_the_registry():
    services.compute(D, "2030")
    qs = Compound.objects.filter(region__code__startswith="131002")
    got = services.evaluate([D], "2030")[D]
    expected = round(Decimal(100) * qs.exclude(property_status="none").count() / qs.count(), 1)
    assert got["management_coverage"].value == expected
    assert got["compounds_total"].value == qs.count()


# --- manual values, roll-up, targets -----------------------------------------------------------


@pytest.fixture
def street_set(db):
    """A street-level yearly data set: one summed element, one averaged."""
    ds = DataSet.objects.create(code="t_street", name="测试", level="street")
    DataElement.objects.create(code="t_count", name="计数", source="manual", dataset=ds)
    DataElement.objects.create(code="t_level", name="水平", source="manual", dataset=ds,
                               aggregation="average", value_type="number")
    Indicator.objects.create(code="t_count", name="计数", section="safety", kind="count",
                             numerator="t_count", owner="x", definition="x")
    Indicator.objects.create(code="t_level", name="水平", section="safety", kind="value",
                             numerator="t_level", decimals=1, owner="x", definition="x",
                             higher_is_better=False)
    return ds


def _put(code: str, region: str, period: str, value, approved=True) -> None:
    DataValue.objects.create(element_id=code, region_id=region, period=period,
                             value=Decimal(str(value)), approved=approved)


def test_manual_values_roll_up_by_code_prefix(street_set):
    s = list(Region.objects.filter(parent_id=D).order_by("code")[:3])
    _put("t_count", s[0].code, "2030", 5)
    _put("t_count", s[1].code, "2030", 7)
    _put("t_count", s[2].code, "2030", 100, approved=False)  # not approved: does not count
    _put("t_level", s[0].code, "2030", 10)
    _put("t_level", s[1].code, "2030", 20)
    inds = Indicator.objects.filter(code__in=["t_count", "t_level"])
    got = services.evaluate([D, s[0].code, s[2].code], "2030", indicators=inds)
    assert got[D]["t_count"].value == 12
    assert got[D]["t_level"].value == Decimal("15.0")
    assert got[s[0].code]["t_count"].value == 5
    assert got[s[2].code]["t_count"].value is None  # nothing approved there
    # another district's values never leak in
    other = Region.objects.filter(code__startswith="140213", level="street").first()
    _put("t_count", other.code, "2030", 1000)
    assert services.evaluate([D], "2030", indicators=inds)[D]["t_count"].value == 12


def test_targets_are_prorated_for_counts_only(street_set):
    s = Region.objects.filter(parent_id=D).order_by("code").first()
    inds = Indicator.objects.filter(code__in=["t_count", "t_level"])
    Target.objects.create(indicator_id="t_count", region_id=D, year=2030, value=365)
    Target.objects.create(indicator_id="t_level", region_id=D, year=2030, value=12)
    _put("t_count", s.code, "2030Q1", 80)
    _put("t_level", s.code, "2030Q1", 14)
    # yearly elements have no quarterly value of their own; targets still prorate
    q = services.evaluate([D], "2030Q1", indicators=inds)[D]
    assert q["t_count"].target == 90  # 365 × 90/365
    assert q["t_level"].target == 12
    y = services.evaluate([D], "2030", indicators=inds)[D]
    assert y["t_count"].target == 365
    _put("t_level", s.code, "2030", 14)
    y = services.evaluate([D], "2030", indicators=inds)[D]
    assert y["t_level"].on_target is False  # lower is better: 14 > 12


@pytest.mark.django_db
def test_spending_share_and_growth_from_budget_lines():
    ExpenditureLine.objects.filter(region_id=D, year__in=(2029, 2030)).delete()
    for year, edu, other in ((2029, 80, 20), (2030, 90, 30)):
        ExpenditureLine.objects.create(region_id=D, year=year, code="205",
                                       amount=Decimal(edu) * 10**6)
        ExpenditureLine.objects.create(region_id=D, year=year, code="201",
                                       amount=Decimal(other) * 10**6)
    services.compute(D, "2029")
    services.compute(D, "2030")
    got = services.evaluate([D], "2030")[D]
    assert got["livelihood_spending"].value == Decimal("0.90")  # 亿元
    assert got["livelihood_share"].value == Decimal("75.00")
    assert got["livelihood_growth"].value == Decimal("12.50")


@pytest.mark.django_db
def test_the_refresh_job_computes_current_periods_and_is_scheduled():
    with time_machine.travel(dt.datetime(2030, 5, 20, 12, tzinfo=dt.UTC), tick=False):
        assert jobs.refresh() > 0
    for p in ("2030", "2030Q2", "2030-05"):
        assert services.as_of(D, parse(p)) is not None, p
    ensure_schedules()
    ensure_schedules()
    assert Schedule.objects.filter(name="indicators", func="minsheng.web.jobs.run",
                                   args="'indicators'").count() == 1


@pytest.mark.django_db
def test_a_street_without_records_reads_zero_and_yearly_spending_has_no_quarter(world):  # noqa: F811
    services.compute(D, "2030Q1")
    quiet = Region.objects.filter(parent_id=D).exclude(
        code__in=[world["s1"].code, world["s2"].code]).order_by("code").first()
    got = services.evaluate([quiet.code, D], "2030Q1", with_previous=False)
    assert got[quiet.code]["cases_received"].value == 0
    assert got[D]["livelihood_spending"].value is None  # budget lines are yearly
    # a period never computed is "no data", not zero
    assert services.evaluate([D], "2031Q1", with_previous=False)[D][
        "cases_received"].value is None
