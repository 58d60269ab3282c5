"""Me too (附议): on a public case's page a resident adds "我也遇到了" once per session and once per
phone; the count shows on the case, in staff lists and in the statistics; the page is
rate-limited per address; private, merged and handled cases take none."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.test import Client

from minsheng.cases import stats, workflow
from minsheng.cases.models import Case, CaseType, Support
from minsheng.cases.views import SUPPORT_LIMIT
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
