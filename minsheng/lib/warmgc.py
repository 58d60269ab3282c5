"""Keeping the garbage collector's full passes short in a long-running app server.

A Minsheng process holds about 220,000 objects once it has served its first pages (modules, URL
patterns, compiled templates, translation catalogues, per-process caches). CPython's collector
walks all of them on every full (generation 2) pass: ~100 ms on the 2 cores of our machines,
roughly every hundred requests per process, with every thread of the process stopped. Under a
steady load those pauses were the bursts in the Open311 p99 (bench/open311_cluster_bench.py).

`FreezeAfterWarmup` wraps a WSGI application and calls `gc.freeze()` after the process has served
its first requests: what is alive then moves to the permanent generation, which the collector
no longer walks; garbage made by later requests is collected as before. Freezing again after
more requests catches what the first pages did not load. Pure Python: no Django here.
"""

from __future__ import annotations

import gc
import itertools
from collections.abc import Callable, Iterable

__all__ = ["FREEZE_AFTER", "FreezeAfterWarmup"]

FREEZE_AFTER = (1, 20, 200)  # requests served by this process


class FreezeAfterWarmup:
    def __init__(self, app: Callable, after: Iterable[int] = FREEZE_AFTER) -> None:
        self.app = app
        self.after = frozenset(after)
        self._served = itertools.count(1)  # next() is atomic under the GIL: threads share it

    def __call__(self, environ, start_response):
        try:
            return self.app(environ, start_response)
        finally:
            if next(self._served) in self.after:
                gc.collect()  # what is garbage already is not frozen with the rest
                gc.freeze()
