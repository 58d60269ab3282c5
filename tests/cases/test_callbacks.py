"""Call-backs (回访) and the rating link by SMS: staff independent of the handling office record
who called, when, and the resident's answer; a resident who filed by phone gets the rating link
through the configured SMS sender; every rating says which way it came. Denials: the handling
office itself, non-staff, another district."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from minsheng.accounts.models import AuditLog
from minsheng.cases import workflow
from minsheng.cases.models import CallBack, Case, CaseEvent, CaseType, RatingChannel
from minsheng.lib import sms
from minsheng.places.models import Compound

pytestmark = pytest.mark.django_db
A = CaseEvent.Action
SENT: list[tuple[str, str]] = []


class RecordingSender:
    def send(self, phone: str, text: str) -> None:
        SENT.append((phone, text))


class FailingSender:
    def send(self, phone: str, text: str) -> None:
        raise sms.SmsError("网关超时")


@pytest.fixture(autouse=True)
def recording(settings):
    SENT.clear()
    settings.SMS_SENDER = "tests.cases.test_callbacks.RecordingSender"
    return SENT


def resolved(user, channel=Case.Channel.HOTLINE, phone="13812345678") -> Case:
    comp = Compound.objects.filter(region_id="131002001007", property_company__isnull=True
                                   ).order_by("pk").first()
    case = workflow.do_file(case_type=CaseType.objects.get(code="street_order"), compound=comp,
                            description="占道经营", channel=channel, reporter_name="王女士",
                            reporter_phone=phone)  # held by 银河南路街道办事处 (street1)
    workflow.do_accept(user("street1"), case)
    workflow.do_resolve(user("street1"), case, "已清理")
    case.refresh_from_db()
    return case


def test_a_call_back_on_a_hotline_case_records_the_rating_and_closes_it(user):
    case = resolved(user)
    call = workflow.do_call_back(user("district"), case, reached=True, rating=5, fixed=True,
                                 note="居民表示满意")
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED and case.rating == 5
    assert case.verdict == Case.Verdict.FIXED
    assert case.rating_channel == RatingChannel.CALLBACK
    assert call.called_by == user("district") and call.caller_name and call.reached
    ev = case.events.get(action=A.CALLBACK)
    assert not ev.public and ev.actor == user("district") and "5 分" in ev.note
    assert AuditLog.objects.filter(action="cases.callback", object_id=str(case.pk)).exists()


def test_a_call_back_saying_not_fixed_reopens_the_case(user):
    case = resolved(user)
    workflow.do_call_back(user("district"), case, reached=True,
                          rating=2, fixed=False, caller_name="回访员小李")
    case.refresh_from_db()
    assert case.status == Case.Status.ACCEPTED and case.reopen_count == 1
    assert case.callbacks.get().caller_name == "回访员小李"


def test_an_unanswered_call_needs_a_note_and_rates_nothing(user):
    case = resolved(user)
    with pytest.raises(ValidationError):
        workflow.do_call_back(user("district"), case, reached=False)
    workflow.do_call_back(user("district"), case, reached=False, note="无人接听")
    case.refresh_from_db()
    assert case.status == Case.Status.RESOLVED and case.rating is None
    assert case.callbacks.get().rating is None


def test_a_reached_call_needs_a_rating_and_a_verdict(user):
    case = resolved(user)
    for kw in ({"rating": None, "fixed": True}, {"rating": 9, "fixed": True},
               {"rating": 0, "fixed": True}, {"rating": 4, "fixed": None}):
        with pytest.raises(ValidationError):
            workflow.do_call_back(user("district"), case, reached=True, **kw)
    assert not CallBack.objects.filter(case=case).exists()


def test_a_call_back_on_a_closed_case_fills_a_missing_rating_only(user):
    case = resolved(user, channel=Case.Channel.STAFF)
    workflow.system_close(case)
    case.refresh_from_db()
    workflow.do_call_back(user("district"), case, reached=True, rating=3, fixed=False)
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED and case.rating == 3
    assert case.rating_channel == RatingChannel.CALLBACK
    workflow.do_call_back(user("district"), case, reached=True, rating=5, fixed=True)
    case.refresh_from_db()
    assert case.rating == 3 and case.callbacks.count() == 2  # the first answer stays the rating


def test_extreme_call_times_are_refused(user):
    case = resolved(user)
    now = timezone.now()
    for when in (now + dt.timedelta(days=2), now - dt.timedelta(days=800),
                 case.resolved_at - dt.timedelta(hours=1)):
        with pytest.raises(ValidationError):
            workflow.do_call_back(user("district"), case, reached=False, note="x", called_at=when)


def test_who_may_not_call_back(user):
    case = resolved(user)
    # the handling office itself, a department, a viewer, a resident, a property manager
    for name in ("street1", "dept1", "viewer1", "resident1"):
        assert not workflow.allowed(user(name), case, "callback")
        with pytest.raises(PermissionDenied):
            workflow.do_call_back(user(name), case, reached=True, rating=5, fixed=True)
    # nor before the case is handled
    open_case = workflow.do_file(case_type=case.case_type, compound=case.compound,
                                 description="x", channel=Case.Channel.HOTLINE)
    assert not workflow.allowed(user("district"), open_case, "callback")


def test_the_rating_link_goes_by_sms_when_a_phone_case_is_resolved(
        client_for, user, django_capture_on_commit_callbacks):
    comp = Compound.objects.filter(region_id="131002001007", property_company__isnull=True
                                   ).order_by("pk").first()
    case = workflow.do_file(case_type=CaseType.objects.get(code="street_order"), compound=comp,
                            description="占道", channel=Case.Channel.HOTLINE,
                            reporter_phone="13812345678")
    workflow.do_accept(user("street1"), case)
    with django_capture_on_commit_callbacks(execute=True):  # sent once the resolution commits
        r = client_for("street1").post(f"/cases/{case.pk}/resolve/", {"outcome": "已清理"})
    assert r.status_code == 302
    assert len(SENT) == 1
    phone, text = SENT[0]
    assert phone == "13812345678" and case.number in text
    link = text.split("：")[-1]
    assert link.endswith(f"/cases/t/{case.token}/?via=sms")
    assert case.events.filter(action=A.SMS).exists()
    # the resident rates through the SMS link: the rating says so
    path = link[link.index("/cases/"):]
    r = client_for("resident1").post(path, {"rating": "4", "fixed": "yes"})
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.rating == 4 and case.rating_channel == RatingChannel.SMS


def test_an_online_rating_says_web_and_a_forged_channel_is_ignored(client, user):
    case = resolved(user, channel=Case.Channel.RESIDENT)
    assert SENT == []  # filed online: no SMS
    r = client.post(f"/cases/t/{case.token}/?via=callback", {"rating": "5", "fixed": "yes"})
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.rating_channel == RatingChannel.WEB


def test_staff_may_send_the_link_again_and_a_failing_gateway_says_so(client_for, user,
                                                                     settings):
    case = resolved(user, channel=Case.Channel.STAFF)
    assert SENT == []
    c = client_for("district")
    page = c.get(f"/cases/{case.pk}/").content.decode()
    assert f'action="/cases/{case.pk}/sms/"' in page and f'action="/cases/{case.pk}/callback/"' in page
    assert c.post(f"/cases/{case.pk}/sms/").status_code == 302
    assert len(SENT) == 1
    settings.SMS_SENDER = "tests.cases.test_callbacks.FailingSender"
    r = c.post(f"/cases/{case.pk}/sms/")
    assert r.status_code == 200 and "网关超时" in r.content.decode()
    assert case.events.filter(action=A.SMS).count() == 1
    # the handling office has neither form; without a phone there is no SMS button
    page = client_for("street1").get(f"/cases/{case.pk}/").content.decode()
    assert "/callback/" not in page and "/sms/" not in page
    assert client_for("street1").post(f"/cases/{case.pk}/callback/",
                                      {"reached": "0", "note": "x"}).status_code == 403
    nophone = resolved(user, channel=Case.Channel.STAFF, phone="")
    assert f"/cases/{nophone.pk}/sms/" not in c.get(f"/cases/{nophone.pk}/").content.decode()


def test_the_call_back_form_and_hostile_input(client_for, user):
    case = resolved(user)
    c = client_for("district")
    url = f"/cases/{case.pk}/callback/"
    for bad in ({"reached": "1", "rating": "99999999999999999999", "fixed": "yes"},
                {"reached": "1", "rating": "-1", "fixed": "yes"},
                {"reached": "0", "note": "无人\x00接听"},
                {"reached": "0", "note": "x" * 501},
                {"reached": "0", "note": "x", "caller_name": "a\x1bb"},
                {"reached": "0", "note": "x", "called_at": "9999-12-31T23:59"},
                {"reached": "0", "note": "x", "called_at": "0001-01-01T00:00"},
                {"reached": "0", "note": "x", "called_at": "not a time"}):
        r = c.post(url, bad)
        assert r.status_code == 200, bad
    assert not case.callbacks.exists()
    r = c.post(url, {"reached": "1", "rating": "5", "fixed": "yes",
                     "note": "<script>alert(1)</script>"})
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED
    page = c.get(f"/cases/{case.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert "工作人员回访" in page


def test_the_demo_s_rated_phone_cases_carry_their_call_backs():
    rated = Case.objects.filter(generated=True, channel=Case.Channel.HOTLINE,
                                rating__isnull=False)
    assert rated.count() > 100
    assert not rated.exclude(rating_channel=RatingChannel.CALLBACK).exists()
    assert CallBack.objects.filter(case__in=rated).count() == rated.count()
    call = CallBack.objects.filter(case__in=rated).select_related("case").first()
    assert call.rating == call.case.rating and call.reached
    assert call.fixed == (call.case.verdict == Case.Verdict.FIXED)
    web = Case.objects.filter(generated=True, channel=Case.Channel.RESIDENT,
                              rating__isnull=False)
    assert web.exists() and not web.exclude(rating_channel=RatingChannel.WEB).exists()


def test_the_console_sender_logs_a_masked_phone(settings, caplog):
    settings.SMS_SENDER = "minsheng.lib.sms.ConsoleSender"
    with caplog.at_level(logging.INFO, logger="minsheng.sms"):
        sms.send("13812345678", "评价链接\x07 https://x/")
    assert "138****5678" in caplog.text and "13812345678" not in caplog.text
    assert "\x07" not in caplog.text


def test_the_http_gateway_sender_posts_the_configured_template(settings):
    got = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            got.append((self.headers["Authorization"],
                        self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200 if len(got) == 1 else 500)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 8683), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        settings.SMS_SENDER = "minsheng.lib.sms.HttpGatewaySender"
        settings.SMS_GATEWAY_URL = "http://127.0.0.1:8683/send"
        settings.SMS_GATEWAY_KEY = "secret-key"
        settings.SMS_GATEWAY_TEMPLATE = '{"mobile": "{phone}", "content": "{text}", "sign": "民生"}'
        sms.send("13812345678", '办结"通知"\n请评价')
        assert got[0][0] == "Bearer secret-key"
        assert json.loads(got[0][1]) == {"mobile": "13812345678",
                                         "content": '办结"通知"\n请评价', "sign": "民生"}
        with pytest.raises(sms.SmsError):
            sms.send("13812345678", "again")  # the gateway answers 500
    finally:
        server.shutdown()
        server.server_close()
    settings.SMS_GATEWAY_URL = ""
    with pytest.raises(sms.SmsError):
        sms.sender()
