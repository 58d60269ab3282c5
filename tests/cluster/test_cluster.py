"""The cluster under load and failure (make cluster-test; skipped unless the local cluster of
scripts/cluster is up and MINSHENG_CLUSTER_URL names its nginx).

Open311 POSTs from 50 concurrent clients for 60 s (MINSHENG_CLUSTER_SECONDS) plus staff list and
dashboard reads, while one app server and one worker are SIGKILLed and restarted mid-run. Then:
every POST that got a service_request_id is stored exactly once, nginx served through the dead
server's absence, no case escalated twice in one lapse, and the figures are printed; and a
rate-limited key is limited across both app servers, not per process."""

from __future__ import annotations

import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from pathlib import Path

import pytest

URL = os.environ.get("MINSHENG_CLUSTER_URL", "")
DIR = Path(os.environ.get("MINSHENG_CLUSTER_DIR", "/tmp/minsheng-cluster"))  # noqa: S108 (scripts/cluster)
ROOT = Path(__file__).resolve().parents[2]
SECONDS = int(os.environ.get("MINSHENG_CLUSTER_SECONDS", "60"))
CLIENTS = 50

pytestmark = pytest.mark.skipif(
    not URL, reason="the cluster test needs a running cluster: make cluster-test "
    "(scripts/cluster up, then MINSHENG_CLUSTER_URL=http://127.0.0.1:8660)")


def cluster_env() -> dict[str, str]:
    return dict(line.split("=", 1) for line in (DIR / "env").read_text().splitlines() if "=" in line)


def sql(query: str, *args):
    import psycopg  # noqa: PLC0415 (only with a cluster)

    with psycopg.connect(cluster_env()["DATABASE_URL"]) as conn:
        return conn.execute(query, args).fetchall()


def part(action: str, name: str) -> None:
    subprocess.run([str(ROOT / "scripts" / "cluster"), action, name], check=True,
                   env={"MINSHENG_PYTHON": sys.executable, **os.environ,
                        "MINSHENG_CLUSTER_DIR": str(DIR)})


def connect(url: str) -> http.client.HTTPConnection:
    u = urllib.parse.urlsplit(url)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=30)


def post_case(conn, key: str, tag: str) -> tuple[int, dict | list | None, str]:
    body = urllib.parse.urlencode({
        "api_key": key, "service_code": "environment", "lat": "39.52", "long": "116.69",
        "description": f"垃圾未清运 {tag}"})
    conn.request("POST", "/open311/v2/requests.json", body,
                 {"Content-Type": "application/x-www-form-urlencoded"})
    r = conn.getresponse()
    data = r.read()
    try:
        parsed = json.loads(data)
    except ValueError:
        parsed = None
    return r.status, parsed, r.getheader("X-Upstream", "")


def login(url: str) -> tuple[http.client.HTTPConnection, str]:
    conn = connect(url)
    conn.request("GET", "/login/")
    r = conn.getresponse()
    html = r.read().decode()
    cookies = {c.split("=", 1)[0]: c.split("=", 1)[1].split(";")[0]
               for c in r.headers.get_all("Set-Cookie") or []}
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    body = urllib.parse.urlencode({"username": "district", "password": "minsheng-demo",
                                   "csrfmiddlewaretoken": token})
    conn.request("POST", "/login/", body, {
        "Content-Type": "application/x-www-form-urlencoded", "Referer": url + "/login/",
        "Cookie": f"csrftoken={cookies['csrftoken']}"})
    r = conn.getresponse()
    r.read()
    for c in r.headers.get_all("Set-Cookie") or []:
        name, value = c.split(";")[0].split("=", 1)
        cookies[name] = value
    assert r.status == 302 and "sessionid" in cookies, r.status
    return conn, "; ".join(f"{k}={v}" for k, v in cookies.items())


def retry(func, *args, attempts: int = 5):
    for attempt in range(attempts):
        try:
            return func(*args)
        except (AssertionError, OSError, http.client.HTTPException):
            if attempt == attempts - 1:
                raise
            time.sleep(2)
    return None


def test_load_with_a_server_and_a_worker_killed_mid_run():
    run = uuid.uuid4().hex[:8]
    results: list[tuple[float, float, int, str | None, str]] = []  # start, seconds, status, sid, upstream
    reads: list[tuple[str, int, float]] = []
    lock = threading.Lock()
    t0 = time.monotonic()
    stop = t0 + SECONDS

    def client(i: int) -> None:
        conn, n = connect(URL), 0
        while time.monotonic() < stop:
            n += 1
            start = time.monotonic()
            try:
                key = f"cluster-key-{i + CLIENTS * (n % 6)}"  # 6 keys a client, under the limit
                status, data, upstream = post_case(conn, key, f"c{run}-{i}-{n}")
            except (OSError, http.client.HTTPException):
                status, data, upstream = 0, None, ""
                conn.close()
                conn = connect(URL)
            sid = data[0].get("service_request_id") if status in (200, 201) and data else None
            with lock:
                results.append((start - t0, time.monotonic() - start, status, sid, upstream))

    sessions = [retry(login, URL) for _ in range(2)]  # before the load: a log-in is slow on purpose

    def reader(conn, cookie: str) -> None:
        while time.monotonic() < stop:
            for path in ("/cases/", "/indicators/"):
                start = time.monotonic()
                try:
                    conn.request("GET", path, headers={"Cookie": cookie})
                    r = conn.getresponse()
                    r.read()
                    status = r.status
                except (OSError, http.client.HTTPException):
                    status = 0
                    conn.close()
                    conn = connect(URL)
                with lock:
                    reads.append((path, status, time.monotonic() - start))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    threads += [threading.Thread(target=reader, args=session) for session in sessions]
    for t in threads:
        t.start()
    time.sleep(SECONDS / 3)
    part("kill", "app1")
    killed_at = time.monotonic() - t0  # measured after the kill: starting bash takes a while
    part("kill", "worker1")
    time.sleep(SECONDS / 6)
    restarted_at = time.monotonic() - t0
    part("start", "app1")
    part("start", "worker1")
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0

    got = {sid for _, _, _, sid, _ in results if sid}
    stored = sql("SELECT number, count(*) FROM cases_case WHERE description LIKE %s GROUP BY number",
                 f"%c{run}-%")
    stored_numbers = {n for n, _ in stored}
    lost = got - stored_numbers
    per_description = sql("SELECT description, count(*) FROM cases_case WHERE description LIKE %s "
                          "GROUP BY description HAVING count(*) > 1", f"%c{run}-%")
    ok = [r for r in results if r[3]]
    latencies = sorted(r[1] * 1000 for r in ok)
    errors = len(results) - len(ok)
    p50 = statistics.median(latencies)
    p99 = latencies[int(0.99 * (len(latencies) - 1))]
    app1_port = str(int(URL.rsplit(":", 1)[1]) - 8)
    during = [r for r in results if killed_at + 1 < r[0] < restarted_at]
    through_dead = [r for r in during if r[4].endswith(f":{app1_port}") and r[3]]
    escalated_twice = sql(
        "SELECT a.case_id FROM cases_caseevent a JOIN cases_caseevent b ON a.case_id = b.case_id "
        "AND a.id < b.id AND a.action = 'escalated' AND b.action = 'escalated' "
        "AND abs(extract(epoch FROM b.at - a.at)) < 55")
    reads_ok = sum(1 for _, s, _ in reads if s == 200)
    print(f"\ncluster run {run}: {elapsed:.0f} s, {CLIENTS} clients, app1 and worker1 SIGKILLed at "
          f"{killed_at:.0f} s, restarted at {restarted_at:.0f} s\n"
          f"  Open311 POST: {len(results)} sent, {len(ok)} stored ({len(ok) / elapsed:.0f}/s), "
          f"p50 {p50:.0f} ms, p99 {p99:.0f} ms, errors {errors} "
          f"({sorted({r[2] for r in results if not r[3]})}), lost {len(lost)}, "
          f"duplicated {len(per_description) + sum(1 for _, c in stored if c > 1)}\n"
          f"  while app1 was dead: {len(during)} POSTs, {sum(1 for r in during if r[3])} stored, "
          f"{len(through_dead)} through the dead server\n"
          f"  staff reads: {len(reads)} ({reads_ok} × 200)\n"
          f"  cases escalated twice within a tick: {len(escalated_twice)}")
    assert not lost, f"POSTs answered with an id but not stored: {sorted(lost)[:5]}"
    assert not per_description and all(c == 1 for _, c in stored)
    assert during and sum(1 for r in during if r[3]) > 0.9 * len(during), "nginx did not route around"
    assert not through_dead
    assert not escalated_twice
    assert reads and reads_ok > 0.9 * len(reads)
    # the only failures allowed: requests in flight on the killed server (nginx does not resend a
    # POST the dead server may have acted on; the client got a 502 and no id, so nothing is lost)
    unexpected = [r for r in results if not r[3] and not r[0] <= killed_at + 1 <= r[0] + r[1] + 1]
    assert not unexpected, f"{len(unexpected)} failures outside the kill: {unexpected[:5]}"


def test_a_rate_limited_key_is_limited_across_both_app_servers():
    """Requests without a valid key count against the address, in Redis: sent alternately to
    the two app servers directly, the limit is reached after `limit` requests in all, and then
    both refuse; counted per process it would take twice as many (or four times, per worker)."""
    limit = int(cluster_env()["MINSHENG_OPEN311_RATE_PER_MINUTE"])
    port = int(URL.rsplit(":", 1)[1]) - 8
    servers = [connect(f"http://127.0.0.1:{port}"), connect(f"http://127.0.0.1:{port + 1}")]
    first_refusal = None
    for n in range(limit + 20):
        status, _, _ = post_case(servers[n % 2], "not-a-key", f"rate-{n}")
        if status == 429 and first_refusal is None:
            first_refusal = n
    assert first_refusal is not None and first_refusal <= limit
    assert [post_case(c, "not-a-key", "after")[0] for c in servers] == [429, 429]
    print(f"\nrate limit {limit}/min: first 429 after {first_refusal} requests across both servers")
