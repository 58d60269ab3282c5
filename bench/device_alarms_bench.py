"""Device alarm intake (POST /api/devices/alarms/) in alarms per second, beside a baseline: a
minimal Django view that parses the same JSON body and inserts one row per POST.

In-process (Django's test client, the full middleware stack, no HTTP server) on a throwaway
SQLite database, so the figures compare the two paths on one stack; the run over HTTP against
`minsheng serve` on PostgreSQL, beside the Open311 figures, is bench/cases_bench.py.

    .venv/bin/python bench/device_alarms_bench.py [--posts 200] [--burst 100]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VAR = tempfile.mkdtemp(prefix="minsheng-alarm-bench-")
os.environ["MINSHENG_VAR_DIR"] = VAR
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minsheng.settings")
os.environ.setdefault("MINSHENG_SECRET_KEY", "bench-secret-key-not-for-production-0123456789")

KEY = "bench-device-key"


def baseline_view(request):
    """The floor: parse the body, insert one row."""
    from django.http import JsonResponse

    from minsheng.cases.models import Notification

    items = json.loads(request.body)
    Notification.objects.create(organisation_id=BASE["org"], case_id=BASE["case"],
                                message=str(len(items)))
    return JsonResponse({"ok": True})


BASE: dict = {}


def setup():
    import django
    from django.conf import settings

    django.setup()
    from django.core.management import call_command
    from django.urls import path
    from django.views.decorators.csrf import csrf_exempt

    import minsheng.urls
    from minsheng.cases import devices
    from minsheng.cases.demo import demo_routing_rules
    from minsheng.cases.models import Case, CaseType, Device, DeviceKey
    from minsheng.cases.workflow import do_file
    from minsheng.places.demo import generate
    from minsheng.places.models import Compound, Organisation, Region

    settings.ALLOWED_HOSTS = ["*"]
    devices.RATE.limit = 0  # measure throughput, not the limiter
    minsheng.urls.urlpatterns.insert(0, path("bench/baseline/", csrf_exempt(baseline_view)))
    call_command("migrate", verbosity=0)
    generate("131002", progress=lambda *_: None)
    demo_routing_rules(Region.objects.get(code="131002000000"))
    comps = list(Compound.objects.in_region("131002").order_by("pk")[:50])
    org = Organisation.objects.filter(region_id="131002000000").order_by("pk").first()
    DeviceKey.objects.create(name="bench", digest=DeviceKey.hash(KEY), organisation=org)
    Device.objects.bulk_create([Device(
        organisation=org, code=f"DEV-{i:04d}", name=f"设备{i}", kind="bin", compound=c,
        alarm_types={"full": "street_order"}) for i, c in enumerate(comps)])
    case = do_file(case_type=CaseType.objects.get(code="street_order"), compound=comps[0],
                   description="bench", channel=Case.Channel.STAFF)
    BASE.update(org=org.pk, case=case.pk)
    return len(comps)


def run(posts: int, burst: int, n_devices: int) -> None:
    from django.test import Client

    c = Client()
    auth = {"authorization": f"Bearer {KEY}"}

    def measure(url: str, body_for) -> tuple[float, float, float]:
        times = []
        for i in range(posts):
            body = json.dumps(body_for(i))
            t = time.perf_counter()
            r = c.post(url, body, content_type="application/json", headers=auth)
            times.append(time.perf_counter() - t)
            assert r.status_code == 200, r.content[:200]
        times.sort()
        total = sum(times)
        return total, statistics.median(times) * 1000, times[int(len(times) * 0.99) - 1] * 1000

    def alarms(i):
        dev = f"DEV-{i % n_devices:04d}"
        return [{"device_id": dev, "type": "full"}] * burst

    rows = [("baseline: minimal view, one row per POST", measure("/bench/baseline/", alarms)),
            (f"device alarms, bursts of {burst}", measure("/api/devices/alarms/", alarms)),
            ("device alarms, one per POST", measure("/api/devices/alarms/",
                                                    lambda i: alarms(i)[:1]))]
    print(f"{'path':44} {'POST/s':>8} {'alarms/s':>10} {'p50 ms':>8} {'p99 ms':>8}")
    for name, (total, p50, p99) in rows:
        per_post = 1 if "one per POST" in name else burst
        print(f"{name:44} {posts / total:8.0f} {posts * per_post / total:10.0f} "
              f"{p50:8.1f} {p99:8.1f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--posts", type=int, default=200)
    ap.add_argument("--burst", type=int, default=100)
    a = ap.parse_args()
    n = setup()
    run(a.posts, a.burst, n)


if __name__ == "__main__":
    main()
