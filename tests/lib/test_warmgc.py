"""lib/warmgc.py: an app server freezes what it holds after its first requests, so the garbage
collector's full passes walk only what later requests make (the Open311 p99 bursts)."""

from __future__ import annotations

import gc
import importlib
import threading
from wsgiref.util import setup_testing_defaults

import pytest

import minsheng.wsgi
from minsheng.lib.warmgc import FreezeAfterWarmup
from minsheng.wsgi import application


@pytest.fixture(autouse=True)
def _unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()


def _app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


def _call(app, path="/"):
    environ = {"PATH_INFO": path}
    setup_testing_defaults(environ)
    status = []
    body = b"".join(app(environ, lambda s, h: status.append(s)))
    return status[0], body


def test_the_first_request_freezes_what_the_process_holds():
    held = [object() for _ in range(1000)]  # noqa: F841 (alive across the request)
    app = FreezeAfterWarmup(_app)
    assert gc.get_freeze_count() == 0
    assert _call(app) == ("200 OK", b"ok")
    assert gc.get_freeze_count() > 1000


def test_freezes_at_the_given_counts_even_from_many_threads(monkeypatch):
    frozen = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(1))
    app = FreezeAfterWarmup(_app, after=(1, 20, 200))
    threads = [threading.Thread(target=lambda: [_call(app) for _ in range(25)]) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(frozen) == 3  # at requests 1, 20 and 200 of the 250, once each


def test_a_failing_request_counts_and_its_error_goes_through(monkeypatch):
    frozen = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(1))

    def broken(environ, start_response):
        raise RuntimeError("boom")

    app = FreezeAfterWarmup(broken, after=(1,))
    with pytest.raises(RuntimeError, match="boom"):
        _call(app)
    assert frozen == [1]


@pytest.mark.django_db
def test_minsheng_wsgi_application_serves_and_freezes():
    status, body = _call(application, "/healthz")
    assert status.startswith("200")
    assert gc.get_freeze_count() > 10_000  # Django, the URLconf and the apps' modules


@pytest.mark.django_db
def test_gc_freeze_false_leaves_the_collector_alone(settings):
    settings.GC_FREEZE = False
    try:
        module = importlib.reload(minsheng.wsgi)
        assert not isinstance(module.application, FreezeAfterWarmup)
        status, _body = _call(module.application, "/healthz")
        assert status.startswith("200") and gc.get_freeze_count() == 0
    finally:
        settings.GC_FREEZE = True
        importlib.reload(minsheng.wsgi)
