"""Me too (附议): on a public case's page a resident adds "我也遇到了" once per session and once per
phone; the count shows on the case, in staff lists and in the statistics; the page is
rate-limited per address; private, merged and handled cases take none."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.test import Client

from minsheng.cases import stats, workflow
from minsheng.cases.duplicates import open_nearby
from minsheng.cases.models import Case, CaseEvent, CaseType, Priority, Support
from minsheng.cases.views import SUPPORT_LIMIT
from minsheng.places.coords import haversine_m
from minsheng.places.models import Compound

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


def open_case(**kw) -> Case:
    comp = Compound.objects.filter(region_id="131002001007", property_company__isnull=True
                                   ).order_by("pk").first()
    return workflow.do_file(case_type=CaseType.objects.get(code="street_order"), compound=comp,
                            description="路灯不亮，电话 13812345678", reporter_name="王女士",
                            reporter_phone="13900001111", channel=Case.Channel.RESIDENT, **kw)


def test_a_resident_adds_me_too_once_per_session_and_per_phone():
    case = open_case()
    url = f"/cases/p/{case.number}/"
    a = Client()
    page = a.get(url).content.decode()
    assert "我也遇到了" in page
    assert "13812345678" not in page and "13900001111" not in page and "王女士" not in page
    assert a.post(url, {"phone": ""}).status_code == 302
    assert a.post(url, {"phone": ""}).status_code == 302  # the same session: not counted again
    case.refresh_from_db()
    assert case.support_count == 1
    b = Client()
    assert b.post(url, {"phone": "138 1234 5678"}).status_code == 302
    c = Client()  # another session with the same phone
    assert c.post(url, {"phone": "13812345678"}).status_code == 302
    case.refresh_from_db()
    assert case.support_count == 2
    # only digests are kept
    assert not Support.objects.filter(digest__contains="1381234").exists()
    assert "您已附议" in a.get(url).content.decode()


def test_the_count_shows_to_staff_and_in_the_statistics(client_for, user):
    case = open_case()
    for n in range(3):
        assert workflow.do_support(case, session_key=f"session-{n}")
    case.refresh_from_db()
    assert case.support_count == 3
    c = client_for("street1")
    assert "附议 3" in c.get(f"/cases/{case.pk}/").content.decode()
    assert "附议 3" in c.get("/cases/queue/").content.decode()
    figures = stats.case_figures(user("district"), case.created_at - dt.timedelta(days=1),
                                 case.created_at + dt.timedelta(days=1))
    assert figures["supports"]["total"] >= 3 and figures["supports"]["cases"] >= 1
    assert "居民附议" in client_for("district").get("/cases/stats/").content.decode()


def test_private_merged_and_handled_cases_take_no_me_too(user):
    case = open_case()
    Case.objects.filter(pk=case.pk).update(public=False)
    assert Client().get(f"/cases/p/{case.number}/").status_code == 404
    assert Client().post(f"/cases/p/{case.number}/").status_code == 404
    other = open_case()
    workflow.do_accept(user("street1"), other)
    workflow.do_resolve(user("street1"), other, "已修复")
    url = f"/cases/p/{other.number}/"
    assert Client().get(url).status_code == 200
    assert Client().post(url).status_code == 403
    assert Client().get("/cases/p/%3Cscript%3E/").status_code == 404
    assert Client().get("/cases/p/" + "9" * 500 + "/").status_code == 404


def test_hostile_phone_input_is_refused():
    case = open_case()
    url = f"/cases/p/{case.number}/"
    for bad in ("<b>1</b>", "1381234\x005678", "9" * 40, "=1+1"):
        r = Client().post(url, {"phone": bad})
        assert r.status_code == 200, bad
    case.refresh_from_db()
    assert case.support_count == 0


def test_me_too_is_rate_limited_per_address(monkeypatch):
    monkeypatch.setattr(SUPPORT_LIMIT, "limit", 2)
    cases = [open_case() for _ in range(3)]
    c = Client()
    for case in cases[:2]:
        assert c.post(f"/cases/p/{case.number}/").status_code == 302
    r = c.post(f"/cases/p/{cases[2].number}/")
    assert r.status_code == 429 and int(r["Retry-After"]) > 0
    cases[2].refresh_from_db()
    assert cases[2].support_count == 0


# --- me too while filing ------------------------------------------------------------------------


def filing(comp, **kw) -> dict:
    data = {"district": "131002000000", "case_type": "street_order", "description": "路边占道摆摊",
            "compound": comp.pk, "name": "李先生", "phone": "13700002222"}
    data.update(kw)
    return data


def test_a_resident_filing_sees_the_same_problem_nearby_and_adds_their_voice():
    existing = open_case()
    comp = existing.compound
    n = Case.objects.count()
    c = Client()
    r = c.post("/cases/new/", filing(comp))
    assert r.status_code == 200 and Case.objects.count() == n  # shown first, not filed
    page = r.content.decode()
    assert existing.number in page and "我也遇到了（附议）" in page and "仍然提交新诉求" in page
    assert 'name="file_anyway" value="1"' in page
    # the other resident's phone and name stay hidden (description masked as on the public page)
    assert "13812345678" not in page and "13900001111" not in page and "王女士" not in page
    # adding their voice goes through the public page's "me too" (once per session and phone)
    assert c.post(f"/cases/p/{existing.number}/", {"phone": "13700002222"}).status_code == 302
    existing.refresh_from_db()
    assert existing.support_count == 1 and Case.objects.count() == n
    # "file anyway" files regardless
    r = c.post("/cases/new/", filing(comp, file_anyway="1"))
    assert r.status_code == 302 and Case.objects.count() == n + 1


def test_only_open_public_cases_of_the_category_within_reach_are_offered(user, client_for):
    existing = open_case()
    comp = existing.compound
    # another category at the same place: filed at once
    r = Client().post("/cases/new/", filing(comp, case_type="noise", description="夜间施工噪音"))
    assert r.status_code == 302
    # the same category a kilometre away or more: filed at once
    far = next(o for o in Compound.objects.filter(region__code__startswith="131002").exclude(
        lat__isnull=True).order_by("pk") if haversine_m(o.lng, o.lat, comp.lng, comp.lat) > 1000)
    assert Client().post("/cases/new/", filing(far)).status_code == 302
    # staff registering a walk-in resident are not held up
    assert client_for("street1").post("/cases/new/", filing(comp)).status_code == 302
    # private, handled and merged cases are not offered
    Case.objects.filter(compound=comp, case_type_id="street_order",
                        status__in=[Case.Status.ASSIGNED, Case.Status.ACCEPTED]).exclude(
        pk=existing.pk).update(status=Case.Status.CLOSED)
    Case.objects.filter(pk=existing.pk).update(public=False)
    nearby = open_nearby(existing.case_type, compound=comp)
    assert existing.pk not in [c.pk for c, _m in nearby]
    Case.objects.filter(pk=existing.pk).update(public=True)
    assert existing.pk in [c.pk for c, _m in open_nearby(existing.case_type, compound=comp)]
    workflow.do_accept(user("street1"), existing)
    workflow.do_resolve(user("street1"), existing, "已清理")
    assert existing.pk not in [c.pk for c, _m in open_nearby(existing.case_type, compound=comp)]


def test_five_voices_raise_a_case_to_priority_with_its_shorter_clock():
    case = open_case()
    assert case.priority == Priority.NORMAL
    due = case.resolve_due
    for k in range(workflow.SUPPORTS_FOR_PRIORITY - 1):
        workflow.do_support(case, session_key=f"s-{k}")
    case.refresh_from_db()
    assert case.priority == Priority.NORMAL and case.support_count == 4
    workflow.do_support(case, session_key="s-5")
    case.refresh_from_db()
    assert case.priority == Priority.HIGH and case.support_count == 5
    assert case.resolve_due <= due
    event = case.events.get(action=CaseEvent.Action.PRIORITY)
    assert event.actor is None and "5 位居民附议" in event.note
    workflow.do_support(case, session_key="s-6")  # raised once, not again
    assert case.events.filter(action=CaseEvent.Action.PRIORITY).count() == 1
    # an urgent case is never lowered by voices
    urgent = open_case(priority=Priority.URGENT)
    for k in range(6):
        workflow.do_support(urgent, session_key=f"u-{k}")
    urgent.refresh_from_db()
    assert urgent.priority == Priority.URGENT
