"""The rating link by SMS is one rule (cases/workflow.py: wants_rating_sms, applied by
do_resolve): a resident who filed by phone (12345) with a phone gets it once the resolution is
committed, on every path that resolves a case — the web page, a direct call as an API or an
import would make, a device-alarm case — at most once per case (not again after a reopening,
nor after staff sent it), never for a resolution rolled back, never for a case filed online, by a
device or without a phone; a failing gateway leaves the resolution standing, no event, and a
warning on the page."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.db import transaction

from minsheng.cases import workflow
from minsheng.cases.models import Case, CaseEvent, CaseType, Device, DeviceKey
from minsheng.places.models import Compound, Organisation
from tests.cases.test_callbacks import SENT

pytestmark = pytest.mark.django_db
A = CaseEvent.Action


@pytest.fixture(autouse=True)
def recording(settings):
    SENT.clear()
    settings.SMS_SENDER = "tests.cases.test_callbacks.RecordingSender"
    settings.PUBLIC_URL = "https://minsheng.example.gov.cn"
    return SENT


def _compound() -> Compound:
    return Compound.objects.filter(region_id="131002001007", property_company__isnull=True
                                   ).order_by("pk").first()


def accepted(user, channel=Case.Channel.HOTLINE, phone="13812345678") -> Case:
    case = workflow.do_file(case_type=CaseType.objects.get(code="street_order"),
                            compound=_compound(), description="占道经营", channel=channel,
                            reporter_phone=phone)  # held by 银河南路街道办事处 (street1)
    workflow.do_accept(user("street1"), case)
    return case


def sms_events(case: Case) -> int:
    return case.events.filter(action=A.SMS).count()


def test_a_direct_resolution_sends_the_link_once_committed(user, django_capture_on_commit_callbacks):
    """What an API or an import resolving a case does: call do_resolve."""
    case = accepted(user)
    with django_capture_on_commit_callbacks(execute=False) as pending:
        workflow.do_resolve(user("street1"), case, "已清理")
        assert SENT == []  # nothing goes out before the commit
    for fn in pending:
        fn()
    assert len(SENT) == 1
    phone, text = SENT[0]
    assert phone == "13812345678" and case.number in text
    assert text.endswith(f"https://minsheng.example.gov.cn/cases/t/{case.token}/?via=sms")
    event = case.events.get(action=A.SMS)
    assert event.actor is None and not event.public


def test_the_web_resolution_sends_it_through_the_same_rule(client_for, user,
                                                            django_capture_on_commit_callbacks):
    case = accepted(user)
    with django_capture_on_commit_callbacks(execute=True):
        r = client_for("street1").post(f"/cases/{case.pk}/resolve/", {"outcome": "已清理"})
    assert r.status_code == 302
    assert len(SENT) == 1 and sms_events(case) == 1


def test_a_reopened_case_resolved_again_gets_no_second_message(
        user, django_capture_on_commit_callbacks):
    case = accepted(user)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.do_resolve(user("street1"), case, "已清理")
    workflow.do_rate(None, case, fixed=False, rating=2, token=case.token)  # reopened
    case.refresh_from_db()
    assert case.status == Case.Status.ACCEPTED
    with django_capture_on_commit_callbacks(execute=True):
        workflow.do_resolve(user("street1"), case, "再次清理")
    assert len(SENT) == 1 and sms_events(case) == 1


def test_no_automatic_message_after_staff_sent_one(user, django_capture_on_commit_callbacks,
                                                    settings):
    case = accepted(user)
    settings.SMS_SENDER = "tests.cases.test_callbacks.FailingSender"
    with django_capture_on_commit_callbacks(execute=True):
        workflow.do_resolve(user("street1"), case, "已清理")
    assert sms_events(case) == 0  # the gateway failed: no event, the case stays resolved
    case.refresh_from_db()
    assert case.status == Case.Status.RESOLVED
    settings.SMS_SENDER = "tests.cases.test_callbacks.RecordingSender"
    workflow.do_send_rating_sms(user("district"), case, workflow.rating_link(case))
    workflow.do_rate(None, case, fixed=False, rating=1, token=case.token)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.do_resolve(user("street1"), case, "再次清理")
    assert len(SENT) == 1 and sms_events(case) == 1


def test_a_resolution_rolled_back_sends_nothing(user, django_capture_on_commit_callbacks):
    case = accepted(user)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), \
            transaction.atomic():
        workflow.do_resolve(user("street1"), case, "已清理")
        raise RuntimeError("the photo could not be stored")  # as the page's atomic block
    case.refresh_from_db()
    assert case.status == Case.Status.ACCEPTED and SENT == [] and sms_events(case) == 0


@pytest.mark.parametrize("channel, phone", [(Case.Channel.RESIDENT, "13812345678"),
                                            (Case.Channel.STAFF, "13812345678"),
                                            (Case.Channel.HOTLINE, ""),
                                            (Case.Channel.HOTLINE, "   ")])
def test_no_message_for_a_case_not_filed_by_phone_or_without_one(
        user, django_capture_on_commit_callbacks, channel, phone):
    case = accepted(user, channel=channel, phone=phone)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.do_resolve(user("street1"), case, "已清理")
    assert SENT == [] and sms_events(case) == 0


def test_a_device_alarm_case_closed_sends_nothing(client, user,
                                                  django_capture_on_commit_callbacks):
    cache.clear()
    org = Organisation.objects.filter(kind="street_office", region_id="131002001000").first()
    DeviceKey.objects.create(name="门禁厂商", digest=DeviceKey.hash("k-sms"), organisation=org)
    Device.objects.create(organisation=org, code="DOOR-SMS", name="东门人脸门禁",
                          kind=Device.Kind.DOOR, compound=_compound(),
                          alarm_types={"forced_open": "street_order"})
    r = client.post("/api/devices/alarms/", json.dumps({"device_id": "DOOR-SMS",
                                                       "type": "forced_open"}),
                    content_type="application/json", headers={"authorization": "Bearer k-sms"})
    assert r.status_code == 200, r.content
    case = Case.objects.get(number=r.json()["results"][0]["case"])
    workflow.do_accept(user("street1"), case)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.do_resolve(user("street1"), case, "门已修好")
    assert SENT == [] and sms_events(case) == 0
    cache.clear()


def test_a_failing_gateway_warns_on_the_page_and_the_case_stays_resolved(
        client_for, user, settings, django_capture_on_commit_callbacks):
    settings.SMS_SENDER = "tests.cases.test_callbacks.FailingSender"
    case = accepted(user)
    with django_capture_on_commit_callbacks(execute=True):
        r = client_for("street1").post(f"/cases/{case.pk}/resolve/", {"outcome": "已清理"},
                                       follow=True)
    assert r.status_code == 200
    assert "评价短信未能发出" in r.content.decode()
    case.refresh_from_db()
    assert case.status == Case.Status.RESOLVED and sms_events(case) == 0


def test_without_a_public_url_the_link_is_on_the_request_s_address(settings, user):
    settings.PUBLIC_URL = ""
    case = accepted(user)
    assert workflow.rating_link(case, "https://a.example/") == \
        f"https://a.example/cases/t/{case.token}/?via=sms"
    settings.ALLOWED_HOSTS = ["*", "minsheng.local"]
    assert workflow.rating_link(case).startswith("http://minsheng.local/cases/t/")
