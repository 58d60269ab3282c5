"""Economic assessment (12-month window, configured exclusions, rigid spending, assets) and the
dated standards per region, through the registry and the household page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from minsheng.assistance import actions
from minsheng.assistance import eligibility as el
from minsheng.assistance.models import Household, IncomeExclusion, Person, Standard, Supporter
from minsheng.assistance.services import eligibility_of
from minsheng.assistance.standards import MissingStandard, exclusions_in_force, standards_for
from minsheng.places.models import Region

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = dt.datetime(2026, 6, 15, 12, tzinfo=dt.UTC)


@pytest.fixture
def comm1():
    return get_user_model().objects.get(username="community1").memberships.first().region


@pytest.fixture
def worker():
    return get_user_model().objects.get(username="community1")


@pytest.fixture
def standards(db):
    district = Region.objects.get(code="131002000000")
    Standard.objects.create(region=district, programme="dibao", area="urban",
                            valid_from=dt.date(2025, 1, 1), amount=D("700"), source="旧标准")
    Standard.objects.create(region=district, programme="dibao", area="urban",
                            valid_from=dt.date(2026, 1, 1), amount=D("800"), source="新标准")
    Standard.objects.create(region=district, programme="dibao", area="rural",
                            valid_from=dt.date(2026, 1, 1), amount=D("600"), source="新标准")
    IncomeExclusion.objects.create(region=district, kind="pension",
                                   valid_from=dt.date(2020, 1, 1), source="测试")
    IncomeExclusion.objects.create(region=district, kind="elderly_allowance",
                                   valid_from=dt.date(2020, 1, 1),
                                   valid_until=dt.date(2025, 12, 31), source="测试")


def household(region, number="A-1", members=(("户主", "1980-01-01"),)):
    h = Household.objects.create(number=number, region=region, area="urban")
    people = []
    for i, (name, born) in enumerate(members):
        people.append(Person.objects.create(
            household=h, region=region, relationship="head" if i == 0 else "other", name=name,
            id_number=f"1310021980010{i:04d}{len(number)}", birth_date=born))
    return h, people


def test_standards_the_latest_in_force_for_the_area(standards, comm1):
    assert standards_for(comm1.code, "urban", dt.date(2025, 6, 1)).dibao == D("700")
    assert standards_for(comm1.code, "urban", dt.date(2026, 1, 1)).dibao == D("800")
    assert standards_for(comm1.code, "rural", dt.date(2026, 6, 1)).dibao == D("600")
    assert standards_for("131002", "urban", dt.date(2026, 6, 1)).edge_multiplier == D("1.5")
    with pytest.raises(MissingStandard):
        standards_for(comm1.code, "rural", dt.date(2025, 6, 1))
    with pytest.raises(MissingStandard):
        standards_for("140213000000", "urban", dt.date(2026, 6, 1))


def test_a_street_standard_overrides_the_district(standards, comm1):
    street = comm1.parent
    Standard.objects.create(region=street, programme="dibao", area="both",
                            valid_from=dt.date(2026, 3, 1), amount=D("850"), source="街道")
    inside = comm1.code
    assert standards_for(inside, "urban", dt.date(2026, 6, 1)).dibao == D("850")
    assert standards_for(inside, "urban", dt.date(2026, 2, 1)).dibao == D("800")


def test_a_standard_needs_an_amount_or_a_multiplier(standards):
    with pytest.raises(IntegrityError), transaction.atomic():
        Standard.objects.create(region_id="131002000000", programme="edge",
                                valid_from=dt.date(2026, 1, 1), source="x")


def test_exclusions_are_dated(standards, comm1):
    assert exclusions_in_force(comm1.code, dt.date(2025, 6, 1)) == {"pension",
                                                                         "elderly_allowance"}
    assert exclusions_in_force(comm1.code, dt.date(2026, 6, 1)) == {"pension"}


@time_machine.travel(TODAY, tick=False)
def test_an_assessment_counts_income_over_the_window_without_the_exclusions(standards, comm1,
                                                                              worker):
    h, (head, other) = household(comm1, members=(("甲", "1980-01-01"), ("乙", "1982-01-01")))
    a = actions.do_record_assessment(
        worker, h, assessed_on=dt.date(2026, 6, 15), months=12,
        incomes=[(head, "wages", D("19200")), (None, "pension", D("24000")),
                 (None, "elderly_allowance", D("1200"))],
        spending=[("medical", D("6000"))])
    assert (a.window_start, a.window_end) == (dt.date(2025, 6, 16), dt.date(2026, 6, 15))
    assert a.income_total == D("44400")
    # pension excluded; 高龄津贴's exclusion ended in 2025 so it counts: (19,200 + 1,200) / 12 / 2
    assert a.income_counted == D("20400") and a.per_capita_monthly == D("850.00")
    assert set(a.incomes.filter(excluded=True).values_list("kind", flat=True)) == {"pension"}
    result = eligibility_of(h, dt.date(2026, 6, 15))
    verdicts = {r.programme: r.verdict for r in result.results}
    assert verdicts["低保"] == "不符合" and verdicts["低保边缘"] == "符合"
    # 6,000 a year is 500 a month: 1,700 − 500 = 1,200 for two, 600 < 800: spending-type
    assert verdicts["临时救助"] == "需人工认定"
    assert "支出型" in next(r.rule for r in result.results if r.programme == "临时救助")


@time_machine.travel(TODAY, tick=False)
def test_a_household_exactly_at_the_standard_through_the_registry(standards, comm1, worker):
    h, (head,) = household(comm1)
    actions.do_record_assessment(worker, h, assessed_on=dt.date(2026, 6, 1),
                                 incomes=[(head, "wages", D("9600"))])  # 800 a month
    verdicts = {r.programme: r.verdict for r in eligibility_of(h, dt.date(2026, 6, 1)).results}
    assert verdicts["低保"] == "不符合" and verdicts["低保边缘"] == "符合"
    actions.do_record_assessment(worker, h, assessed_on=dt.date(2026, 6, 2),
                                 incomes=[(head, "wages", D("9599.88"))])  # 799.99
    verdicts = {r.programme: r.verdict for r in eligibility_of(h, dt.date(2026, 6, 2)).results}
    assert verdicts["低保"] == "符合"


@time_machine.travel(TODAY, tick=False)
def test_an_orphan_with_a_tekun_grandmother_through_the_registry(standards, comm1, worker):
    h, (grandma, child) = household(comm1, members=(("奶奶", "1950-01-01"),
                                                     ("小明", "2016-01-01")))
    child.parents_deceased_or_missing = True
    child.save()
    actions.do_record_assessment(worker, h, assessed_on=dt.date(2026, 6, 1),
                                 incomes=[(grandma, "pension", D("12000"))])  # excluded
    results = {r.programme: r for r in eligibility_of(h, dt.date(2026, 6, 1)).results}
    assert results["孤儿"].members == ("小明",)
    assert results["特困"].members == ("奶奶",)
    # a son able to support her: no longer 特困
    Supporter.objects.create(person=grandma, name="儿子", relationship="子女", able_to_support=True)
    results = {r.programme: r for r in eligibility_of(h, dt.date(2026, 6, 1)).results}
    assert results["特困"].verdict == el.INELIGIBLE


@time_machine.travel(TODAY, tick=False)
def test_assessments_refuse_future_dates_extreme_amounts_and_outsiders(standards, comm1, worker):
    h, (head,) = household(comm1)
    with pytest.raises(ValidationError):
        actions.do_record_assessment(worker, h, assessed_on=dt.date(2026, 6, 16), incomes=[])
    with pytest.raises(ValidationError):
        actions.do_record_assessment(worker, h, assessed_on=dt.date(2026, 6, 1),
                                     incomes=[(head, "wages", D("1e12"))])
    with pytest.raises(ValidationError):
        actions.do_record_assessment(worker, h, assessed_on=dt.date(2026, 6, 1),
                                     incomes=[(head, "wages", D("-1"))])
    with pytest.raises(PermissionDenied):
        actions.do_record_assessment(get_user_model().objects.get(username="dept-housing"), h,
                                     assessed_on=dt.date(2026, 6, 1), incomes=[])


@time_machine.travel(TODAY, tick=False)
def test_the_household_page_records_an_assessment_and_shows_the_rules(standards, comm1,
                                                                     client_for):
    h, _ = household(comm1)
    c = client_for("community1")
    r = c.post(f"/assistance/households/{h.pk}/assess/", {
        "assessed_on": "2026-06-01", "months": "12", "income_wages": "6000", "vehicles": "0",
        "homes": "1", "assets_within_rules": "on"})
    assert r.status_code == 302
    html = c.get(f"/assistance/households/{h.pk}/").content.decode()
    assert "500.00" in html and "社会救助暂行办法" in html and "符合" in html
    assert client_for("dept-housing").post(f"/assistance/households/{h.pk}/assess/",
                                           {}).status_code == 404
    assert client_for("street2").get(f"/assistance/households/{h.pk}/assess/").status_code == 404
