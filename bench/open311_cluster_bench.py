"""Open311 POST throughput and latency through nginx on the local cluster (scripts/cluster up:
two gunicorn app servers, Redis, PostgreSQL), side by side with its baseline in the same run: a
minimal Django view inserting one row, served by the same gunicorn settings behind the same nginx
(bench/baseline_site.py).

    scripts/cluster up
    .venv/bin/python bench/open311_cluster_bench.py [--seconds 30] [--connections 50]
    scripts/cluster down

Needs `wrk`. The load generator shares the machine's cores with the servers.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from cases_bench import wrk  # noqa: E402

DIR = Path(os.environ.get("MINSHENG_CLUSTER_DIR", "/tmp/minsheng-cluster"))  # noqa: S108 (scripts/cluster)
BASE = int(os.environ.get("MINSHENG_CLUSTER_PORT", "8650"))
URL = f"http://127.0.0.1:{BASE + 10}"

POST_LUA = """
local i = 0
request = function()
  i = i + 1
  local body = "api_key=cluster-key-" .. (i %% 300) .. "&service_code=environment" ..
    "&lat=39.52&long=116.69&description=%%E5%%9E%%83%%E5%%9C%%BE+bench+" .. i
  return wrk.format("POST", "%s", {["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--connections", type=int, default=50)
    args = ap.parse_args()
    if not (DIR / "env").exists():
        sys.exit("the cluster is not up: scripts/cluster up")
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
        rows = []
        for label, path in (("baseline: minimal Django view inserting one row", "/_baseline"),
                            ("Open311 POST requests.json (file + locate + route + events)",
                             "/open311/v2/requests.json")):
            lua = Path(tempfile.mkstemp(suffix=".lua")[1])
            lua.write_text(POST_LUA % path)
            rows.append((label, wrk(URL, args.seconds, str(lua), connections=args.connections)))
            lua.unlink()
    finally:
        os.killpg(baseline.pid, signal.SIGTERM)
        baseline.wait()
    load = os.getloadavg()[0]
    print(f"Open311 through nginx, 2 app servers × {workers} gunicorn workers × {threads} threads, "
          f"{args.connections} connections, {args.seconds} s each, load average {load:.1f}")
    print(f"{'':62} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}")
    for label, r in rows:
        print(f"{label:62} {r['rps']:8.0f} {r['p50']:8.1f} {r['p99']:8.1f} {r['errors']:8}")


if __name__ == "__main__":
    main()
