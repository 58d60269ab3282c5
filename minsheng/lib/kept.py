"""Values every request reads and that change rarely, kept per process for a while.

`Kept(ttl)` holds values by key for `ttl` seconds (time.monotonic), loading a missing or stale one
with the caller's `load()`; past `limit` keys it starts afresh, so odd keys never grow it without
end. `forget_on_write(Model, …)` clears it when this process saves or deletes such a row
(signals): a write is seen at once by the process that made it, and by the other app servers of a
cluster within `ttl`. Used for the working calendar (cases.clocks), the routing tables
(cases.routing) and the fileable categories (cases.open311).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Any

from django.db.models.signals import post_delete, post_save

__all__ = ["Kept"]


class Kept:
    def __init__(self, name: str, ttl: float, limit: int = 50_000) -> None:
        self.name, self.ttl, self.limit = name, ttl, limit
        self._data: dict[Hashable, tuple[float, Any]] = {}

    def get(self, key: Hashable, load: Callable[[], Any]) -> Any:
        now = time.monotonic()
        hit = self._data.get(key)
        if hit is not None and now - hit[0] < self.ttl:
            return hit[1]
        value = load()
        if len(self._data) >= self.limit:
            self._data.clear()
        self._data[key] = (now, value)
        return value

    def clear(self, **_signal_kwargs) -> None:
        self._data.clear()

    def forget_on_write(self, *models) -> None:
        for model in models:
            uid = f"kept.{self.name}.{model._meta.label}"
            post_save.connect(self.clear, sender=model, dispatch_uid=f"{uid}.saved", weak=False)
            post_delete.connect(self.clear, sender=model, dispatch_uid=f"{uid}.deleted",
                                weak=False)
