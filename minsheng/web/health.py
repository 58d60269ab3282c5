"""Health checks for load balancers, systemd and container engines (docs/deploy.md).

- ``/healthz`` (liveness): the process answers; touches nothing else, so a database outage does
  not make every app server look dead and get restarted in a loop.
- ``/readyz`` (readiness): the database, the cache (Redis in a cluster: rate limits, task queue)
  and the file storage each answer; otherwise 503 naming what failed, so nginx or the
  orchestrator stops sending requests to a server that cannot serve them.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import connections
from django.http import HttpResponse
from django.views.decorators.cache import never_cache

from minsheng.lib.files import is_remote

log = logging.getLogger(__name__)


def check_database() -> None:
    with connections["default"].cursor() as cur:
        cur.execute("SELECT 1")
        if cur.fetchone()[0] != 1:
            raise RuntimeError("SELECT 1")


def check_cache() -> None:
    key, value = f"readyz:{secrets.token_hex(8)}", secrets.token_hex(8)
    cache.set(key, value, 10)
    if cache.get(key) != value:
        raise RuntimeError("the cache did not keep a value")
    cache.delete(key)


def check_storage() -> None:
    storage = default_storage
    if is_remote(storage):
        storage.connection.meta.client.head_bucket(Bucket=storage.bucket_name)
        return
    root = Path(settings.MEDIA_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    if not os.access(root, os.W_OK | os.X_OK):
        raise RuntimeError(f"{root} is not writable")


CHECKS = {"database": check_database, "cache": check_cache, "storage": check_storage}


@never_cache
def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


@never_cache
def readyz(request):
    parts, ok = {}, True
    for name, check in CHECKS.items():
        try:
            check()
            parts[name] = "ok"
        except Exception as e:  # noqa: BLE001 (any failure means not ready; named, logged)
            log.warning("readyz: %s failed: %s", name, e)
            parts[name] = f"failed: {type(e).__name__}"
            ok = False
    return HttpResponse(json.dumps({"ready": ok, **parts}), status=200 if ok else 503,
                        content_type="application/json")
