"""A cycle for month M pays what was due in M: the basis of the benefit (the assessment, the
per-capita income, the members) is kept on the dated enrolment history and the standard is the
one dated for M, so a cycle opened late for a past month pays that month's amount even after a
re-assessment or a new standard. The standard is the most specific one of the household's
region: a street's (or a community's) own dated row before the district's. Amounts are worked
by hand in the comments."""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal

import pytest
import time_machine
from django.apps import apps
from django.contrib.auth import get_user_model

from minsheng.assistance import actions, standards
from minsheng.assistance import enrolment as en
from minsheng.assistance import payments as pay
from minsheng.assistance.models import (
    Enrolment,
    EnrolmentEvent,
    Entitlement,
    Household,
    Person,
    Standard,
)
from minsheng.places.models import Region

pytestmark = pytest.mark.django_db
D = Decimal
DISTRICT = "131002000000"


def u(name):
    return get_user_model().objects.get(username=name)


def clock(y, m, d):
    return time_machine.travel(dt.datetime(y, m, d, 12, tzinfo=dt.UTC), tick=False)


def std(region_code: str, amount: str, valid_from: dt.date, programme: str = "dibao",
        area: str = "urban") -> Standard:
    return Standard.objects.create(region_id=region_code, programme=programme, area=area,
                                   valid_from=valid_from, amount=D(amount), source="测试")


def cycle(month: dt.date):
    civil = u("civil1")
    c = pay.do_open_cycle(civil, DISTRICT, month)
    pay.do_generate(civil, c)
    return c


def owed(c) -> dict[str, Decimal]:
    return dict(Entitlement.objects.filter(cycle=c).values_list("enrolment__household__number",
                                                                "amount"))


@pytest.fixture
def community():
    return u("community1").memberships.first().region


def reassessed_household(community) -> Enrolment:
    """Two people assessed in March at 7,200 元 of wages a year (300 元 per person a month),
    enrolled in 低保 on 20 March; re-assessed in June at 12,000 元 (500 元 per person a month)
    and the benefit changed by the review of 10 June."""
    h = Household.objects.create(number="B-1", region=community, area="urban")
    head = Person.objects.create(household=h, region=community, relationship="head",
                                 name="户主甲", id_number="131002198001010011",
                                 birth_date="1980-01-01", labour_capacity="none",
                                 bank_name="农业银行", bank_account="6217000000000000101")
    Person.objects.create(household=h, region=community, relationship="child", name="子女乙",
                          id_number="131002201001010022", birth_date="2010-01-01",
                          labour_capacity="none")
    worker, street, civil = u("community1"), u("street1"), u("civil1")
    with clock(2026, 3, 2):
        actions.do_record_assessment(worker, h, assessed_on=dt.date(2026, 3, 2),
                                     incomes=[(head, "wages", D("7200"))])
        e = en.do_apply(worker, h, programme="dibao", consent_on=dt.date(2026, 3, 2))
        en.do_street_review(street, e)
        en.do_publicise(street, e)
    with clock(2026, 3, 20):
        en.do_decide(civil, e, enrol=True, reason="经核对符合低保条件")
    with clock(2026, 6, 10):
        actions.do_record_assessment(worker, h, assessed_on=dt.date(2026, 6, 5),
                                     incomes=[(head, "wages", D("12000"))])
        review = e.reviews.get(done_on__isnull=True)
        en.do_complete_review(worker, review, outcome="change", note="收入增加，调整保障金",
                              on=dt.date(2026, 6, 10))
    return Enrolment.objects.get(pk=e.pk)


def test_a_late_cycle_pays_the_month_s_income_and_standard_not_today_s(community):
    std(DISTRICT, "800", dt.date(2025, 1, 1))
    std(DISTRICT, "900", dt.date(2026, 5, 1))  # the standard rises from May
    e = reassessed_household(community)
    assert e.per_capita_income == D("500.00")  # today's basis: not April's
    with clock(2026, 8, 3):  # every cycle opened late, after both changes
        april, may, june, july = (cycle(dt.date(2026, m, 1)) for m in (4, 5, 6, 7))
    assert owed(april) == {"B-1": D("1000.00")}  # (800 − 300) × 2
    assert owed(may) == {"B-1": D("1200.00")}    # (900 − 300) × 2: May's standard
    assert owed(june) == {"B-1": D("800.00")}    # (900 − 500) × 2: changed on 10 June
    assert owed(july) == {"B-1": D("800.00")}    # (900 − 500) × 2
    # the event history carries each basis, with the assessment it came from
    basis = list(e.events.filter(state="enrolled").values_list("per_capita_income",
                                                                "assessment__assessed_on"))
    assert basis == [(D("300.00"), dt.date(2026, 3, 2)), (D("500.00"), dt.date(2026, 6, 5))]


def test_amount_due_is_what_the_month_s_cycle_pays(community):
    std(DISTRICT, "800", dt.date(2025, 1, 1))
    std(DISTRICT, "900", dt.date(2026, 5, 1))
    e = reassessed_household(community)
    with clock(2026, 8, 3):
        assert pay.amount_due(e, dt.date(2026, 2, 1)) is None  # before the decision
        assert pay.amount_due(e, dt.date(2026, 3, 15)) == D("1000.00")  # any day of March
        assert pay.amount_due(e, dt.date(2026, 4, 1)) == D("1000.00")
        assert pay.amount_due(e, dt.date(2026, 5, 1)) == D("1200.00")
        assert pay.amount_due(e, dt.date(2026, 7, 1)) == D("800.00")
        assert owed(cycle(dt.date(2026, 5, 1)))["B-1"] == pay.amount_due(e, dt.date(2026, 5, 1))


def test_a_cycle_generated_before_the_change_is_not_rewritten(community):
    """April's cycle run in April and one run again later agree: what was due stays due."""
    std(DISTRICT, "800", dt.date(2025, 1, 1))
    e = reassessed_household(community)
    with clock(2026, 8, 3):
        assert pay.amount_due(e, dt.date(2026, 4, 1)) == D("1000.00")
        # an income at or above the standard owes nothing in the months it was in force
        EnrolmentEvent.objects.filter(enrolment=e, per_capita_income=D("500")).update(
            per_capita_income=D("800"))
        assert pay.amount_due(e, dt.date(2026, 7, 1)) is None
        assert pay.amount_due(e, dt.date(2026, 4, 1)) == D("1000.00")


def test_the_migration_backfills_each_event_with_its_enrolment_s_basis(community):
    e = reassessed_household(community)
    EnrolmentEvent.objects.filter(enrolment=e).update(per_capita_income=0, assessment=None)
    importlib.import_module(
        "minsheng.assistance.migrations.0016_enrolment_event_basis").backfill(apps, None)
    rows = set(e.events.values_list("per_capita_income", "assessment_id"))
    assert rows == {(D("500.00"), e.assessment_id)}


def other_street_community(community: Region) -> Region:
    return (Region.objects.filter(level="community", code__startswith=DISTRICT[:6])
            .exclude(code__startswith=community.code[:9]).order_by("code").first())


def enrolled(region: Region, number: str, per_capita: str, members: int = 1) -> Enrolment:
    h = Household.objects.create(number=number, region=region, area="urban")
    p = Person.objects.create(household=h, region=region, relationship="head", name=number,
                              id_number=f"13100219600101{int(number[2:]):04d}",
                              birth_date="1960-01-01", bank_account=f"62170000000{number[2:]}")
    e = Enrolment.objects.create(
        household=h, payee=p, region=region, area="urban", programme="dibao", state="enrolled",
        applied_on=dt.date(2026, 1, 5), consent_on=dt.date(2026, 1, 5),
        decided_on=dt.date(2026, 1, 20), per_capita_income=D(per_capita),
        members_covered=members)
    EnrolmentEvent.objects.create(enrolment=e, state="enrolled", effective_on=dt.date(2026, 1, 20),
                                  members_covered=members, per_capita_income=D(per_capita))
    return e


def test_a_street_s_own_standard_overrides_the_district_s_from_its_date(community):
    street_code = community.code[:9].ljust(12, "0")
    other = other_street_community(community)
    assert other is not None and other.code[:9] != community.code[:9]
    std(DISTRICT, "800", dt.date(2025, 1, 1))
    std(street_code, "850", dt.date(2026, 3, 1))  # the street's own, from March
    enrolled(community, "S-1", "300", members=2)
    enrolled(other, "S-2", "300", members=2)
    with clock(2026, 6, 20):
        feb, april = cycle(dt.date(2026, 2, 1)), cycle(dt.date(2026, 4, 1))
    assert owed(feb) == {"S-1": D("1000.00"), "S-2": D("1000.00")}  # (800 − 300) × 2 each
    assert owed(april) == {"S-1": D("1100.00"),  # (850 − 300) × 2: the street's
                           "S-2": D("1000.00")}  # the district's: another street
    # the same lookup decides eligibility: the street's standard is the one shown
    assert standards.in_force(community.code, "dibao", "urban", dt.date(2026, 4, 1)).amount == 850
    assert standards.in_force(other.code, "dibao", "urban", dt.date(2026, 4, 1)).amount == 800


def test_the_most_specific_dated_standard_wins_community_before_street(community):
    street_code = community.code[:9].ljust(12, "0")
    std(DISTRICT, "800", dt.date(2025, 1, 1))
    std(street_code, "850", dt.date(2025, 1, 1))
    std(community.code, "880", dt.date(2026, 4, 1))  # the community's own, later
    std(DISTRICT, "990", dt.date(2026, 4, 1))  # a newer district row does not override a street's
    sibling = (Region.objects.filter(level="community", code__startswith=community.code[:9])
               .exclude(code=community.code).order_by("code").first())
    enrolled(community, "S-3", "300")
    if sibling is not None:
        enrolled(sibling, "S-4", "300")
    with clock(2026, 6, 20):
        march, april = cycle(dt.date(2026, 3, 1)), cycle(dt.date(2026, 4, 1))
    assert owed(march)["S-3"] == D("550.00")  # 850 − 300: the street's
    assert owed(april)["S-3"] == D("580.00")  # 880 − 300: the community's from April
    if sibling is not None:
        assert owed(april)["S-4"] == D("550.00")  # the street's: not the community's override


def test_a_rural_household_never_takes_an_urban_override(community):
    street_code = community.code[:9].ljust(12, "0")
    std(DISTRICT, "600", dt.date(2025, 1, 1), area="rural")
    std(street_code, "999", dt.date(2025, 1, 1), area="urban")
    e = enrolled(community, "S-5", "100")
    Enrolment.objects.filter(pk=e.pk).update(area="rural")
    with clock(2026, 6, 20):
        assert owed(cycle(dt.date(2026, 4, 1))) == {"S-5": D("500.00")}  # 600 − 100
