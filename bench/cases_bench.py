"""Open311 POST throughput and latency, device alarm bursts, and case list queries over 1,000,000
cases, on PostgreSQL behind the production server (`minsheng serve`: gunicorn and the background
workers), side by side with a minimal Django view on the same stack in the same run.

Run (starts and removes its own PostgreSQL):

    scripts/with-postgres .venv/bin/python bench/cases_bench.py [--seconds 20] [--cases 1000000]

Device alarms go to POST /api/devices/alarms/ as the devices send them (a JSON array per POST, or
one alarm per POST) from 50 smart bins, under the real per-key rate limit: the load rotates over
200 keys of the bins' organisation so the limit (120 batches a minute per key) is not what is
measured. `--server gunicorn` runs bare gunicorn (sync workers) as the figures before 2026-12-04.

Needs `wrk` (Debian package) for the HTTP load; it runs in its own process, on the same 2 cores as
the server, so the figures are a floor for a machine with a separate load generator.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minsheng.settings")
os.environ.setdefault("MINSHENG_SECRET_KEY", "bench-secret-key-not-for-production-0123456789")
os.environ["MINSHENG_OPEN311_RATE_PER_MINUTE"] = "0"  # no rate limit while measuring throughput


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


DEVICE_KEYS = [f"bench-device-key-{i:03d}" for i in range(200)]


def setup() -> tuple[str, list[tuple[float, float]], list[str]]:
    import django

    django.setup()
    from django.core.management import call_command

    from minsheng.cases.demo import DEMO_API_KEY, demo_api_key, demo_routing_rules
    from minsheng.cases.models import Device, DeviceKey
    from minsheng.places.demo import generate
    from minsheng.places.models import Compound, Organisation, Region

    call_command("migrate", verbosity=0)
    generate("131002", progress=lambda *_: None)
    # no demo accounts: `minsheng serve` refuses to start while any has the demo password
    demo_routing_rules(Region.objects.get(code="131002000000"))
    demo_api_key()
    pts = list(Compound.objects.in_region("131002").values_list("lng", "lat")[:200])
    comps = list(Compound.objects.in_region("131002").order_by("pk")[:50])
    org = Organisation.objects.filter(region_id="131002000000").order_by("pk").first()
    DeviceKey.objects.bulk_create([DeviceKey(name=k, digest=DeviceKey.hash(k), organisation=org)
                                   for k in DEVICE_KEYS])
    Device.objects.bulk_create([Device(
        organisation=org, code=f"BIN-{i:04d}", name=f"智能垃圾桶{i}", kind="bin", compound=c,
        alarm_types={"full": "street_order"}) for i, c in enumerate(comps)])
    return DEMO_API_KEY, pts, [f"BIN-{i:04d}" for i in range(len(comps))]


def wrk(url: str, seconds: int, script: str | None = None, connections: int = 16) -> dict:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if script:
        cmd[1:1] = ["-s", script]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def ms(label: str) -> float:
        m = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)", out)
        v, unit = float(m.group(1)), m.group(2)
        return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v

    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": ms("50"), "p99": ms("99"),
            "errors": int(non2xx.group(1)) if non2xx else 0}


POST_LUA = """
local pts = {%s}
local i = 0
request = function()
  i = i + 1
  local p = pts[(i %% #pts) + 1]
  local body = "api_key=%s&service_code=environment&lat=" .. p[2] .. "&long=" .. p[1] ..
    "&description=%%E5%%9E%%83%%E5%%9C%%BE%%E6%%9C%%AA%%E6%%B8%%85%%E8%%BF%%90+" .. i
  return wrk.format("POST", "/open311/v2/requests.json",
    {["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end
"""


ALARM_LUA = """
local keys = {%s}
local devs = {%s}
local burst = %d
local bodies = {}
for n, d in ipairs(devs) do
  local t = {}
  for j = 1, burst do t[j] = '{"device_id":"' .. d .. '","type":"full"}' end
  bodies[n] = "[" .. table.concat(t, ",") .. "]"
end
local i = 0
request = function()
  i = i + 1
  return wrk.format("POST", "/api/devices/alarms/",
    {["Content-Type"] = "application/json",
     ["Authorization"] = "Bearer " .. keys[(i %% #keys) + 1]}, bodies[(i %% #bodies) + 1])
end
"""


def http_bench(seconds: int, key: str, pts, devices: list[str], *, server: str = "serve",
               workers: int = 2, threads: int = 1, connections: int = 8,
               burst: int = 100) -> list[tuple[str, dict]]:
    port = free_port()
    env = {**os.environ, "MINSHENG_ALLOWED_HOSTS": "127.0.0.1,localhost", "MINSHENG_DEBUG": "0",
           "MINSHENG_REQUIRE_2FA": "false"}
    if server == "serve":  # what production runs: checks, gunicorn (4 threads a worker), workers
        cmd = [sys.executable, "-m", "minsheng.cli", "serve", "--port", str(port),
               "--workers", str(workers)]
    else:
        cmd = [sys.executable, "-m", "gunicorn", "minsheng.wsgi:application", "-b",
               f"127.0.0.1:{port}", "-w", str(workers), "--threads", str(threads),
               "--log-level", "warning"]
    server_proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                                   start_new_session=True)
    try:
        for _ in range(300):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.3):
                    break
            except OSError:
                time.sleep(0.2)
        base = f"http://127.0.0.1:{port}"
        lua = Path(tempfile.mkstemp(suffix=".lua")[1])
        lua.write_text(POST_LUA % (",".join(f"{{{x},{y}}}" for x, y in pts), key))
        keys = ",".join(f'"{k}"' for k in DEVICE_KEYS)
        devs = ",".join(f'"{d}"' for d in devices)
        bursts = Path(tempfile.mkstemp(suffix=".lua")[1])
        bursts.write_text(ALARM_LUA % (keys, devs, burst))
        single = Path(tempfile.mkstemp(suffix=".lua")[1])
        single.write_text(ALARM_LUA % (keys, devs, 1))
        c = connections
        rows = [("minimal Django view (GET /healthz, one SELECT 1)",
                 wrk(base + "/healthz", seconds, connections=c)),
                ("Open311 POST requests.json (file + locate + route + events)",
                 wrk(base, seconds, str(lua), connections=c)),
                (f"device alarms POST, bursts of {burst} (alarms/s = req/s × {burst})",
                 wrk(base, seconds, str(bursts), connections=c)),
                ("device alarms POST, one alarm per POST",
                 wrk(base, seconds, str(single), connections=c)),
                ("Open311 GET requests.json (public list, page_size 50)",
                 wrk(base + "/open311/v2/requests.json?page_size=50", seconds, connections=c))]
        for f in (lua, bursts, single):
            f.unlink()
        return rows
    finally:
        os.killpg(server_proc.pid, signal.SIGTERM)  # gunicorn and its background workers
        with contextlib.suppress(subprocess.TimeoutExpired):
            server_proc.wait(timeout=20)
        # a background worker still stopping would hold the database and our stdout
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server_proc.pid, signal.SIGKILL)
        server_proc.wait()


def bulk_cases(n: int) -> None:
    """Copy the filed cases into n rows spread over a year and over the district's compounds,
    with one SQL statement (generate_series)."""
    from django.db import connection

    from minsheng.cases.models import Case

    have = Case.objects.count()
    if have >= n:
        return
    with connection.cursor() as cur:
        cur.execute("""
        WITH t AS (SELECT array_agg(id ORDER BY id) AS ids FROM cases_case),
             k AS (SELECT array_agg(id ORDER BY id) AS ids FROM places_compound)
        INSERT INTO cases_case (number, token, case_type_id, description, status, channel,
            region_id, grid_id, compound_id, lat, lng, address, reporter_id, reporter_name,
            reporter_phone, organisation_id, assignee_id, created_at, accept_due, resolve_due,
            accepted_at, resolved_at, closed_at, escalation_level, overdue, outcome, verdict,
            rating, reopen_count, duplicate_of_id, external_id, attributes, public, generated)
        SELECT 'B' || g, md5(g::text), tc.case_type_id, tc.description,
            (ARRAY['assigned','accepted','resolved','closed','closed','closed'])[1 + g %% 6],
            tc.channel, cc.region_id, cc.grid_id, cc.id, cc.lat, cc.lng, tc.address, NULL, '',
            '', tc.organisation_id, NULL, now() - (g %% 365) * interval '1 day',
            now() - (g %% 365) * interval '1 day' + interval '1 day',
            now() - (g %% 365) * interval '1 day' + interval '7 day', NULL, NULL, NULL, 0,
            false, '', '', NULL, 0, NULL, '', '{}'::jsonb, true, true
        FROM generate_series(1, %s) g CROSS JOIN t CROSS JOIN k
        JOIN cases_case tc ON tc.id = t.ids[1 + g %% array_length(t.ids, 1)]
        JOIN places_compound cc ON cc.id = k.ids[1 + g %% array_length(k.ids, 1)]
        """, [n - have])
    with connection.cursor() as cur:
        cur.execute("ANALYZE cases_case")


def query_bench(repeats: int = 200) -> list[tuple[str, dict]]:
    from minsheng.cases.models import Case

    org = Case.objects.values_list("organisation_id", flat=True).first()
    queries = {
        "organisation queue (open, newest 50)": lambda: list(Case.objects.filter(
            organisation_id=org, status__in=["assigned", "accepted"]).order_by(
            "-created_at")[:50].values_list("id", flat=True)),
        "street list (region prefix, newest 50)": lambda: list(Case.objects.filter(
            region__code__startswith="131002001").order_by("-created_at")[:50].values_list(
            "id", flat=True)),
        "overdue check (SLA job's query)": lambda: list(Case.objects.filter(
            status="assigned", accept_due__lt=__import__("django.utils.timezone", fromlist=["now"]).now()).values_list("id", flat=True)[:1000]),
        "count by status for a street and month": lambda: list(Case.objects.filter(
            region__code__startswith="131002001", created_at__gte=__import__("django.utils.timezone", fromlist=["now"]).now() - __import__("datetime").timedelta(days=30)).values(
            "status").order_by().annotate(n=__import__("django.db.models", fromlist=["Count"])
                                         .Count("id"))),
    }
    out = []
    for name, fn in queries.items():
        fn()
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        out.append((name, {"p50": statistics.median(times),
                           "p95": times[int(0.95 * len(times)) - 1]}))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--cases", type=int, default=1_000_000)
    ap.add_argument("--server", choices=["serve", "gunicorn"], default="serve")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1, help="--server gunicorn only")
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--burst", type=int, default=100)
    ap.add_argument("--skip-queries", action="store_true", help="HTTP figures only")
    args = ap.parse_args()
    if "DATABASE_URL" not in os.environ:
        sys.exit("Run under scripts/with-postgres (the benchmark is about PostgreSQL).")
    if shutil.which("wrk") is None:
        sys.exit("Needs wrk, the HTTP load generator: apt-get install wrk (make bench installs it).")
    key, pts, devices = setup()
    how = (f"minsheng serve ({args.workers} workers × 4 threads, background workers running)"
           if args.server == "serve" else f"gunicorn {args.workers} workers × {args.threads} threads")
    print(f"HTTP, {how}, wrk 2 threads × {args.connections} connections, {args.seconds} s each")
    print(f"{'endpoint':<66} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}")
    for name, r in http_bench(args.seconds, key, pts, devices, server=args.server,
                              workers=args.workers, threads=args.threads,
                              connections=args.connections, burst=args.burst):
        print(f"{name:<66} {r['rps']:>8.0f} {r['p50']:>8.1f} {r['p99']:>8.1f} {r['errors']:>8}")
    if args.skip_queries:
        return
    from minsheng.cases.models import Case

    t = time.perf_counter()
    bulk_cases(args.cases)
    print(f"\n{Case.objects.count():,} cases in PostgreSQL (bulk insert {time.perf_counter() - t:.0f} s)")
    print(f"{'query':<62} {'p50 ms':>8} {'p95 ms':>8}")
    for name, r in query_bench():
        print(f"{name:<62} {r['p50']:>8.2f} {r['p95']:>8.2f}")


if __name__ == "__main__":
    main()
