"""Shared fixtures. The test database is built once per run with the real demo district
(安次区 with its generated geography, plus 平城区) and the demo accounts; each test runs in a
transaction that is rolled back."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django_q.conf import Conf

from minsheng.accounts.demo import create_demo_accounts
from minsheng.assistance.monitoring_demo import generate as generate_monitoring
from minsheng.cases import clocks, open311, routing
from minsheng.cases.demo import generate as generate_cases
from minsheng.employment.demo import generate as generate_employment
from minsheng.lifecircle.services import ensure_computed
from minsheng.places import locate
from minsheng.places.demo import generate
from minsheng.places.models import Region
from minsheng.projects.demo import generate as generate_projects

# ../shared/data beside the repository (read in place, never copied); MINSHENG_SHARED_DIR overrides.
SHARED_DATA = Path(os.environ.get(
    "MINSHENG_SHARED_DIR", Path(__file__).resolve().parent.parent.parent / "shared")) / "data"
CHENGDU_OSM = SHARED_DATA / "chengdu-central-2018.osm"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def pytest_configure(config):
    # MINSHENG_TEST_NOW=2028-02-29T12:00+08:00 runs the whole suite as if that were now (the clock
    # ticks on from there): the way to check that no test passes only on some dates.
    when = os.environ.get("MINSHENG_TEST_NOW")
    start = dt.datetime.fromisoformat(when) if when else None
    if start is None:
        # The demo is built once at the start; a run that crosses local midnight (on 31 December,
        # into a year without a plan) would test yesterday's demo against today's date. A run
        # started in the last hour before midnight runs an hour earlier instead.
        local = dt.datetime.now(SHANGHAI)
        if local.hour == 23:
            start = local - dt.timedelta(hours=1)
    if start is not None:
        config._minsheng_clock = time_machine.travel(start, tick=True)
        config._minsheng_clock.start()

    # Hashing is not what these tests measure; the real hasher costs ~0.3 s per password.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Background tasks run inline in tests (the demo and `serve` run a real worker cluster).
    Conf.SYNC = True


@pytest.fixture(scope="session")
def demo_media(tmp_path_factory) -> Path:
    """Where the demo's generated photos are written (never var/); a test that opens them sets
    MEDIA_ROOT here (each test otherwise has its own empty MEDIA_ROOT)."""
    return tmp_path_factory.mktemp("demo-media")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, demo_media):
    settings.MEDIA_ROOT = demo_media
    with django_db_blocker.unblock():
        # The cache is a table (settings.CACHES); Django's test set-up makes it, this says so and
        # holds if that ever changes (idempotent).
        call_command("createcachetable", verbosity=0)
        generate("131002", progress=lambda *_: None)
        generate("140213", progress=lambda *_: None)
        create_demo_accounts("131002")
        generate_projects("131002", progress_cb=lambda *_: None)
        ensure_computed(Region.objects.get(code="131002000000"))
        generate_cases("131002", n=300, progress=lambda *_: None)
        generate_monitoring("131002", progress=lambda *_: None)
        generate_employment("131002", n=300, progress=lambda *_: None)


@pytest.fixture
def user(db):
    def get(username: str):
        return get_user_model().objects.get(username=username)

    return get


@pytest.fixture
def client_for(db):
    """A test client logged in as a demo account (the session goes through the real middleware)."""

    def make(username: str) -> Client:
        c = Client()
        c.force_login(get_user_model().objects.get(username=username))
        return c

    return make


@pytest.fixture
def chengdu_osm() -> Path:
    if not CHENGDU_OSM.exists():
        pytest.skip(f"real OSM extract not available: {CHENGDU_OSM} (../shared/ is absent)")
    return CHENGDU_OSM


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploads (OSM files, photos, evidence) go to a temporary folder, never into var/."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_process_caches():
    """The per-process caches of what every filing reads (the working calendar, the parsed
    outlines' versions) are forgotten between tests: a test's rolled-back holidays or districts must not
    reach the next test through them, as a restarted server would not see them either."""
    clocks.invalidate()
    locate.recheck()
    routing.invalidate()
    open311.forget_types()
    yield


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> str:
    """A throwaway redis-server on loopback for this test session (a cluster's shared cache);
    `make test` installs Debian's redis-server when it is missing."""
    exe = shutil.which("redis-server") or ("/usr/bin/redis-server"
                                           if os.path.exists("/usr/bin/redis-server") else None)
    if exe is None:
        pytest.skip("redis-server not installed (make test installs Debian's redis-server)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    workdir = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(workdir)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"redis-server did not start on port {port}")
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(10)
