"""Extensions (延期): the handler applies, a supervisor of the case's region decides; approved ones
move the resolve deadline, and every one is counted. Denials: another organisation's handler, a
non-supervisor, a supervisor of another district (平城区 140213)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError

from minsheng.accounts.models import Membership
from minsheng.accounts.roles import Role
from minsheng.cases import sla, stats, workflow
from minsheng.cases.models import Case, CaseEvent, CaseType, Extension, Priority
from minsheng.places.models import Compound

pytestmark = pytest.mark.django_db
A = CaseEvent.Action


def file(compound) -> Case:
    return workflow.do_file(case_type=CaseType.objects.get(code="street_order"),
                            compound=compound, description="占道经营",
                            channel=Case.Channel.HOTLINE)


@pytest.fixture
def case(user):
    comp = Compound.objects.filter(region_id="131002001007", property_company__isnull=True
                                   ).order_by("pk").first()
    c = file(comp)  # held by 银河南路街道办事处 (street1)
    workflow.do_accept(user("street1"), c)
    c.refresh_from_db()
    return c


def test_a_handler_applies_and_a_supervisor_approves(user, case):
    old = case.resolve_due
    new = old + dt.timedelta(days=10)
    with pytest.raises(ValidationError):
        workflow.do_request_extension(user("street1"), case, " ", new)
    with pytest.raises(ValidationError):
        workflow.do_request_extension(user("street1"), case, "需要协调城管", old)
    ext = workflow.do_request_extension(user("street1"), case, "需要协调城管", new)
    assert ext.status == Extension.Status.PENDING and ext.old_due == old
    # one pending at a time
    assert not workflow.allowed(user("street1"), case, "extend")
    case.refresh_from_db()
    assert case.resolve_due == old  # not moved until approved
    workflow.do_decide_extension(user("district"), case, approve=True, note="同意")
    case.refresh_from_db()
    ext.refresh_from_db()
    assert ext.status == Extension.Status.APPROVED and ext.decided_by == user("district")
    assert case.resolve_due == new
    assert case.events.filter(action=A.EXTENSION).count() == 2
    assert Extension.objects.filter(case=case, status="approved").count() == 1


def test_a_refusal_needs_a_reason_and_keeps_the_deadline(user, case):
    old = case.resolve_due
    with time_machine.travel(case.created_at + dt.timedelta(hours=1), tick=False):
        # decided the moment it was asked: the paused clock moved nothing
        workflow.do_request_extension(user("street1"), case, "材料未到",
                                      old + dt.timedelta(days=3))
        with pytest.raises(ValidationError):
            workflow.do_decide_extension(user("district"), case, approve=False, note="")
        workflow.do_decide_extension(user("district"), case, approve=False,
                                     note="时限内可以办结")
    case.refresh_from_db()
    assert case.resolve_due == old
    assert case.extensions.get().status == Extension.Status.REFUSED
    assert workflow.allowed(user("street1"), case, "extend")  # may apply again


def test_who_may_not_extend_or_decide(user, case):
    new = case.resolve_due + dt.timedelta(days=5)
    for name in ("street2", "community1", "viewer1", "resident1", "district"):
        # another organisation's handler (and a supervisor who does not hold the case) cannot apply
        with pytest.raises(PermissionDenied):
            workflow.do_request_extension(user(name), case, "x", new)
    workflow.do_request_extension(user("street1"), case, "x", new)
    for name in ("street1", "street2", "community1", "viewer1", "dept1"):
        # the applicant's own office and non-supervisors cannot approve
        with pytest.raises(PermissionDenied):
            workflow.do_decide_extension(user(name), case, approve=True)


def test_a_supervisor_of_another_district_cannot_decide(user):
    comp = Compound.objects.filter(region__code__startswith="140213").order_by("pk").first()
    case = file(comp)
    assert case.region_id.startswith("140213")
    staff = get_user_model().objects.create(username="pingcheng-staff")
    Membership.objects.create(user=staff, organisation=case.organisation, role=Role.STREET_STAFF,
                              region_id=case.organisation.region_id)
    workflow.do_accept(staff, case)
    case.refresh_from_db()
    workflow.do_request_extension(staff, case, "x", case.resolve_due + dt.timedelta(days=2))
    for name in ("district", "street1"):
        with pytest.raises(PermissionDenied):
            workflow.do_decide_extension(user(name), case, approve=True)


def test_extension_through_the_detail_page(client_for, case):
    url = f"/cases/{case.pk}/"
    c = client_for("street1")
    assert f'action="{url}extend/"' in c.get(url).content.decode()
    r = c.post(url + "extend/", {"new_due": "not a date", "reason": "x"})
    assert r.status_code == 200 and "请填写日期" in r.content.decode()
    due = (case.resolve_due + dt.timedelta(days=7)).date().isoformat()
    assert c.post(url + "extend/", {"new_due": due, "reason": "等待配件"}).status_code == 302
    assert c.post(url + "decide/", {"approve": "1"}).status_code in (403, 404)  # not a supervisor
    d = client_for("district")
    assert f'action="{url}decide/"' in d.get(url).content.decode()
    assert d.post(url + "decide/", {"approve": "1", "note": "同意"}).status_code == 302
    case.refresh_from_db()
    assert case.extensions.get().status == Extension.Status.APPROVED
    assert case.resolve_due.date().isoformat() == due


def test_extensions_are_counted_on_the_statistics_page(user, case, client_for):
    start = case.created_at - dt.timedelta(days=1)
    end = case.created_at + dt.timedelta(days=1)
    before = stats.case_figures(user("district"), start, end)["extensions"]
    workflow.do_request_extension(user("street1"), case, "x",
                                  case.resolve_due + dt.timedelta(days=2))
    workflow.do_decide_extension(user("district"), case, approve=True)
    after = stats.case_figures(user("district"), start, end)["extensions"]
    assert after["applied"] == before["applied"] + 1
    assert after["approved"] == before["approved"] + 1
    assert after["cases"] == before["cases"] + 1
    assert "批准延期" in client_for("district").get("/cases/stats/").content.decode()


def test_the_clock_stops_from_the_application_to_the_decision(user, compound_case):
    case, at = compound_case
    with time_machine.travel(at(2026, 3, 4, 16, 30), tick=False):  # Wednesday
        workflow.do_request_extension(user("street1"), case, "需协调多个部门",
                                      at(2026, 3, 12, 17, 30))
    case.refresh_from_db()
    assert case.paused_at == at(2026, 3, 4, 16, 30)
    assert case.extensions.get().paused_clock
    # a pending application never escalates, and the handler cannot restart the clock
    sla.check(now=at(2026, 3, 9, 10))
    case.refresh_from_db()
    assert case.escalation_level == 0 and not case.overdue
    with pytest.raises(ValidationError):
        workflow.do_resume(user("street1"), case)
    with time_machine.travel(at(2026, 3, 9, 10), tick=False):  # next Monday 10:00
        workflow.do_decide_extension(user("district"), case, approve=False, note="可以按时办结")
    case.refresh_from_db()
    # refused, yet the 16 working hours the decision took are given back (Wed 1 h, Thu 7, Fri 7,
    # Mon 1): Thursday 17:30 → Tuesday 11:00
    assert case.paused_at is None
    assert case.resolve_due == at(2026, 3, 10, 11)


def test_an_approval_moves_the_deadline_to_the_later_of_the_two(user, compound_case):
    case, at = compound_case
    with time_machine.travel(at(2026, 3, 4, 16, 30), tick=False):
        workflow.do_request_extension(user("street1"), case, "等待配件", at(2026, 3, 20, 17, 30))
    with time_machine.travel(at(2026, 3, 9, 10), tick=False):
        workflow.do_decide_extension(user("district"), case, approve=True)
    case.refresh_from_db()
    assert case.paused_at is None and case.resolve_due == at(2026, 3, 20, 17, 30)


def test_an_application_during_a_resident_pause_leaves_that_pause_alone(user, compound_case):
    case, at = compound_case
    with time_machine.travel(at(2026, 3, 3, 10), tick=False):
        workflow.do_pause(user("street1"), case, "等待居民补充材料")
    with time_machine.travel(at(2026, 3, 4, 10), tick=False):
        ext = workflow.do_request_extension(user("street1"), case, "x", at(2026, 3, 20, 17, 30))
    assert not ext.paused_clock
    with time_machine.travel(at(2026, 3, 5, 10), tick=False):
        workflow.do_decide_extension(user("district"), case, approve=False, note="不同意")
    case.refresh_from_db()
    assert case.paused_at == at(2026, 3, 3, 10)  # the resident's pause still holds the clock
    with time_machine.travel(at(2026, 3, 6, 10), tick=False):
        workflow.do_resume(user("street1"), case)
    case.refresh_from_db()
    assert case.paused_at is None


@pytest.fixture
def compound_case(user):
    """A street-order case filed Monday 2 March 2026 09:00 (resolve in 3 working days: Thursday
    17:30), accepted by 银河南路街道办事处 (street1)."""
    def at(y, m, d, h=0, mi=0):
        return dt.datetime(y, m, d, h, mi, tzinfo=ZoneInfo("Asia/Shanghai"))

    t = CaseType.objects.get(code="street_order")
    t.accept_work_hours, t.resolve_work_days, t.priority = 4, 3, Priority.NORMAL
    t.save()
    comp = Compound.objects.filter(region_id="131002001007", property_company__isnull=True
                                   ).order_by("pk").first()
    with time_machine.travel(at(2026, 3, 2, 9), tick=False):
        c = file(comp)
        workflow.do_accept(user("street1"), c)
    c.refresh_from_db()
    assert c.resolve_due == at(2026, 3, 5, 17, 30)
    return c, at
