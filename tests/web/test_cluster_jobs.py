"""Scheduled jobs run once per tick across every worker (web.jobs.run on lib.locks), escalation
happens once per lapse even when two workers race for the same case, case numbers come from the
database's sequence, and /healthz and /readyz answer as load balancers expect."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.test import Client

from minsheng.cases import sla, workflow
from minsheng.cases.models import Case, CaseEvent
from minsheng.lib.locks import once_per_tick
from minsheng.web import health, jobs

pytestmark = pytest.mark.django_db


def test_a_tick_runs_once_and_a_running_job_is_never_overlapped():
    cache.clear()
    with once_per_tick("t", every=60, ttl=600, now=6000.0) as first:
        assert first
        with once_per_tick("t", every=60, ttl=600, now=6070.0) as overlapping:
            assert not overlapping  # the next tick while this run is still going: skipped
    with once_per_tick("t", every=60, ttl=600, now=6010.0) as again:
        assert not again  # the same tick once more (a second worker, a retry): skipped
    with once_per_tick("t", every=60, ttl=600, now=6070.0) as next_tick:
        assert next_tick


def test_a_killed_runs_lock_expires():
    cache.clear()
    cache.add("job:k:running", "dead-worker", 1)  # what a SIGKILLed run leaves behind
    cache.delete("job:k:running")  # …until its ttl passes (simulated)
    with once_per_tick("k", every=60, ttl=600) as mine:
        assert mine


def test_the_scheduled_entry_point_runs_each_job_once_per_tick(monkeypatch):
    cache.clear()
    calls = []
    monkeypatch.setitem(jobs.SCHEDULES, "probe", ("minsheng.cases.sla.check", 1))
    monkeypatch.setattr(sla, "check", lambda: calls.append(1) or {"escalated": 0})
    for _worker in range(4):  # four workers handed the same tick (threads cannot share the
        jobs.run("probe")     # test's SQLite transaction; the cluster test runs real workers)
    assert calls == [1]


def _overdue_case() -> Case:
    case = Case.objects.filter(status=Case.Status.ASSIGNED, paused_at__isnull=True).order_by(
        "pk").first()
    now = case.accept_due + dt.timedelta(minutes=5)
    return case, now


def test_escalation_happens_once_even_when_a_second_worker_had_listed_the_case():
    case, now = _overdue_case()
    level = case.escalation_level
    stale_copy = Case.objects.get(pk=case.pk)  # what another worker listed before the first ran
    assert workflow.system_escalate(case, now) is not None
    assert workflow.system_escalate(stale_copy, now) is None  # rechecked under the row lock
    case.refresh_from_db()
    assert case.escalation_level == level + 1
    assert CaseEvent.objects.filter(case=case, action=CaseEvent.Action.ESCALATED).count() == \
        1 + CaseEvent.objects.filter(case=case, action=CaseEvent.Action.ESCALATED,
                                     at__lt=now - dt.timedelta(minutes=5)).count()


def test_an_escalation_that_fails_midway_leaves_nothing_half_done(monkeypatch):
    case, now = _overdue_case()
    before = (case.escalation_level, case.organisation_id, case.events.count())

    def crash(*a, **kw):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(workflow, "_notify", crash)  # after the case row and the event
    with pytest.raises(RuntimeError):
        workflow.system_escalate(case, now)
    case.refresh_from_db()
    assert (case.escalation_level, case.organisation_id, case.events.count()) == before


def test_case_numbers_carry_the_primary_key_and_are_unique():
    case = Case.objects.order_by("-pk").first()
    assert case.number.endswith(f"-{case.pk:06d}") or not case.number.startswith("new-")
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=Case.objects.exclude(pk=case.pk).order_by("pk").first().pk
                            ).update(number=case.number)


def test_healthz_needs_no_database(monkeypatch):
    def no_database(*a, **kw):
        raise AssertionError("healthz touched the database")

    monkeypatch.setattr(health, "check_database", no_database)
    r = Client().get("/healthz")
    assert r.status_code == 200 and r.content == b"ok"


def test_readyz_names_the_part_that_failed(monkeypatch):
    r = Client().get("/readyz")
    assert r.status_code == 200
    assert r.json() == {"ready": True, "database": "ok", "cache": "ok", "storage": "ok"}

    def down():
        raise ConnectionError("redis down")

    monkeypatch.setitem(health.CHECKS, "cache", down)
    r = Client().get("/readyz")
    assert r.status_code == 503
    assert r.json() == {"ready": False, "database": "ok", "cache": "failed: ConnectionError",
                        "storage": "ok"}
