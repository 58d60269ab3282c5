"""临时救助 is a one-off award decided per case and paid once, in the first cycle after the
decision; 低保边缘 households get the region's dated edge allowance (元/人·月 × members) where its
standards define one. Amounts are worked by hand; the 'money paid' indicator includes both."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from minsheng.assistance import actions
from minsheng.assistance import enrolment as en
from minsheng.assistance import payments as pay
from minsheng.assistance.models import (
    Enrolment,
    EnrolmentEvent,
    Entitlement,
    Household,
    Payment,
    Person,
    Procedure,
    Standard,
)
from minsheng.indicators.periods import Period
from minsheng.indicators.sources_assistance import assistance_flows

pytestmark = pytest.mark.django_db
D = Decimal
DISTRICT = "131002000000"


def u(name):
    return get_user_model().objects.get(username=name)


def clock(y, m, d):
    return time_machine.travel(dt.datetime(y, m, d, 12, tzinfo=dt.UTC), tick=False)


def std(programme, amount=None, multiplier=None, valid_from=dt.date(2025, 1, 1), area="both"):
    Standard.objects.create(region_id=DISTRICT, programme=programme, area=area,
                            valid_from=valid_from, amount=amount, multiplier=multiplier,
                            source="测试")


@pytest.fixture
def region(db):
    std("dibao", D("800"), area="urban")
    std("temporary", multiplier=D("3"))  # ceiling: 3 months of the 低保标准 per member
    Procedure.objects.create(region_id=DISTRICT, valid_from=dt.date(2025, 1, 1),
                             publicity_days=5, source="测试")
    return u("community1").memberships.first().region


def household(region, number, n_members, *, wages="0", rigid="0"):
    h = Household.objects.create(number=number, region=region, area="urban")
    people = [Person.objects.create(household=h, region=region,
                                    relationship="head" if i == 0 else "child",
                                    name=f"{number}-{i}",
                                    id_number=f"13100219800101{int(number[2:]) * 10 + i:04d}",
                                    birth_date="1980-01-01", bank_name="农业银行",
                                    bank_account=f"62170000000000{int(number[2:]) * 10 + i:05d}")
              for i in range(n_members)]
    with clock(2026, 3, 1):
        actions.do_record_assessment(u("community1"), h, assessed_on=dt.date(2026, 3, 1),
                                     incomes=[(people[0], "wages", D(wages))],
                                     spending=[("medical", D(rigid))] if D(rigid) else [])
    return h


def temporary_aid(h, award, *, decided=dt.date(2026, 3, 20)):
    with clock(2026, 3, 2):
        e = en.do_apply(u("community1"), h, programme="temporary", consent_on=dt.date(2026, 3, 2))
        en.do_street_review(u("street1"), e)
        en.do_publicise(u("street1"), e)
    with clock(decided.year, decided.month, decided.day):
        en.do_decide(u("civil1"), e, enrol=True, award_amount=award, reason="大病支出，经核实")
    e.refresh_from_db()
    return e


def cycle(month):
    civil = u("civil1")
    c = pay.do_open_cycle(civil, DISTRICT, month)
    pay.do_generate(civil, c)
    pay.do_approve_cycle(civil, c)
    pay.do_approve_entitlements(civil, c)
    return c


def amounts(c):
    return {(e.enrolment.household.number, e.programme): e.amount
            for e in Entitlement.objects.filter(cycle=c).select_related("enrolment__household")}


def test_the_award_is_decided_within_the_ceiling_and_paid_once(region):
    h = household(region, "T-1", 2, wages="6000", rigid="40000")
    with clock(2026, 3, 2):
        e = en.do_apply(u("community1"), h, programme="temporary", consent_on=dt.date(2026, 3, 2))
        en.do_street_review(u("street1"), e)
        en.do_publicise(u("street1"), e)
    with clock(2026, 3, 20):
        # 3 months × 800 × 2 members = 4800.00 at most; positive; a number
        assert en.award_ceiling(e, dt.date(2026, 3, 20)) == D("4800.00")
        for bad in (None, "", "0", "-5", "4800.01", "abc", "1e3", "NaN", "12.345", "=1+2",
                    "１２３", "12\x073", " 1 000"):
            with pytest.raises(ValidationError):
                en.do_decide(u("civil1"), e, enrol=True, award_amount=bad, reason="核实")
        assert Enrolment.objects.get(pk=e.pk).state == "publicised"  # nothing half-written
        en.do_decide(u("civil1"), e, enrol=True, award_amount="4800", reason="大病支出，经核实")
    assert Enrolment.objects.get(pk=e.pk).award_amount == D("4800.00")
    with clock(2026, 5, 20):
        march, april, may = (cycle(dt.date(2026, m, 1)) for m in (3, 4, 5))
    # once, in the cycle of the month it was decided in; never again
    assert amounts(march) == {("T-1", "temporary"): D("4800.00")}
    assert amounts(april) == {} and amounts(may) == {}


def test_a_rejected_award_is_generated_again_in_the_next_cycle(region):
    h = household(region, "T-2", 1, wages="0", rigid="20000")
    temporary_aid(h, "1000.50")
    with clock(2026, 4, 20):
        march = pay.do_open_cycle(u("civil1"), DISTRICT, dt.date(2026, 3, 1))
        pay.do_generate(u("civil1"), march)
        pay.do_reject_entitlement(u("civil1"), Entitlement.objects.get(cycle=march), "账号错误")
        april = cycle(dt.date(2026, 4, 1))
    assert amounts(april) == {("T-2", "temporary"): D("1000.50")}


def test_edge_households_get_the_dated_allowance_only_where_the_standards_define_one(region):
    h = household(region, "T-3", 3, wages="32400")  # 900 per person: 1.125 × 800, 低保边缘
    e = Enrolment.objects.create(
        household=h, payee=h.members.first(), region=region, area="urban", programme="edge",
        state="enrolled", applied_on=dt.date(2026, 1, 5), consent_on=dt.date(2026, 1, 5),
        decided_on=dt.date(2026, 1, 20), per_capita_income=D("900"), members_covered=3)
    EnrolmentEvent.objects.create(enrolment=e, state="enrolled",
                                  effective_on=dt.date(2026, 1, 20), members_covered=3)
    with clock(2026, 6, 20):
        jan = cycle(dt.date(2026, 1, 1))
        assert amounts(jan) == {}  # no allowance configured: nothing owed
        std("edge_allowance", D("120"), valid_from=dt.date(2026, 2, 1))
        std("edge_allowance", D("150.50"), valid_from=dt.date(2026, 4, 1))
        feb, apr = cycle(dt.date(2026, 2, 1)), cycle(dt.date(2026, 4, 1))
    assert amounts(feb) == {("T-3", "edge"): D("360.00")}  # 120 × 3
    assert amounts(apr) == {("T-3", "edge"): D("451.50")}  # 150.50 × 3, the rate then in force
    Enrolment.objects.filter(pk=e.pk).update(state="exited")
    EnrolmentEvent.objects.create(enrolment=e, state="exited", effective_on=dt.date(2026, 4, 30))
    with clock(2026, 6, 20):
        assert amounts(cycle(dt.date(2026, 5, 1))) == {}


def test_money_paid_includes_the_award_and_the_edge_allowance(region):
    std("edge_allowance", D("100"))
    edge = household(region, "T-4", 2, wages="21600")  # 900 per person
    e = Enrolment.objects.create(
        household=edge, payee=edge.members.first(), region=region, area="urban",
        programme="edge", state="enrolled", applied_on=dt.date(2026, 1, 5),
        consent_on=dt.date(2026, 1, 5), decided_on=dt.date(2026, 1, 20),
        per_capita_income=D("900"), members_covered=2)
    EnrolmentEvent.objects.create(enrolment=e, state="enrolled",
                                  effective_on=dt.date(2026, 1, 20), members_covered=2)
    temporary_aid(household(region, "T-5", 1, rigid="30000"), "2000")
    with clock(2026, 3, 28):
        c = cycle(dt.date(2026, 3, 1))
        batch = pay.do_export_batch(u("civil1"), c)
    Payment.objects.filter(batch=batch).update(status="paid", paid_on=dt.date(2026, 3, 28))
    # 200.00 (100 × 2) + 2000.00, each paid to its payee
    assert sorted(Payment.objects.values_list("amount", flat=True)) == [D("200.00"),
                                                                       D("2000.00")]
    paid = sum(v for _r, el, v in assistance_flows(DISTRICT[:6], Period(2026))
               if el == "assistance_paid_amount")
    assert paid == D("2200.00")
    temporary = sum(v for _r, el, v in assistance_flows(DISTRICT[:6], Period(2026))
                    if el == "temporary_aid_households")
    assert temporary == 1


def test_the_decision_page_asks_for_the_award_and_refuses_hostile_input(region, client_for):
    h = household(region, "T-6", 1, rigid="30000")
    with clock(2026, 3, 2):
        e = en.do_apply(u("community1"), h, programme="temporary", consent_on=dt.date(2026, 3, 2))
        en.do_street_review(u("street1"), e)
        en.do_publicise(u("street1"), e)
    with clock(2026, 3, 20):
        civil = client_for("civil1")
        page = civil.get(f"/assistance/enrolments/{e.pk}/").content.decode()
        assert 'name="award_amount"' in page and "2400.00" in page  # the ceiling: 3 × 800 × 1
        # only the office that decides sees the field; the street does not
        assert 'name="award_amount"' not in client_for("street1").get(
            f"/assistance/enrolments/{e.pk}/").content.decode()
        url = f"/assistance/enrolments/{e.pk}/act/"
        for bad in ("=1+2", "<b>9</b>", "12\x0734", "2400.01", ""):
            r = civil.post(url, {"step": "enrol", "note": "核实", "award_amount": bad},
                           follow=True)
            assert "救助金额" in r.content.decode() or "临时救助" in r.content.decode()
            assert Enrolment.objects.get(pk=e.pk).state == "publicised", bad
        # the street cannot decide it, whatever it posts
        client_for("street1").post(url, {"step": "enrol", "note": "x", "award_amount": "100"})
        assert Enrolment.objects.get(pk=e.pk).state == "publicised"
        civil.post(url, {"step": "enrol", "note": "核实", "award_amount": "2400"})
    e.refresh_from_db()
    assert (e.state, e.award_amount) == ("enrolled", D("2400.00"))
    assert "2400.00" in client_for("civil1").get(f"/assistance/enrolments/{e.pk}/").content.decode()
