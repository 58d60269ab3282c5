"""The navigation's region list and data-dependent links are kept in the session for a minute
(web/context._held_nav): four queries fewer on every page, a change seen within the minute, and
never another account's navigation."""

from __future__ import annotations

import datetime as dt
from base64 import b64encode

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext

from minsheng.places.models import Region
from minsheng.web.context import NAV_KEY

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
STREET = "131002001000"


def _get(c, path="/"):
    with CaptureQueriesContext(connection) as ctx:
        r = c.get(path)
    assert r.status_code == 200
    plans = sum(1 for q in ctx.captured_queries  # plans_for(user).exists()
                if q["sql"].startswith('SELECT 1 AS "a" FROM "projects_plan"'))
    return r.content.decode(), plans


def test_the_switcher_follows_a_renamed_street_within_the_minute(client_for, settings):
    old = Region.objects.get(code=STREET).name
    with time_machine.travel(T0, tick=False) as t:
        c = client_for("district")
        html, plans = _get(c)
        assert f"　{old}</option>" in html and plans >= 1
        Region.objects.filter(code=STREET).update(name="新名街道")
        t.shift(dt.timedelta(seconds=30))
        html, plans = _get(c, "/cases/")
        assert plans == 0  # held: no query for what the user may open
        t.shift(dt.timedelta(seconds=settings.SESSION_REFRESH_SECONDS))
        html, plans = _get(c)
        assert "　新名街道</option>" in html and f"　{old}</option>" not in html and plans >= 1


def test_another_accounts_held_navigation_is_never_shown(client_for):
    district = get_user_model().objects.get(username="district")
    with time_machine.travel(T0, tick=False):
        c = client_for("street1")
        session = c.session
        session[NAV_KEY] = {"user": district.pk, "at": int(T0.timestamp()), "nav": {
            "switchable_regions": [{"code": "999999000000", "name": "伪造区", "level": "district"}],
            "can_import": True, "can_projects": True, "can_budget": True}}
        session.save()
        html, _plans = _get(c)
        assert "伪造区" not in html


@pytest.mark.parametrize("stamp", [4_000_000_000, "yesterday", None])
def test_a_future_or_malformed_stamp_is_recomputed(client_for, stamp):
    district = get_user_model().objects.get(username="district")
    with time_machine.travel(T0, tick=False):
        c = client_for("district")
        session = c.session
        session[NAV_KEY] = {"user": district.pk, "at": stamp, "nav": {
            "switchable_regions": [{"code": "999999000000", "name": "伪造区", "level": "district"}],
            "can_import": True, "can_projects": True, "can_budget": True}}
        session.save()
        html, plans = _get(c)
        assert "伪造区" not in html and plans >= 1


def test_http_basic_on_the_browsable_api_makes_no_session(client):
    auth = "Basic " + b64encode(b"street1:minsheng-demo").decode()
    r = client.get("/api/compounds/", HTTP_AUTHORIZATION=auth, HTTP_ACCEPT="text/html")
    assert r.status_code == 200 and "<nav" in r.content.decode()
    assert not Session.objects.exists()
    assert "sessionid" not in r.cookies
