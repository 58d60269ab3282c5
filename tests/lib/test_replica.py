"""The read-replica router (MINSHENG_REPLICA_URL, off by default): only dashboards and exports
read from the replica, never a request that wrote, nor a browser within REPLICA_PIN_SECONDS of
its last write; every write goes to the primary."""

from __future__ import annotations

import time

import pytest
from django.contrib.sessions.models import Session
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import resolve

from minsheng.cases.models import Case
from minsheng.lib.replica import COOKIE, ReplicaMiddleware, ReplicaRouter

router = ReplicaRouter()


def run(path: str, *, method: str = "get", cookie: str | None = None, view=None):
    """Runs `view` (reads then maybe writes, reporting where each went) inside the middleware."""
    rf = RequestFactory()
    request = getattr(rf, method)(path)
    if cookie is not None:
        request.COOKIES[COOKIE] = cookie
    request.resolver_match = resolve(path)
    seen = []

    def get_response(req):
        mw.process_view(req, None, (), {})
        seen.extend(view(req) if view else [router.db_for_read(Case)])
        return HttpResponse("ok")

    mw = ReplicaMiddleware(get_response)
    return mw(request), seen


def test_off_by_default(settings):
    assert "replica" not in settings.DATABASES and not getattr(settings, "DATABASE_ROUTERS", [])
    assert "minsheng.lib.replica.ReplicaMiddleware" not in settings.MIDDLEWARE


def test_dashboards_and_exports_read_from_the_replica_other_pages_from_the_primary():
    assert run("/indicators/")[1] == ["replica"]
    assert run("/cases/export.xlsx")[1] == ["replica"]
    assert run("/cases/")[1] == ["default"]
    assert router.db_for_read(Case) == "default"  # outside a request: workers, commands


def test_a_write_pins_the_rest_of_the_request_and_the_next_seconds(settings):
    settings.REPLICA_PIN_SECONDS = 10

    def reads_writes_reads(req):
        return [router.db_for_read(Case), router.db_for_write(Case), router.db_for_read(Case)]

    response, seen = run("/indicators/", view=reads_writes_reads)
    assert seen == ["replica", "default", "default"]
    pinned = response.cookies[COOKIE]
    assert pinned["max-age"] == 10 and int(pinned.value) > time.time() + 8
    # the same browser's next page within the seconds: primary; after them: replica again
    assert run("/indicators/", cookie=pinned.value)[1] == ["default"]
    assert run("/indicators/", cookie=str(int(time.time()) - 1))[1] == ["replica"]
    assert run("/indicators/", cookie="garbage")[1] == ["replica"]


def test_a_post_reads_from_the_primary_and_pins_the_browser():
    response, seen = run("/indicators/", method="post")
    assert seen == ["default"] and COOKIE in response.cookies


def test_bookkeeping_writes_pin_nothing_and_sessions_are_read_from_the_primary():
    def session_save(req):
        return [router.db_for_write(Session), router.db_for_read(Session),
                router.db_for_read(Case)]

    response, seen = run("/indicators/", view=session_save)
    assert seen == ["default", "default", "replica"] and COOKIE not in response.cookies


@pytest.mark.parametrize("db,allowed", [("default", True), ("replica", False)])
def test_migrations_run_on_the_primary_only(db, allowed):
    assert router.allow_migrate(db, "cases") is allowed
