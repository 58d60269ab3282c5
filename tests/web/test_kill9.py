"""Kill -9 under load on `minsheng serve`: every Open311 POST that was acknowledged with a
service_request_id is stored exactly once (none lost, none twice), on SQLite and on PostgreSQL.

A copy of the demo database (lib's backup/restore: SQLite's online backup or pg_dump/pg_restore)
is served by the real `minsheng serve` (gunicorn workers and the task cluster) on a port of its
own; a few clients POST Open311 requests, each with a description of its own; the server's whole
process group gets SIGKILL mid-run, is started again, the clients carry on; then the database is
counted. Runs in both passes (the PostgreSQL one sets DATABASE_URL): ~25 s each.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from minsheng.web.backup import backup, restore

pytestmark = pytest.mark.django_db(transaction=False)

ROOT = Path(__file__).resolve().parent.parent.parent
PORT = int(os.environ.get("MINSHENG_KILL9_PORT", "8631"))
KEY = "kill9-load-key"
CLIENTS = 4
SECONDS_BEFORE, SECONDS_AFTER = 4.0, 4.0
SETUP = f"""
from django.contrib.auth import get_user_model
from minsheng.cases.models import ApiKey
get_user_model().objects.update(password="!")  # serve refuses demo passwords
ApiKey.objects.create(name="kill9", digest=ApiKey.hash({KEY!r}))
from minsheng.places.models import Compound
c = Compound.objects.filter(region__code__startswith="131002001").order_by("pk").first()
print(c.lat, c.lng)
"""


def _free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def _server_env(tmp: Path, database_url: str | None) -> dict[str, str]:
    env = {**os.environ, "MINSHENG_SECRET_KEY": "kill9-" + "x" * 50,
           "MINSHENG_VAR_DIR": str(tmp / "var"), "MINSHENG_MEDIA_ROOT": str(tmp / "media"),
           "MINSHENG_STATIC_ROOT": str(tmp / "static"), "MINSHENG_OPEN311_RATE_PER_MINUTE": "0",
           "MINSHENG_SQLITE_PATH": str(tmp / "kill9.sqlite3"), "PYTHONPATH": str(ROOT),
           "DJANGO_SETTINGS_MODULE": "minsheng.settings"}
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


class Server:
    """`minsheng serve` in a process group of its own."""

    def __init__(self, env: dict[str, str], log: Path):
        self.env, self.log, self.proc = env, log, None

    def start(self) -> float:
        started = time.monotonic()
        with self.log.open("a") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "minsheng.cli", "serve", "--port", str(PORT),
                 "--workers", "2"], cwd=ROOT, env=self.env, stdout=out, stderr=out,
                start_new_session=True)
        while time.monotonic() - started < 60:
            if self.proc.poll() is not None:
                pytest.fail("minsheng serve stopped:\n" + self.log.read_text()[-3000:])
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/open311/v2/services.json",
                                            timeout=2) as r:
                    if r.status == 200:
                        return time.monotonic() - started
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        pytest.fail("minsheng serve did not answer in 60 s:\n" + self.log.read_text()[-3000:])

    def kill(self) -> None:
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)  # gunicorn, its workers, the cluster
            self.proc.wait(10)
            self.proc = None


def _copy_database(tmp: Path) -> tuple[str | None, dict]:
    """The demo database copied for the server: (its DATABASE_URL or None for SQLite, how to
    reach it from here)."""
    if connection.vendor == "sqlite":
        # the in-memory test database as the test's own connection sees it (a backup would wait
        # for the shared cache's lock), written to a file
        target = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp / "kill9.sqlite3")}
        connection.ensure_connection()
        memory = sqlite3.connect(":memory:")
        memory.deserialize(connection.connection.serialize())
        copy = sqlite3.connect(target["NAME"])
        try:
            memory.backup(copy)
        finally:
            copy.close()
            memory.close()
        return None, target
    archive = tmp / "demo.tar.gz"
    backup(archive, media_root=tmp / "no-media")
    params = connection.get_connection_params()
    server = {k: params[k] for k in ("user", "password", "host", "port") if params.get(k)}
    name = f"{settings.DATABASES['default']['NAME']}_kill9"
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    target = {**settings.DATABASES["default"], "NAME": name}
    restore(archive, database=target, media_root=tmp / "media")
    query = urllib.parse.urlencode({k: v for k, v in (("host", server.get("host")),
                                                      ("port", server.get("port"))) if v})
    auth = urllib.parse.quote(server.get("user", ""))
    if server.get("password"):
        auth += ":" + urllib.parse.quote(server["password"])
    return f"postgres://{auth}@/{name}?{query}", {"server": server, "name": name}


def _stored(target: dict) -> dict[str, list[str]]:
    """description → the case numbers stored with it, for this test's descriptions."""
    sql = "SELECT description, number FROM cases_case WHERE description LIKE 'kill9 %'"
    if "server" in target:
        with psycopg.connect(dbname=target["name"], **target["server"]) as con:
            rows = con.execute(sql).fetchall()
    else:
        con = sqlite3.connect(target["NAME"])
        try:
            rows = con.execute(sql).fetchall()
        finally:
            con.close()
    out: dict[str, list[str]] = {}
    for description, number in rows:
        out.setdefault(description, []).append(number)
    return out


def _client(n: int, lat: str, lng: str, stop: threading.Event, acked: dict, lock) -> None:
    i = 0
    while not stop.is_set():
        i += 1
        description = f"kill9 {n}-{i} 小区污水井冒水"
        body = urllib.parse.urlencode({"api_key": KEY, "service_code": "sewage", "lat": lat,
                                       "long": lng, "description": description}).encode()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/open311/v2/requests.json",
                                        body, timeout=10) as r:
                answer = json.loads(r.read())
            number = answer[0].get("service_request_id")
            if number:
                with lock:
                    acked[description] = number
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError, ValueError):
            time.sleep(0.1)  # the server is down (killed, restarting): not acknowledged


def test_kill_minus_9_under_load_loses_and_duplicates_no_acknowledged_post(tmp_path):
    if not _free(PORT):
        pytest.skip(f"port {PORT} is taken")
    started = time.monotonic()
    database_url, target = _copy_database(tmp_path)
    env = _server_env(tmp_path, database_url)
    setup = subprocess.run([sys.executable, "-m", "minsheng.cli", "shell", "-c", SETUP],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
                           check=False)
    assert setup.returncode == 0, setup.stderr
    lat, lng = setup.stdout.split()[-2:]
    server = Server(env, tmp_path / "serve.log")
    stop, lock, acked = threading.Event(), threading.Lock(), {}
    clients = [threading.Thread(target=_client, args=(n, lat, lng, stop, acked, lock))
               for n in range(CLIENTS)]
    try:
        first_start = server.start()
        for c in clients:
            c.start()
        time.sleep(SECONDS_BEFORE)
        before_kill = len(acked)
        server.kill()
        restart = server.start()
        time.sleep(SECONDS_AFTER)
        stop.set()
        for c in clients:
            c.join(15)
    finally:
        stop.set()
        server.kill()
        if "server" in target:
            stored = _stored(target)
            with psycopg.connect(dbname="postgres", autocommit=True,
                                 **target["server"]) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{target["name"]}" WITH (FORCE)')
    if "server" not in target:
        stored = _stored(target)
    lost = [d for d in acked if d not in stored]
    duplicated = [d for d, numbers in stored.items() if len(numbers) > 1]
    wrong = [d for d, number in acked.items() if d in stored and stored[d] != [number]]
    unacked = len([d for d in stored if d not in acked])
    print(f"\nkill -9 under load ({connection.vendor}): {len(acked)} acknowledged "
          f"({before_kill} before the kill), {len(stored)} stored, {len(lost)} lost, "
          f"{len(duplicated)} duplicated, {unacked} stored without an answer; start "
          f"{first_start:.1f} s, restart {restart:.1f} s, {time.monotonic() - started:.0f} s in all")
    assert before_kill > 0 and len(acked) > before_kill, "the load did not run on both sides"
    assert lost == [] and duplicated == [] and wrong == []
