"""先行救助: the street pays an urgent 临时救助 first from its 备用金 and the decision is reviewed
afterwards, within the region's Procedure.after_review_days. The after-review is a task on the
review list, flagged overdue once due; a refusal records its outcome and that the money paid is
not recovered by the system. No payment cycle pays a 先行救助 again; the money-paid figure
counts it on the day it was granted."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError

from minsheng.assistance import actions
from minsheng.assistance import enrolment as en
from minsheng.assistance import payments as pay
from minsheng.assistance.models import (
    Enrolment,
    Entitlement,
    Household,
    Person,
    Procedure,
    Review,
    Standard,
)
from minsheng.indicators.periods import Period
from minsheng.indicators.sources_assistance import assistance_flows
from tests.hostile import FORMULAS, NUMBERS, XSS

pytestmark = pytest.mark.django_db
D = Decimal
DISTRICT = "131002000000"
DAY = dt.date(2026, 3, 10)


def u(name):
    return get_user_model().objects.get(username=name)


def clock(day: dt.date):
    return time_machine.travel(dt.datetime(day.year, day.month, day.day, 4, tzinfo=dt.UTC),
                               tick=False)


@pytest.fixture
def applied(db):
    """A household of two that applied for 临时救助 after a fire (ceiling: 3 × 800 × 2 = 4800)."""
    Standard.objects.create(region_id=DISTRICT, programme="dibao", area="urban",
                            valid_from=dt.date(2025, 1, 1), amount=D("800"), source="测试")
    Standard.objects.create(region_id=DISTRICT, programme="temporary", area="both",
                            valid_from=dt.date(2025, 1, 1), multiplier=D("3"), source="测试")
    Procedure.objects.create(region_id=DISTRICT, valid_from=dt.date(2025, 1, 1),
                             after_review_days=7, source="测试")
    region = u("community1").memberships.first().region
    h = Household.objects.create(number="F-1", region=region, area="urban")
    head = Person.objects.create(household=h, region=region, relationship="head", name="甲",
                                 id_number="131002198001010011", birth_date="1980-01-01")
    Person.objects.create(household=h, region=region, relationship="child", name="乙",
                          id_number="131002201001010022", birth_date="2010-01-01")
    with clock(DAY):
        actions.do_record_assessment(u("community1"), h, assessed_on=DAY,
                                     incomes=[(head, "wages", D("6000"))], spending=[])
        return en.do_apply(u("community1"), h, programme="temporary", consent_on=DAY)


def test_the_street_pays_first_and_the_after_review_falls_due(applied):
    with clock(DAY):
        en.do_pay_first(u("street1"), applied, award_amount="3000", reason="房屋失火，生活无着")
    e = Enrolment.objects.get(pk=applied.pk)
    assert (e.state, e.paid_first, e.award_amount, e.decided_on) == (
        "enrolled", True, D("3000.00"), DAY)
    assert e.after_review_due == DAY + dt.timedelta(days=7)  # the region's 7 days
    task = Review.objects.get(enrolment=e)
    assert (task.kind, task.due_on, task.done_on) == ("after_review", e.after_review_due, None)
    # paid from the 备用金: no cycle pays it again; money paid counts it in March
    with clock(dt.date(2026, 4, 20)):
        march = pay.do_open_cycle(u("civil1"), DISTRICT, dt.date(2026, 3, 1))
        pay.do_generate(u("civil1"), march)
    assert not Entitlement.objects.filter(enrolment=e).exists()
    paid = sum(v for _r, el, v in assistance_flows(DISTRICT[:6], Period(2026))
               if el == "assistance_paid_amount")
    assert paid == D("3000.00")


def test_an_overdue_after_review_is_flagged_on_the_task_list(applied, client_for):
    with clock(DAY):
        en.do_pay_first(u("street1"), applied, award_amount="1000", reason="交通事故")
    with clock(DAY + dt.timedelta(days=7)):  # the due day itself: not yet overdue
        page = client_for("community1").get("/assistance/reviews/").content.decode()
        assert "先行救助补办审核" in page and "逾期 0 项" in page
    with clock(DAY + dt.timedelta(days=8)):
        page = client_for("community1").get("/assistance/reviews/").content.decode()
        assert "逾期 1 项" in page and 'flag-overdue' in page
        detail = client_for("civil1").get(f"/assistance/enrolments/{applied.pk}/").content.decode()
        assert "补办审核期限" in detail and "flag-overdue" in detail
        # the periodic-review form does not close it
        task = Review.objects.get(enrolment=applied)
        with pytest.raises(ValidationError):
            en.do_complete_review(u("community1"), task, outcome="keep")


def test_a_refused_after_review_records_the_outcome_and_that_nothing_is_recovered(applied):
    with clock(DAY):
        en.do_pay_first(u("street1"), applied, award_amount="2000", reason="突发重病")
    later = DAY + dt.timedelta(days=5)
    with clock(later):
        with pytest.raises(ValidationError):  # a refusal needs reasons
            en.do_after_review(u("civil1"), applied, confirm=False, reason="  ")
        assert Enrolment.objects.get(pk=applied.pk).after_review_outcome == ""
        en.do_after_review(u("civil1"), applied, confirm=False, reason="核实有存款二十万元")
    e = Enrolment.objects.get(pk=applied.pk)
    assert (e.state, e.after_review_outcome, e.after_review_on) == ("exited", "refused", later)
    last = e.events.order_by("-id").first()
    assert last.state == "exited" and "不自动追回" in last.note and "2000.00" in last.note
    task = Review.objects.get(enrolment=e)
    assert (task.done_on, task.outcome) == (later, "refused")
    with clock(later), pytest.raises(ValidationError):  # decided once
        en.do_after_review(u("civil1"), e, confirm=True)


def test_a_confirmed_after_review_keeps_the_aid(applied, client_for):
    with clock(DAY):
        r = client_for("street1").post(f"/assistance/enrolments/{applied.pk}/act/", {
            "step": "pay_first", "award_amount": "4800", "note": "溺水抢救"})
        assert r.status_code == 302
    with clock(DAY + dt.timedelta(days=3)):
        r = client_for("civil1").post(f"/assistance/enrolments/{applied.pk}/act/",
                                      {"step": "after_confirm", "note": ""})
        assert r.status_code == 302
    e = Enrolment.objects.get(pk=applied.pk)
    assert (e.state, e.after_review_outcome, e.award_amount) == ("enrolled", "confirmed",
                                                                 D("4800.00"))
    assert Review.objects.get(enrolment=e).outcome == "confirmed"


def test_who_may_pay_first_and_review_afterwards(applied, client_for):
    url = f"/assistance/enrolments/{applied.pk}/act/"
    with clock(DAY):
        with pytest.raises(PermissionDenied):
            en.do_pay_first(u("community1"), applied, award_amount="100", reason="火灾")
        assert client_for("community1").post(url, {"step": "pay_first", "award_amount": "100",
                                                   "note": "火灾"}).status_code == 403
        # another street does not see the application at all
        assert client_for("street2").post(url, {"step": "pay_first", "award_amount": "100",
                                                "note": "火灾"}).status_code == 404
        assert client_for("viewer1").post(url, {"step": "pay_first", "award_amount": "100",
                                                "note": "火灾"}).status_code in (403, 404)
        assert not Enrolment.objects.get(pk=applied.pk).paid_first
        en.do_pay_first(u("street1"), applied, award_amount="100", reason="火灾")
        # the after-review is the decider's (区民政局, the street only where delegated)
        with pytest.raises(PermissionDenied):
            en.do_after_review(u("street1"), applied, confirm=True)
        assert client_for("street1").post(url, {"step": "after_confirm"}).status_code == 403
        assert Enrolment.objects.get(pk=applied.pk).after_review_outcome == ""


@pytest.mark.parametrize("award,reason", [
    ("4800.01", "火灾"),  # over the ceiling (3 × 800 × 2)
    ("0", "火灾"), ("-5", "火灾"), ("1e9", "火灾"), (NUMBERS[0], "火灾"), (XSS[0], "火灾"),
    (FORMULAS[0], "火灾"), ("100", ""), ("100", "火灾\x00"), ("100", "火\x1b灾"),
])
def test_bad_input_is_refused_and_writes_nothing(applied, award, reason):
    with clock(DAY), pytest.raises(ValidationError):
        en.do_pay_first(u("street1"), applied, award_amount=award, reason=reason)
    e = Enrolment.objects.get(pk=applied.pk)
    assert (e.state, e.paid_first, e.award_amount) == ("applied", False, None)
    assert not Review.objects.filter(enrolment=e).exists()


def test_only_temporary_aid_is_paid_first(applied):
    with clock(DAY):
        dibao = en.do_apply(u("community1"), applied.household, programme="dibao",
                            consent_on=DAY)
        with pytest.raises(ValidationError):
            en.do_pay_first(u("street1"), dibao, award_amount="100", reason="火灾")


@pytest.mark.parametrize("days,ok", [("3", True), ("", True), ("0", False), ("91", False),
                                     ("abc", False), (NUMBERS[0], False), (XSS[0], False)])
def test_the_time_limit_is_set_with_the_region_s_procedure(applied, client_for, days, ok):
    before = Procedure.objects.count()
    with clock(DAY):
        r = client_for("civil1").post("/assistance/standards/", {
            "what": "procedure", "p-region": DISTRICT, "p-valid_from": DAY.isoformat(),
            "p-publicity_days": 7, "p-review_months_unable": 12, "p-review_months_partial": 6,
            "p-review_months_able": 3, "p-payment_due_day": 10, "p-after_review_days": days,
            "p-source": "区民政局文件"})
        assert r.status_code == (302 if ok else 200)
        assert Procedure.objects.count() == before + ok
        if ok:
            en.do_pay_first(u("street1"), applied, award_amount="100", reason="火灾")
            due = Enrolment.objects.get(pk=applied.pk).after_review_due
            assert due == DAY + dt.timedelta(days=int(days or 10))
