"""Open311 POST throughput and latency through nginx on the local cluster (scripts/cluster up:
two gunicorn app servers, Redis, PostgreSQL), side by side with its baseline in the same run: a
minimal Django view inserting one row, served by the same gunicorn settings behind the same nginx
(bench/baseline_site.py).

    scripts/cluster up
    .venv/bin/python bench/open311_cluster_bench.py [--seconds 30] [--connections 50]
    scripts/cluster down

Two kinds of load, each on both endpoints:

- closed loop (`wrk`, 50 connections, each sending its next request when the last is answered):
  the most the stack serves; its latency is mostly the queue of 50 waiting requests;
- open loop at a fixed offered rate (`--rate`, 200/s: the issue's "≥ 200/s sustained at p99 <
  100 ms"): requests leave on a schedule whether or not earlier ones were answered, and each
  latency is counted from the moment it was due, so a stall shows as latency (no coordinated
  omission). Sustained means every request answered 2xx, the throughput near the offered rate
  and the p99 within the bound.

Needs `wrk`. The load generators share the machine's cores with the servers.
"""

from __future__ import annotations

import argparse
import http.client
import os
import queue
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from cases_bench import wrk  # noqa: E402

DIR = Path(os.environ.get("MINSHENG_CLUSTER_DIR", "/tmp/minsheng-cluster"))  # noqa: S108 (scripts/cluster)
BASE = int(os.environ.get("MINSHENG_CLUSTER_PORT", "8650"))
URL = f"http://127.0.0.1:{BASE + 10}"

POST_LUA = """
local i = 0
local points = {%s}
request = function()
  i = i + 1
  local p = points[(i %% #points) + 1]
  local body = "api_key=cluster-key-" .. (i %% 300) .. "&service_code=environment" ..
    "&lat=" .. p[1] .. "&long=" .. p[2] .. "&description=%%E5%%9E%%83%%E5%%9C%%BE+bench+" .. i
  return wrk.format("POST", "%s", {["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end
"""


def points(env: dict[str, str], n: int = 300) -> list[tuple[float, float]]:
    """Where the POSTs are: half at the demo district's compounds (some 20 m off, inside the
    150 m a filing looks for a compound), half between two compounds of one community (a street,
    a square: located to the community and its grid, often no compound). Fixed by a seed."""
    import psycopg  # noqa: PLC0415 (the bench's own read of the cluster database)

    with psycopg.connect(env["DATABASE_URL"]) as conn:
        rows = conn.execute("SELECT region_id, lat, lng FROM places_compound WHERE region_id "
                            "LIKE '131002%' AND lat IS NOT NULL ORDER BY id").fetchall()
    by_community: dict[str, list[tuple[float, float]]] = {}
    for region, lat, lng in rows:
        by_community.setdefault(region, []).append((lat, lng))
    pairs = [v for v in by_community.values() if len(v) > 1]
    rng = random.Random(311)
    out = []
    for i in range(n):
        if i % 2 == 0:
            _region, lat, lng = rows[rng.randrange(len(rows))]
            out.append((lat + rng.uniform(-0.0002, 0.0002), lng + rng.uniform(-0.0002, 0.0002)))
        else:
            (a, b), (c, d) = rng.sample(pairs[rng.randrange(len(pairs))], 2)
            w = rng.uniform(0.3, 0.7)
            out.append((a + w * (c - a), b + w * (d - b)))
    return out


def open_loop(path: str, rate: float, seconds: int, where: list[tuple[float, float]],
              clients: int = 64, verbose: bool = False) -> dict:
    """Offer `rate` POSTs a second for `seconds` through nginx; latency from each one's due time."""
    n = int(rate * seconds)
    interval = 1.0 / rate
    latency: list[float | None] = [None] * n
    status: list[int] = [0] * n
    jobs: queue.Queue[int | None] = queue.Queue()
    start = time.perf_counter() + 0.5
    wall = time.time() + 0.5
    headers = {"Content-Type": "application/x-www-form-urlencoded"}

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", BASE + 10, timeout=30)
        while (i := jobs.get()) is not None:
            lat, lng = where[i % len(where)]
            body = (f"api_key=cluster-key-{i % 300}&service_code=environment&lat={lat:.6f}"
                    f"&long={lng:.6f}&description=%E5%9E%83%E5%9C%BE+rate+{i}")
            try:
                conn.request("POST", path, body, headers)
                resp = conn.getresponse()
                resp.read()
                status[i] = resp.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", BASE + 10, timeout=30)
                status[i] = -1
            latency[i] = time.perf_counter() - (start + i * interval)

    pool = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for t in pool:
        t.start()
    for i in range(n):
        wait = start + i * interval - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        jobs.put(i)
    for _ in pool:
        jobs.put(None)
    for t in pool:
        t.join(60)
    elapsed = time.perf_counter() - start
    done = sorted(x for x in latency if x is not None)
    ok = sum(200 <= s < 300 for s in status)

    def pct(q: float) -> float:
        return done[min(len(done) - 1, int(q * len(done)))] * 1000 if done else float("nan")

    codes = Counter(s for s in status if not 200 <= s < 300)
    # where the tail sits in time: spread over the run (a queue) or in a few seconds (a stall)
    slow = Counter(int(i * interval) for i, x in enumerate(latency) if x is not None and x > 0.1)
    return {"slow": f"{sum(slow.values())} over 100 ms in {len(slow)} of {seconds} seconds"
                    + (f", the worst second {max(slow.values())}" if slow else "")
            + (" (" + ", ".join(f"{time.strftime('%H:%M:%S', time.localtime(wall + k))}: {n}"
                                for k, n in sorted(slow.items())) + ")" if verbose else ""),
            "offered": rate, "rps": ok / elapsed, "p50": pct(0.50), "p99": pct(0.99),
            "max": done[-1] * 1000 if done else float("nan"), "errors": n - ok,
            "codes": ", ".join(f"{c if c > 0 else 'no answer'}: {k}"
                               for c, k in sorted(codes.items()))}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--rate", type=float, default=200.0,
                    help="offered POSTs a second of the open-loop run (0: skip it)")
    ap.add_argument("--verbose", action="store_true",
                    help="name the seconds of the open-loop run that held requests over 100 ms")
    args = ap.parse_args()
    if not (DIR / "env").exists():
        sys.exit("the cluster is not up: scripts/cluster up")
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk (make bench installs it)")
    env = {**os.environ, **dict(line.split("=", 1) for line in (DIR / "env").read_text()
                                .splitlines() if "=" in line)}
    workers = env.get("MINSHENG_CLUSTER_GUNICORN_WORKERS", "2")
    threads = env.get("MINSHENG_CLUSTER_GUNICORN_THREADS", "4")
    baseline = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "baseline_site:application", "--chdir",
         str(ROOT / "bench"), "-b", f"127.0.0.1:{BASE + 4}", "-w", workers, "--threads", threads,
         "--log-level", "warning"], env=env, start_new_session=True)
    (DIR / "baseline.pid").write_text(str(baseline.pid))
    try:
        deadline = time.monotonic() + 60
        while True:  # the baseline answers before it is measured (a fixed sleep was too short)
            try:
                socket.create_connection(("127.0.0.1", BASE + 4), timeout=1).close()
                break
            except OSError:
                if baseline.poll() is not None or time.monotonic() > deadline:
                    sys.exit("the baseline server did not start (bench/baseline_site.py)")
                time.sleep(0.2)
        time.sleep(1)
        # every app server worker parses its outlines and reads its tables on its first POSTs:
        # a warm-up, not measured, so that both runs see the servers as they are after a minute
        where = points(env)
        open_loop("/open311/v2/requests.json", 50, 6, where)
        rows = []
        for label, path in (("baseline: minimal Django view inserting one row", "/_baseline"),
                            ("Open311 POST requests.json (file + locate + route + events)",
                             "/open311/v2/requests.json")):
            lua = Path(tempfile.mkstemp(suffix=".lua")[1])
            lua.write_text(POST_LUA % (", ".join(f"{{{a:.6f}, {b:.6f}}}" for a, b in where),
                                       path))
            rows.append((label, wrk(URL, args.seconds, str(lua), connections=args.connections)))
            lua.unlink()
        paced = []
        if args.rate:
            for label, path in (("baseline: minimal Django view inserting one row", "/_baseline"),
                                ("Open311 POST requests.json", "/open311/v2/requests.json")):
                time.sleep(2)  # the closed-loop run's queues drain first
                paced.append((label, open_loop(path, args.rate, args.seconds, where,
                                               verbose=args.verbose)))
    finally:
        os.killpg(baseline.pid, signal.SIGTERM)
        baseline.wait()
    load = os.getloadavg()[0]
    print(f"Open311 through nginx, 2 app servers × {workers} gunicorn workers × {threads} threads, "
          f"{args.connections} connections, {args.seconds} s each, load average {load:.1f}")
    print(f"{'':62} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}")
    for label, r in rows:
        print(f"{label:62} {r['rps']:8.0f} {r['p50']:8.1f} {r['p99']:8.1f} {r['errors']:8}")
    if paced:
        print(f"\nopen loop: {args.rate:.0f} POSTs a second offered for {args.seconds} s, latency "
              f"from each request's due time (64 client threads)")
        print(f"{'':62} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'non-2xx':>8}")
        for label, r in paced:
            print(f"{label:62} {r['rps']:8.0f} {r['p50']:8.1f} {r['p99']:8.1f} {r['max']:8.0f} "
                  f"{r['errors']:8}" + (f"  ({r['codes']})" if r["codes"] else ""))
            print(f"{'':62} {r['slow']}")
        r = paced[-1][1]
        met = r["errors"] == 0 and r["rps"] >= 0.97 * args.rate and r["p99"] < 100
        print(f"aim ≥ 200/s sustained at p99 < 100 ms: {'met' if met else 'MISSED'} at "
              f"{args.rate:.0f}/s offered (p99 {r['p99']:.0f} ms, {r['errors']} not 2xx)")


if __name__ == "__main__":
    main()
