from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from minsheng.accounts.middleware import TOUCHED

pytestmark = pytest.mark.django_db


def login(c: Client, username: str, password: str):
    return c.post("/login/", {"username": username, "password": password})


def test_demo_account_logs_in_and_lands_on_its_region():
    c = Client()
    r = login(c, "street1", "minsheng-demo")
    assert r.status_code == 302
    page = c.get("/").content.decode()
    assert "银河南路街道" in page


def test_wrong_password_is_refused_with_a_chinese_message():
    r = login(Client(), "street1", "wrong")
    assert r.status_code == 200
    assert "用户名或密码不正确" in r.content.decode()


def test_lock_out_after_repeated_failures_even_with_the_right_password(settings):
    c = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(c, "street2", "wrong")
    r = login(c, "street2", "minsheng-demo")
    assert r.status_code in (403, 429)
    assert "锁定" in r.content.decode()
    assert c.get("/").status_code == 302  # still not logged in
    # Other accounts are not affected.
    assert login(Client(), "street1", "minsheng-demo").status_code == 302


def test_session_expires_after_idle_time(settings):
    c = Client()
    with time_machine.travel(dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC), tick=False) as t:
        assert login(c, "district", "minsheng-demo").status_code == 302
        assert c.get("/").status_code == 200
        t.shift(dt.timedelta(seconds=settings.SESSION_COOKIE_AGE - 60))
        assert c.get("/").status_code == 200  # activity keeps it alive
        t.shift(dt.timedelta(seconds=settings.SESSION_COOKIE_AGE + 60))
        r = c.get("/")
        assert r.status_code == 302 and "/login/" in r["Location"]


def _session_writes(c: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert c.get(path).status_code == 200
    return sum(1 for q in ctx.captured_queries
               if q["sql"].startswith("UPDATE") and "django_session" in q["sql"])


def test_session_expiry_is_pushed_forward_at_most_once_a_minute(settings):
    """Every page view used to write the session row; now a minute of pages writes it once, and
    the idle sign-out still counts from the last refresh."""
    c = Client()
    start = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as t:
        assert login(c, "district", "minsheng-demo").status_code == 302
        assert _session_writes(c, "/") == 1  # the first page stamps the session
        t.shift(dt.timedelta(seconds=30))
        assert _session_writes(c, "/") == 0
        assert _session_writes(c, "/cases/") == 0
        key = c.cookies[settings.SESSION_COOKIE_NAME].value
        expires = Session.objects.get(session_key=key).expire_date
        assert expires == start + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE)
        t.shift(dt.timedelta(seconds=settings.SESSION_REFRESH_SECONDS))
        assert _session_writes(c, "/") == 1
        expires = Session.objects.get(session_key=key).expire_date
        assert expires == start + dt.timedelta(seconds=30 + settings.SESSION_REFRESH_SECONDS
                                               + settings.SESSION_COOKIE_AGE)


def test_session_stamped_in_the_future_is_refreshed(settings):
    """A clock set back (or a forged stamp) never keeps a session from being refreshed."""
    c = Client()
    with time_machine.travel(dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC), tick=False):
        assert login(c, "district", "minsheng-demo").status_code == 302
        session = c.session
        session[TOUCHED] = 4_000_000_000
        session.save()
        assert _session_writes(c, "/") == 1
        assert c.session[TOUCHED] == int(dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC).timestamp())


def test_anonymous_requests_make_no_session():
    c = Client()
    assert c.get("/login/").status_code == 200
    assert c.get("/healthz").status_code == 200
    assert not Session.objects.exists()


def test_an_unknown_session_cookie_makes_no_session(settings):
    """A made-up or expired session id is dropped, not turned into a new stored session."""
    c = Client()
    c.cookies[settings.SESSION_COOKIE_NAME] = "x" * 32
    assert c.get("/login/").status_code == 200
    assert c.get("/healthz").status_code == 200
    assert not Session.objects.exists()


def test_pages_require_login():
    c = Client()
    for path in ("/", "/map/", "/compounds/", "/facilities/", "/map/compounds.geojson"):
        r = c.get(path)
        assert r.status_code == 302 and "/login/" in r["Location"], path
    assert c.get("/api/compounds/").status_code in (401, 403)
