"""Enrolment: consent and assessment first, street review, a 公示 of the configured length with
objections, 区民政局's decision (reasons for refusals and overrides), and periodic reviews."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError

from minsheng.assistance import actions
from minsheng.assistance import enrolment as en
from minsheng.assistance.models import (
    Enrolment,
    Household,
    Person,
    Procedure,
    Review,
    Standard,
)
from minsheng.places.models import Region

pytestmark = pytest.mark.django_db
D = Decimal
NOW = dt.datetime(2026, 6, 15, 12, tzinfo=dt.UTC)


def u(name):
    return get_user_model().objects.get(username=name)


@pytest.fixture
def home(db):
    comm1 = u("community1").memberships.first().region
    Standard.objects.create(region_id="131002000000", programme="dibao", area="urban",
                            valid_from=dt.date(2026, 1, 1), amount=D("800"), source="测试")
    Procedure.objects.create(region_id="131002000000", valid_from=dt.date(2026, 1, 1),
                             publicity_days=5, source="测试")
    h = Household.objects.create(number="E-1", region=comm1, area="urban")
    head = Person.objects.create(household=h, region=comm1, relationship="head", name="甲",
                                 id_number="131002198001010011", birth_date="1980-01-01")
    Person.objects.create(household=h, region=comm1, relationship="spouse", name="乙",
                          id_number="131002198001010022", birth_date="1981-01-01",
                          labour_capacity="none")
    with time_machine.travel(NOW, tick=False):
        actions.do_record_assessment(u("community1"), h, assessed_on=dt.date(2026, 6, 1),
                                     incomes=[(head, "wages", D("7200"))])  # 300 per person
    return h


@time_machine.travel(NOW, tick=False)
def test_the_whole_course_from_application_to_enrolment_and_first_review(home):
    e = en.do_apply(u("community1"), home, programme="dibao", consent_on=dt.date(2026, 6, 10))
    assert e.computed_verdict == "符合" and "300.00" in e.computed_rule
    assert e.members_covered == 2 and e.per_capita_income == D("300.00")
    en.do_street_review(u("street1"), e, "入户核实")
    en.do_publicise(u("street1"), e, start=dt.date(2026, 6, 1))
    assert e.publicity_end == dt.date(2026, 6, 6)  # 5 days, from the region's Procedure
    en.do_decide(u("civil1"), e, enrol=True, on=dt.date(2026, 6, 10))
    e.refresh_from_db()
    assert e.state == "enrolled"
    # a member able to work: quarterly review (the default 3 months)
    assert e.next_review_on == dt.date(2026, 9, 10)
    assert Review.objects.get(enrolment=e).due_on == dt.date(2026, 9, 10)
    assert list(e.events.values_list("state", flat=True)) == [
        "applied", "reviewed", "publicised", "enrolled"]


@time_machine.travel(NOW, tick=False)
def test_no_application_without_consent_or_an_assessment(home):
    with pytest.raises(ValidationError):
        en.do_apply(u("community1"), home, programme="dibao", consent_on=None)
    home.assessments.all().delete()
    with pytest.raises(ValidationError, match="经济状况核对"):
        en.do_apply(u("community1"), home, programme="dibao", consent_on=dt.date(2026, 6, 1))


@time_machine.travel(NOW, tick=False)
def test_the_steps_cannot_be_skipped_and_each_belongs_to_its_office(home):
    e = en.do_apply(u("community1"), home, programme="dibao", consent_on=dt.date(2026, 6, 1))
    with pytest.raises(ValidationError):
        en.do_decide(u("civil1"), e, enrol=True)  # not reviewed nor publicised
    with pytest.raises(PermissionDenied):
        en.do_street_review(u("community1"), e)
    with pytest.raises(PermissionDenied):
        en.do_street_review(u("street2"), e)  # another street
    en.do_street_review(u("street1"), e)
    en.do_publicise(u("street1"), e, start=dt.date(2026, 6, 12))
    with pytest.raises(PermissionDenied):
        en.do_decide(u("street1"), e, enrol=True)
    with pytest.raises(PermissionDenied):
        en.do_decide(u("dept-housing"), e, enrol=True)
    with pytest.raises(ValidationError, match="公示期"):
        en.do_decide(u("civil1"), e, enrol=True, on=dt.date(2026, 6, 15))  # before the end


@time_machine.travel(NOW, tick=False)
def test_objections_must_be_answered_and_an_upheld_one_needs_a_reason_to_enrol(home):
    e = en.do_apply(u("community1"), home, programme="dibao", consent_on=dt.date(2026, 6, 1))
    en.do_street_review(u("street1"), e)
    en.do_publicise(u("street1"), e, start=dt.date(2026, 6, 5))
    with pytest.raises(ValidationError):
        en.do_record_objection(u("street1"), e, "有车", received_on=dt.date(2026, 6, 11))
    o = en.do_record_objection(u("street1"), e, "家中有营运车辆", received_on=dt.date(2026, 6, 7))
    with pytest.raises(ValidationError, match="未核查"):
        en.do_decide(u("civil1"), e, enrol=True, on=dt.date(2026, 6, 12))
    en.do_answer_objection(u("street1"), o, answer="车辆已报废", upheld=True)
    with pytest.raises(ValidationError):
        en.do_decide(u("civil1"), e, enrol=True, on=dt.date(2026, 6, 12))
    en.do_decide(u("civil1"), e, enrol=True, on=dt.date(2026, 6, 12), reason="车辆已报废注销")
    assert Enrolment.objects.get(pk=e.pk).decision_reason == "车辆已报废注销"


@time_machine.travel(NOW, tick=False)
def test_a_refusal_needs_written_reasons_and_an_override_too(home):
    e = en.do_apply(u("community1"), home, programme="edge", consent_on=dt.date(2026, 6, 1))
    assert e.computed_verdict == "不符合"  # it qualifies for 低保 instead
    en.do_street_review(u("street1"), e)
    en.do_publicise(u("street1"), e, start=dt.date(2026, 6, 1))
    with pytest.raises(ValidationError, match="理由"):
        en.do_decide(u("civil1"), e, enrol=True, on=dt.date(2026, 6, 10))  # override, no reason
    with pytest.raises(ValidationError, match="理由"):
        en.do_decide(u("civil1"), e, enrol=False, on=dt.date(2026, 6, 10))
    en.do_decide(u("civil1"), e, enrol=False, reason="已符合低保条件，按低保办理",
                 on=dt.date(2026, 6, 10))
    assert Enrolment.objects.get(pk=e.pk).state == "refused"


@time_machine.travel(NOW, tick=False)
def test_tekun_is_individual_and_one_application_at_a_time(home):
    with pytest.raises(ValidationError):
        en.do_apply(u("community1"), home, programme="tekun", consent_on=dt.date(2026, 6, 1))
    en.do_apply(u("community1"), home, programme="dibao", consent_on=dt.date(2026, 6, 1))
    with pytest.raises(ValidationError, match="在办"):
        en.do_apply(u("community1"), home, programme="dibao", consent_on=dt.date(2026, 6, 1))
    spouse = home.members.get(name="乙")
    e = en.do_apply(u("community1"), home, programme="tekun", person=spouse,
                    consent_on=dt.date(2026, 6, 1))
    assert e.members_covered == 1 and e.payee == spouse
    assert e.computed_verdict == "不符合"  # 45, no disability: not in 特困's categories


@time_machine.travel(NOW, tick=False)
def test_a_review_pauses_ends_or_keeps_the_benefit(home):
    e = en.do_apply(u("community1"), home, programme="dibao", consent_on=dt.date(2026, 6, 1))
    en.do_street_review(u("street1"), e)
    en.do_publicise(u("street1"), e, start=dt.date(2026, 6, 1))
    en.do_decide(u("civil1"), e, enrol=True, on=dt.date(2026, 6, 10))
    review = Review.objects.get(enrolment=e)
    with pytest.raises(ValidationError):
        en.do_complete_review(u("community1"), review, outcome="pause")  # no reason
    with pytest.raises(PermissionDenied):
        en.do_complete_review(u("viewer1"), review, outcome="keep")
    en.do_complete_review(u("community1"), review, outcome="pause", note="外出务工收入增加",
                          on=dt.date(2026, 6, 14))
    e.refresh_from_db()
    assert e.state == "paused" and Review.objects.filter(enrolment=e, done_on=None).count() == 1
    nxt = Review.objects.get(enrolment=e, done_on=None)
    en.do_complete_review(u("community1"), nxt, outcome="end", note="收入超过标准",
                          on=dt.date(2026, 6, 15))
    e.refresh_from_db()
    assert e.state == "exited" and e.next_review_on is None
    assert not Review.objects.filter(enrolment=e, done_on=None).exists()


def test_review_intervals_follow_the_members_ability_to_work(home):
    proc = en.procedure_for(home.region_id, dt.date(2026, 6, 1))
    e = Enrolment(household=home, region=Region.objects.get(code=home.region_id))
    assert en.review_months(e, proc) == 3
    home.members.update(labour_capacity="none")
    assert en.review_months(e, proc) == 12
    home.members.filter(name="甲").update(labour_capacity="partial")
    assert en.review_months(e, proc) == 6
    assert en.add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)


@time_machine.travel(NOW, tick=False)
def test_the_street_decides_where_and_from_when_the_region_delegates_it(home, client_for):
    """Delegation is dated configuration of the region (Procedure.street_decides): before its
    date the street may not decide, after it the street (of that region only) may."""
    street_code = home.region.parent_id
    Procedure.objects.create(region_id=street_code, valid_from=dt.date(2026, 6, 12),
                             publicity_days=5, street_decides=True, source="测试：下放文件")
    e = en.do_apply(u("community1"), home, programme="dibao", consent_on=dt.date(2026, 6, 1))
    en.do_street_review(u("street1"), e, "入户核实")
    en.do_publicise(u("street1"), e, start=dt.date(2026, 6, 1))
    with pytest.raises(PermissionDenied):
        en.do_decide(u("street1"), e, enrol=True, on=dt.date(2026, 6, 11))  # not yet delegated
    for other in ("street2", "community1", "dept-housing"):
        with pytest.raises(PermissionDenied):
            en.do_decide(u(other), e, enrol=True, on=dt.date(2026, 6, 12))
    assert "审核确认" in client_for("street1").get(f"/assistance/enrolments/{e.pk}/").content.decode()
    en.do_decide(u("street1"), e, enrol=True, on=dt.date(2026, 6, 12))
    e.refresh_from_db()
    assert e.state == "enrolled" and e.decided_on == dt.date(2026, 6, 12)
    # the district keeps its power where the street has it
    assert en.can_decide(u("civil1"), e)
