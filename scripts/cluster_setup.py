"""Prepares the database of the local cluster (scripts/cluster up): schema, cache table, the demo
district 安次区 with its accounts, routing rules and cases, the Open311 keys of the load test,
and the schedules. Run once, before the app servers and workers start."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minsheng.settings")

KEYS = 300  # six Open311 keys per load client (the rate limit counts per key)


def main() -> None:  # noqa: PLR0915
    import django  # noqa: PLC0415 (settings first)

    django.setup()
    from django.core.management import call_command  # noqa: PLC0415

    from minsheng.accounts.demo import create_demo_accounts  # noqa: PLC0415
    from minsheng.cases.demo import demo_api_key, demo_routing_rules  # noqa: PLC0415
    from minsheng.cases.demo import generate as generate_cases  # noqa: PLC0415
    from minsheng.cases.models import ApiKey  # noqa: PLC0415
    from minsheng.places.demo import generate  # noqa: PLC0415
    from minsheng.places.models import Region  # noqa: PLC0415
    from minsheng.web.jobs import ensure_schedules  # noqa: PLC0415

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
    generate("131002", progress=lambda *_: None)
    create_demo_accounts("131002")
    demo_routing_rules(Region.objects.get(code="131002000000"))
    demo_api_key()
    generate_cases("131002", n=300, progress=lambda *_: None)
    ApiKey.objects.bulk_create([ApiKey(name=f"cluster-{i}", digest=ApiKey.hash(f"cluster-key-{i}"))
                                for i in range(KEYS)], ignore_conflicts=True)
    ensure_schedules()
    print("cluster database ready")


if __name__ == "__main__":
    main()
