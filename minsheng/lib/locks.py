"""Exactly-once scheduled work across several workers and app servers, on the shared cache
(Redis in a cluster, the database table otherwise), whose `add` is atomic on every backend.

    with once_per_tick("cases-sla", every=60, ttl=600) as mine:
        if mine:
            ...  # only one worker anywhere runs this, once per 60-second tick

Two claims, both with `cache.add`:
- the tick (``job:<name>:tick:<n>``, never released, expires after two ticks): a second run of
  the same tick (django-q2's scheduler queued it twice, a retried task) does nothing;
- the run (``job:<name>:running``, released at the end, expires after `ttl` so a worker killed
  mid-run does not block the job for ever): a slow run is never overlapped by the next tick.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.cache import cache

__all__ = ["once_per_tick"]


@contextmanager
def once_per_tick(name: str, *, every: int, ttl: int, now: float | None = None
                  ) -> Iterator[bool]:
    tick = int((time.time() if now is None else now) // every)
    running, token = f"job:{name}:running", secrets.token_hex(8)
    if not cache.add(running, token, ttl):
        yield False
        return
    try:
        yield cache.add(f"job:{name}:tick:{tick}", token, 2 * every)
    finally:
        if cache.get(running) == token:  # never release a lock that expired and is another's
            cache.delete(running)
