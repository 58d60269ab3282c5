"""督办: a supervisor orders the organisation holding a case to answer by a deadline; only that
organisation answers; an order unanswered past its deadline escalates once in the SLA job, and
every order is counted. Denials: non-supervisors, the holding office itself, another district."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from minsheng.cases import sla, stats, workflow
from minsheng.cases.models import Case, CaseEvent, CaseType, Notification, SupervisionOrder
from minsheng.places.models import Compound

pytestmark = pytest.mark.django_db
A = CaseEvent.Action


def file(compound) -> Case:
    return workflow.do_file(case_type=CaseType.objects.get(code="street_order"),
                            compound=compound, description="占道经营",
                            channel=Case.Channel.HOTLINE)


@pytest.fixture
def case():
    comp = Compound.objects.filter(region_id="131002001007", property_company__isnull=True
                                   ).order_by("pk").first()
    return file(comp)  # held by 银河南路街道办事处 (street1)


def test_an_order_is_answered_by_the_ordered_office(user, case):
    due = timezone.now() + dt.timedelta(days=2)
    with pytest.raises(ValidationError):
        workflow.do_supervise(user("district"), case, " ", due)
    with pytest.raises(ValidationError):
        workflow.do_supervise(user("district"), case, "尽快处置", timezone.now() - dt.timedelta(1))
    order = workflow.do_supervise(user("district"), case, "尽快处置", due)
    assert order.organisation == case.organisation
    assert Notification.objects.filter(case=case, message__startswith="督办").exists()
    for name in ("street2", "community1", "district", "viewer1"):
        with pytest.raises(PermissionDenied):
            workflow.do_answer_supervision(user(name), case, "已处置")
    with pytest.raises(ValidationError):
        workflow.do_answer_supervision(user("street1"), case, " ")
    workflow.do_answer_supervision(user("street1"), case, "已安排城管队员现场处置")
    order.refresh_from_db()
    assert order.answered_by == user("street1") and order.answer.startswith("已安排")
    assert case.events.filter(action=A.SUPERVISION).count() == 2


def test_who_may_not_issue(user, case):
    due = timezone.now() + dt.timedelta(days=2)
    # non-supervisors, and the office that holds the case (street1 supervises its own street)
    for name in ("street1", "street2", "community1", "viewer1", "dept1", "resident1"):
        with pytest.raises(PermissionDenied):
            workflow.do_supervise(user(name), case, "x", due)
    other = file(Compound.objects.filter(region__code__startswith="140213").order_by("pk").first())
    with pytest.raises(PermissionDenied):  # a supervisor of another district (平城区)
        workflow.do_supervise(user("district"), other, "x", due)


def test_an_overdue_order_escalates_once_and_is_counted(user, case):
    start = case.created_at
    order = workflow.do_supervise(user("district"), case, "三日内答复",
                                  timezone.now() + dt.timedelta(days=3))
    later = order.due + dt.timedelta(minutes=1)
    with time_machine.travel(later, tick=False):
        result = sla.check(now=later)
        assert result["supervision_escalated"] >= 1
        assert sla.check(now=later + dt.timedelta(minutes=1))["supervision_escalated"] == 0
    order.refresh_from_db()
    assert order.escalated_at == later and order.answered_at is None
    assert case.events.filter(action=A.SUPERVISION, note__contains="逾期").exists()
    assert Notification.objects.filter(case=case, message__startswith="督办逾期").exists()
    s = stats.case_figures(user("district"), start - dt.timedelta(days=1),
                           start + dt.timedelta(days=1))["supervision"]
    assert s["issued"] >= 1 and s["escalated"] >= 1
    assert SupervisionOrder.objects.filter(case=case, escalated_at__isnull=False).count() == 1


def test_supervision_through_the_detail_page(client_for, case):
    url = f"/cases/{case.pk}/"
    d = client_for("district")
    assert f'action="{url}supervise/"' in d.get(url).content.decode()
    assert client_for("street1").post(url + "supervise/", {"instruction": "x", "due": "2099-01-01"}
                                      ).status_code in (403, 404)
    due = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    assert d.post(url + "supervise/", {"instruction": "尽快", "due": due}).status_code == 302
    s1 = client_for("street1")
    assert f'action="{url}answer/"' in s1.get(url).content.decode()
    assert s1.post(url + "answer/", {"answer": "已处置"}).status_code == 302
    assert case.supervisions.get().answered_at is not None
    assert "督办" in d.get("/cases/stats/").content.decode()
