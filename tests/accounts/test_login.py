from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client

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


def test_pages_require_login():
    c = Client()
    for path in ("/", "/map/", "/compounds/", "/facilities/", "/map/compounds.geojson"):
        r = c.get(path)
        assert r.status_code == 302 and "/login/" in r["Location"], path
    assert c.get("/api/compounds/").status_code in (401, 403)
