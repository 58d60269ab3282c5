"""The case workflow: routing, every transition (allowed and refused), the event log, SLA
escalation and auto-close, near-duplicates and merging."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from minsheng.cases import clocks, routing, sla, workflow
from minsheng.cases.duplicates import near_duplicates
from minsheng.cases.models import Case, CaseEvent, CaseType, Mediation, Notification, RoutingRule
from minsheng.lib import kept
from minsheng.places.models import Compound, Organisation

pytestmark = pytest.mark.django_db

S = Case.Status
A = CaseEvent.Action
K = Organisation.Kind
STREET1 = "131002001"
COMM1 = "131002001007"  # community1 / grid1 / resident1's community


@pytest.fixture
def managed():
    return Compound.objects.filter(region__code__startswith=STREET1,
                                   property_company__isnull=False).order_by("pk").first()


@pytest.fixture
def unmanaged():
    return Compound.objects.filter(region_id=COMM1, property_company__isnull=True).order_by(
        "pk").first()


@pytest.fixture
def street2_compound():
    return Compound.objects.filter(region__code__startswith="131002002").order_by("pk").first()


def file(code: str, compound=None, **kw) -> Case:
    kw.setdefault("description", "测试诉求")
    kw.setdefault("channel", Case.Channel.RESIDENT)
    return workflow.do_file(case_type=CaseType.objects.get(code=code), compound=compound, **kw)


def street_office(prefix: str) -> Organisation:
    return Organisation.objects.get(kind=K.STREET_OFFICE, region_id=prefix.ljust(12, "0"))


def test_a_case_number_names_its_district_day_and_key_and_is_written_once(managed):
    """The number (district-day-key) is unique across app servers because it carries the key.
    PostgreSQL gives the key before the INSERT, so the row is written once with its number; an
    UPDATE after it made a new version of the row in every one of the table's indexes."""
    at = dt.datetime(2030, 3, 1, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    with CaptureQueriesContext(connection) as seen:
        a = file("property_repair", managed, at=at)
    b = file("property_repair", managed, at=at)
    assert a.number == f"131002-20300301-{a.pk:06d}" != b.number  # the local day, not UTC's
    Case.objects.get(number=a.number)  # stored as shown
    updates = [q["sql"] for q in seen.captured_queries if q["sql"].startswith(
        'UPDATE "cases_case"')]
    assert len(updates) == (0 if connection.vendor == "postgresql" else 1)


# --------------------------------------------------------------------------------------------
# routing


def test_property_repair_in_a_managed_compound_goes_to_its_property_company(managed):
    case = file("property_repair", managed)
    assert case.organisation == managed.property_company
    assert case.organisation.kind == K.PROPERTY_COMPANY
    assert case.region == managed.region and case.status == S.ASSIGNED


def test_property_repair_in_an_unmanaged_compound_goes_to_the_community(unmanaged):
    for code in ("property_repair", "roof_leak", "sewage"):
        case = file(code, unmanaged)
        assert case.organisation.kind == K.COMMUNITY_COMMITTEE
        assert case.organisation.region_id == unmanaged.region_id


def test_neighbour_dispute_goes_to_a_mediation_committee_with_a_mediation(unmanaged):
    case = file("neighbour_dispute", unmanaged, description="楼上漏水到楼下")
    assert case.organisation.kind == K.MEDIATION_COMMITTEE
    assert case.organisation.region_id.startswith(STREET1) or \
        case.organisation.region_id == "131002000000"
    m = Mediation.objects.get(case=case)
    assert m.committee == case.organisation and m.matter == "楼上漏水到楼下"
    assert m.outcome == Mediation.Outcome.PENDING


def test_legal_question_goes_to_the_legal_aid_centre(unmanaged):
    case = file("legal_aid", unmanaged)
    assert case.organisation.kind == K.LEGAL_AID_CENTRE


def test_a_routing_rule_overrides_by_the_longest_prefix(unmanaged, street2_compound):
    t = CaseType.objects.get(code="environment")
    district_dept = Organisation.objects.get(name="区住房和城乡建设局", region_id="131002000000")
    other_dept = Organisation.objects.get(name="区卫生健康局", region_id="131002000000")
    assert file("environment", unmanaged).organisation == street_office(STREET1)
    RoutingRule.objects.create(case_type=t, region_prefix="131002", organisation=district_dept)
    RoutingRule.objects.create(case_type=t, region_prefix=STREET1, organisation=other_dept)
    assert file("environment", unmanaged).organisation == other_dept
    assert file("environment", street2_compound).organisation == district_dept


def test_a_rule_written_by_another_server_routes_within_the_minute(unmanaged, monkeypatch):
    """The rules are kept per process for a minute: a write this process did not see (another
    app server's, here an UPDATE without signals) routes once the minute is over."""
    t = CaseType.objects.get(code="environment")
    dept = Organisation.objects.get(name="区卫生健康局", region_id="131002000000")
    other = Organisation.objects.get(name="区住房和城乡建设局", region_id="131002000000")
    rule = RoutingRule.objects.create(case_type=t, region_prefix="131002", organisation=dept)
    assert file("environment", unmanaged).organisation == dept
    RoutingRule.objects.filter(pk=rule.pk).update(organisation=other)  # no signal here
    assert file("environment", unmanaged).organisation == dept  # within the minute
    later = time.monotonic() + routing.TABLE_TTL_S + 1
    monkeypatch.setattr(kept.time, "monotonic", lambda: later)
    assert file("environment", unmanaged).organisation == other


def test_a_new_community_office_receives_cases_at_once_in_this_process(unmanaged):
    first = file("environment", unmanaged).organisation
    assert first == street_office(STREET1)
    office = Organisation.objects.create(name="测试社区办", kind=K.STREET_OFFICE,
                                         region_id=unmanaged.region_id)
    assert file("environment", unmanaged).organisation == office


def test_a_point_is_located_to_its_community_and_grid(managed):
    case = file("street_order", lat=managed.lat, lng=managed.lng)
    assert case.region_id.startswith(STREET1)
    assert case.organisation == street_office(STREET1)
    assert case.compound is not None


def test_filing_refuses_bad_input_without_writing(unmanaged):
    n = Case.objects.count()
    with pytest.raises(ValidationError):
        file("street_order", unmanaged, description="   ")
    with pytest.raises(ValidationError):
        file("street_order", lat=95.0, lng=116.7)
    with pytest.raises(ValidationError):
        file("street_order", lat=10.0, lng=10.0)  # outside every district served
    with pytest.raises(ValidationError):
        file("street_order")  # no place at all
    t = CaseType.objects.get(code="noise")
    t.active = False
    t.save()
    with pytest.raises(ValidationError):
        file("noise", unmanaged)
    assert Case.objects.count() == n


def test_filing_logs_created_and_routed_and_notifies(unmanaged):
    case = file("street_order", unmanaged)
    ev = list(case.events.values_list("action", "from_status", "to_status"))
    assert ev == [(A.CREATED, "", S.ASSIGNED), (A.ROUTED, S.ASSIGNED, S.ASSIGNED)]
    assert Notification.objects.filter(case=case, organisation=case.organisation).exists()
    # the clocks count working time on the holiday calendar (tests/cases/test_clocks.py)
    assert (case.accept_due, case.resolve_due) == clocks.deadlines(
        case.case_type, case.created_at, case.priority)


# --------------------------------------------------------------------------------------------
# transitions


def test_full_lifecycle_appends_an_event_for_every_change(user, unmanaged):
    street1 = user("street1")
    case = file("street_order", unmanaged)
    case = workflow.do_accept(street1, case, note="马上去现场")
    assert case.status == S.ACCEPTED and case.assignee == street1 and case.accepted_at
    workflow.do_note(street1, case, "已联系城管", public=False)
    case = workflow.do_resolve(street1, case, "占道摊点已清理")
    assert case.status == S.RESOLVED and case.outcome == "占道摊点已清理"
    case = workflow.do_rate(AnonymousUser(), case, fixed=True, rating=5, comment="很好",
                            token=case.token)
    assert case.status == S.CLOSED and case.closed_at and case.verdict == Case.Verdict.FIXED
    assert case.rating == 5
    rows = list(case.events.values_list("action", "from_status", "to_status", "actor__username",
                                        "public"))
    assert rows == [
        (A.CREATED, "", S.ASSIGNED, None, True),
        (A.ROUTED, S.ASSIGNED, S.ASSIGNED, None, True),
        (A.ACCEPTED, S.ASSIGNED, S.ACCEPTED, "street1", True),
        (A.NOTE, S.ACCEPTED, S.ACCEPTED, "street1", False),
        (A.RESOLVED, S.ACCEPTED, S.RESOLVED, "street1", True),
        (A.RATED, S.RESOLVED, S.CLOSED, None, True),
    ]


def test_who_may_accept(user, unmanaged):
    case = file("street_order", unmanaged)  # held by 银河南路街道办事处
    for name in ("street2", "resident1", "viewer1", "property1", "dept1"):
        assert not workflow.allowed(user(name), case, "accept")
        with pytest.raises(PermissionDenied):
            workflow.do_accept(user(name), case)
    with pytest.raises(PermissionDenied):
        workflow.do_accept(AnonymousUser(), case)
    assert workflow.allowed(user("street1"), case, "accept")
    assert workflow.allowed(user("district"), case, "accept")  # a supervisor of the district
    workflow.do_accept(user("district"), case)
    case.refresh_from_db()
    assert case.status == S.ACCEPTED and case.events.filter(action=A.ACCEPTED).count() == 1


def test_a_handler_of_another_kind_acts_on_its_own_cases(user, managed):
    case = file("property_repair", managed)
    property1 = user("property1")
    if case.organisation_id != property1.memberships.get().organisation_id:
        case = workflow.do_transfer(user("district"), case, property1.memberships.get().organisation,
                                    "该小区由本公司管理")
    workflow.do_accept(property1, case)
    case.refresh_from_db()
    assert case.status == S.ACCEPTED
    assert not workflow.allowed(user("mediator1"), case, "resolve")
    with pytest.raises(PermissionDenied):
        workflow.do_resolve(user("mediator1"), case, "已修")


def test_wrong_state_is_a_validation_error(user, unmanaged):
    street1 = user("street1")
    case = file("street_order", unmanaged)
    with pytest.raises(ValidationError):
        workflow.do_resolve(street1, case, "已办")  # not accepted yet
    with pytest.raises(ValidationError):
        workflow.do_rate(AnonymousUser(), case, fixed=True, rating=5, token=case.token)
    workflow.do_accept(street1, case)
    with pytest.raises(ValidationError):
        workflow.do_accept(street1, case)  # twice
    workflow.do_resolve(street1, case, "已办")
    for action in (lambda: workflow.do_accept(street1, case),
                   lambda: workflow.do_transfer(street1, case, street_office("131002002"), "错"),
                   lambda: workflow.do_return(street1, case, "错"),
                   lambda: workflow.do_resolve(street1, case, "再办")):
        with pytest.raises(ValidationError):
            action()
    workflow.do_rate(AnonymousUser(), case, fixed=True, rating=4, token=case.token)
    with pytest.raises(ValidationError):
        workflow.do_note(street1, case, "关闭后补记")
    with pytest.raises(ValidationError):
        workflow.do_rate(AnonymousUser(), case, fixed=False, rating=1, token=case.token)


def test_only_the_reporter_may_rate(user, unmanaged):
    street1 = user("street1")
    case = file("street_order", unmanaged, reporter=user("resident1"))
    workflow.do_accept(street1, case)
    workflow.do_resolve(street1, case, "已办")
    assert not workflow.allowed(street1, case, "rate")
    with pytest.raises(PermissionDenied):
        workflow.do_rate(street1, case, fixed=True, rating=5)  # a handler cannot rate
    with pytest.raises(PermissionDenied):
        workflow.do_rate(AnonymousUser(), case, fixed=True, rating=5, token="x" * 22)
    with pytest.raises(ValidationError):
        workflow.do_rate(user("resident1"), case, fixed=True, rating=6)
    case = workflow.do_rate(user("resident1"), case, fixed=True, rating=5)  # by login
    assert case.status == S.CLOSED


def test_a_poor_verdict_reopens_the_case(user, unmanaged):
    street1 = user("street1")
    case = file("street_order", unmanaged)
    workflow.do_accept(street1, case)
    workflow.do_resolve(street1, case, "已办")
    case = workflow.do_rate(AnonymousUser(), case, fixed=False, rating=2, comment="摊点又回来了",
                            token=case.token)
    assert case.status == S.ACCEPTED and case.reopen_count == 1
    assert case.verdict == Case.Verdict.NOT_FIXED and case.resolved_at is None
    last = case.events.last()
    assert (last.action, last.from_status, last.to_status, last.note) == (
        A.REOPENED, S.RESOLVED, S.ACCEPTED, "摊点又回来了")
    assert Notification.objects.filter(case=case, message__contains="重新办理").exists()
    workflow.do_resolve(street1, case, "再次清理并安排巡查")
    case = workflow.do_rate(AnonymousUser(), case, fixed=True, rating=4, token=case.token)
    assert case.status == S.CLOSED and case.reopen_count == 1


def test_transfer_needs_a_reason_and_a_different_organisation(user, unmanaged):
    street1 = user("street1")
    case = file("street_order", unmanaged)
    target = Organisation.objects.get(kind=K.COMMUNITY_COMMITTEE, region_id=COMM1)
    with pytest.raises(ValidationError):
        workflow.do_transfer(street1, case, target, "  ")
    with pytest.raises(ValidationError):
        workflow.do_transfer(street1, case, case.organisation, "同一单位")
    with pytest.raises(PermissionDenied):
        workflow.do_transfer(user("street2"), case, target, "不归我们")
    workflow.do_accept(street1, case)
    case = workflow.do_transfer(street1, case, target, "属于小区内部事务")
    assert case.organisation == target and case.status == S.ASSIGNED and case.assignee is None
    ev = case.events.last()
    assert (ev.action, ev.from_status, ev.to_status, ev.note, ev.organisation) == (
        A.TRANSFERRED, S.ACCEPTED, S.ASSIGNED, "属于小区内部事务", target)
    assert Notification.objects.filter(case=case, organisation=target).exists()
    # the community's staff now hold it
    assert workflow.allowed(user("community1"), case, "accept")


def test_return_needs_a_reason_and_goes_back_to_the_dispatcher(user, managed):
    case = file("property_repair", managed)
    company = case.organisation
    handler = user("district")
    with pytest.raises(ValidationError):
        workflow.do_return(handler, case, "")
    case = workflow.do_return(handler, case, "不是物业维修范围")
    assert case.organisation == street_office(STREET1) and case.status == S.ASSIGNED
    ev = case.events.last()
    assert (ev.action, ev.from_status, ev.to_status) == (A.RETURNED, S.ASSIGNED, S.ASSIGNED)
    assert ev.note == "不是物业维修范围" and company != case.organisation
    # returned again by the dispatcher itself: up to the district
    case = workflow.do_return(user("street1"), case, "需区级部门处理")
    assert case.organisation.region_id == "131002000000"


def test_notes_need_text(user, unmanaged):
    case = file("street_order", unmanaged)
    with pytest.raises(ValidationError):
        workflow.do_note(user("street1"), case, " ")
    with pytest.raises(PermissionDenied):
        workflow.do_note(user("street2"), case, "看看")
    ev = workflow.do_note(user("street1"), case, "电话联系了居民", public=True)
    assert ev.action == A.NOTE and ev.from_status == ev.to_status == S.ASSIGNED


def test_system_actions_are_not_offered_to_people(user, unmanaged):
    case = file("street_order", unmanaged)
    for action in ("close", "escalate"):
        assert not workflow.allowed(user("district"), case, action)
        assert not workflow.allowed(user("admin"), case, action)


# --------------------------------------------------------------------------------------------
# SLA: escalation and auto-close


def test_an_overdue_case_escalates_to_the_parent_office_flagged_and_notified(unmanaged):
    case = file("property_repair", unmanaged)  # → the community committee
    community = case.organisation
    assert community.kind == K.COMMUNITY_COMMITTEE
    sla.check(now=case.created_at + dt.timedelta(hours=1))
    case.refresh_from_db()
    assert case.escalation_level == 0 and case.organisation == community
    later = case.accept_due + dt.timedelta(minutes=5)
    result = sla.check(now=later)
    assert result["escalated"] >= 1
    case.refresh_from_db()
    assert case.organisation == street_office(STREET1)
    assert case.overdue and case.escalation_level == 1 and case.status == S.ASSIGNED
    ev = case.events.get(action=A.ESCALATED)
    assert ev.from_status == ev.to_status == S.ASSIGNED and ev.at == later
    assert community.name in ev.note and case.organisation.name in ev.note
    assert Notification.objects.filter(case=case, organisation=case.organisation,
                                       message__contains="超时升级").exists()
    # the escalated office has a fresh window: the same check does not cascade at once
    sla.check(now=later + dt.timedelta(minutes=1))
    case.refresh_from_db()
    assert case.escalation_level == 1


def test_an_accepted_case_past_its_resolve_due_escalates_too(user, unmanaged):
    case = file("street_order", unmanaged)
    workflow.do_accept(user("street1"), case)
    case.refresh_from_db()
    sla.check(now=case.resolve_due + dt.timedelta(minutes=1))
    case.refresh_from_db()
    assert case.overdue and case.escalation_level == 1 and case.status == S.ACCEPTED
    assert case.organisation.region_id == "131002000000"  # street office → district
    # the district's office named to receive escalations, not whichever department came first
    assert case.organisation.name == "区民生工作办公室" and case.organisation.receives_escalations


def test_the_district_names_the_office_that_receives_escalations(user, unmanaged):
    Organisation.objects.filter(region_id="131002000000").update(receives_escalations=False)
    Organisation.objects.filter(region_id="131002000000", name="区应急管理局").update(
        receives_escalations=True)
    case = file("street_order", unmanaged)
    workflow.do_accept(user("street1"), case)
    sla.check(now=case.resolve_due + dt.timedelta(minutes=1))
    case.refresh_from_db()
    assert case.organisation.name == "区应急管理局"
    assert Notification.objects.filter(case=case, organisation__name="区应急管理局").exists()


def test_an_overdue_case_with_no_office_above_is_flagged_not_escalated_to_itself(unmanaged):
    case = file("legal_aid", unmanaged)  # → the district's legal aid centre
    centre = case.organisation
    assert centre.kind == K.LEGAL_AID_CENTRE and centre.region_id == "131002000000"
    sla.check(now=case.accept_due + dt.timedelta(minutes=5))
    case.refresh_from_db()
    assert case.overdue and case.escalation_level == 1 and case.organisation == centre
    note = case.events.get(action=A.ESCALATED).note
    assert f"升级至 {centre.name}" not in note
    assert "超过受理时限" in note and "没有上级承办单位" in note


def test_a_stale_resolved_case_closes_by_itself(user, unmanaged):
    street1 = user("street1")
    case = file("street_order", unmanaged)
    workflow.do_accept(street1, case)
    case = workflow.do_resolve(street1, case, "已办")
    sla.check(now=case.resolved_at + dt.timedelta(days=workflow.CLOSE_AFTER_DAYS - 1))
    case.refresh_from_db()
    assert case.status == S.RESOLVED
    sla.check(now=case.resolved_at + dt.timedelta(days=workflow.CLOSE_AFTER_DAYS + 1))
    case.refresh_from_db()
    assert case.status == S.CLOSED and case.verdict == ""
    ev = case.events.last()
    assert (ev.action, ev.from_status, ev.to_status, ev.actor) == (
        A.CLOSED, S.RESOLVED, S.CLOSED, None)


# --------------------------------------------------------------------------------------------
# near-duplicates and merging


def test_near_duplicates_are_found_and_merged(user, managed, street2_compound):
    now = timezone.now()
    a = file("street_order", lat=managed.lat, lng=managed.lng, at=now - dt.timedelta(hours=3))
    b = file("street_order", lat=managed.lat + 0.0005, lng=managed.lng, at=now)
    other_type = file("noise", lat=managed.lat, lng=managed.lng)
    far = file("street_order", street2_compound)
    found = near_duplicates(b)
    ids = [c.pk for c, _d in found]
    assert a.pk in ids and other_type.pk not in ids
    dist = {c.pk: d for c, d in found}[a.pk]
    assert dist < 70  # 0 when both were located to the same compound
    assert far.pk not in ids
    with pytest.raises(PermissionDenied):
        workflow.do_merge(user("community1"), b, a)  # not a supervisor
    with pytest.raises(ValidationError):
        workflow.do_merge(user("street1"), b, b)
    b = workflow.do_merge(user("street1"), b, a)
    assert b.status == S.MERGED and b.duplicate_of == a
    assert b.events.last().action == A.MERGED and b.events.last().from_status == S.ASSIGNED
    assert a.events.last().action == A.NOTE and b.number in a.events.last().note
    assert b.pk not in [c.pk for c, _d in near_duplicates(a)]
    with pytest.raises(ValidationError):
        workflow.do_accept(user("street1"), b)
    with pytest.raises(ValidationError):
        workflow.do_merge(user("street1"), a, b)  # into a merged case
