"""Download responses and the rate limiter for public posting.

- `download(content, filename, content_type)`: a file response whose Chinese name survives every
  browser: an ASCII fallback `filename="…"` plus the RFC 5987 `filename*=UTF-8''…` that modern
  browsers prefer (RFC 6266 §4.3).
- `StrictJSONParser`: the API's JSON parser (settings.REST_FRAMEWORK): `lib.text.json_loads`,
  so a lone surrogate or NaN in a body is a 400 with a message, never a 500 on the way out.
- `RateLimit`: a sliding-window limit over the Django cache, shared by every process that shares
  the cache (the database cache by default, Redis when configured); used by the resident form (5 filings an hour per address and per session) and by
  Open311 POSTs (N a minute per API key or address).
"""

from __future__ import annotations

import hashlib
import math
import re
import time
from collections.abc import Iterable
from urllib.parse import quote

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpResponse
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from minsheng.lib.text import json_loads

__all__ = ["RateLimit", "StrictJSONParser", "content_disposition", "download"]

_UNSAFE = re.compile(r'[^A-Za-z0-9._\- ]+')


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """The Content-Disposition value for `filename`, with an ASCII fallback.

    >>> content_disposition("民生指标_安次区_2025.xlsx")
    'attachment; filename="2025.xlsx"; filename*=UTF-8\\'\\'%E6%B0%91%E7%94%9F%E6%8C%87%E6%A0%87_%E5%AE%89%E6%AC%A1%E5%8C%BA_2025.xlsx'
    >>> content_disposition('a"b\\r\\n.pdf', inline=True)
    'inline; filename="a_b_.pdf"; filename*=UTF-8\\'\\'a%22b%0D%0A.pdf'
    """
    fallback = _UNSAFE.sub("_", filename).strip("_ ") or "download"
    if fallback.startswith("."):
        fallback = "download" + fallback
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def download(content: bytes, filename: str, content_type: str, *,
             inline: bool = False) -> HttpResponse:
    """A response that saves (or, inline, shows) `content` under `filename`."""
    resp = HttpResponse(content, content_type=content_type)
    resp["Content-Disposition"] = content_disposition(filename, inline=inline)
    resp["X-Content-Type-Options"] = "nosniff"
    return resp


class RateLimit:
    """At most `limit` events per `window` seconds for each key, counted in the shared cache.

    `wait(keys)` says how many seconds until every key may act again (0: now); `hit(keys)` records
    an event; `take(keys)` does both at once and records only when allowed. A limit of 0 turns
    the limiter off.

    The window slides, approximated by two fixed windows (aligned on multiples of `window`): an
    event is allowed while ``previous × (1 − elapsed / window) + current + 1 ≤ limit``, where
    `current` counts this fixed window's events, `previous` the last one's and `elapsed` is the
    time since this one began. No fixed window ever holds more than `limit` events; a burst
    timed on both sides of a boundary is capped by the weight of the previous window.

    Two ways of counting, by the cache's backend, with the same arithmetic:

    - On the database cache every event is a slot of its own (``…:<window number>:<slot>``)
      claimed with `cache.add`, which is atomic there (a unique key), so processes sharing the
      cache never lose or double-count an event; `cache.incr` is a read then a write on the
      database cache and could.
    - On Redis (a cluster's shared cache) a window is one counter (``…:<window number>:n``) raised
      with INCR, atomic, in one pipelined round trip with the previous window's count; a raise
      past the room is taken back at once (DECR), so no fixed window ever holds more than its
      room either. Reading a window's slots was an MGET of 2 × limit keys per event: 14 % of an
      Open311 POST's time at a limit of 120 (bench/open311_cluster_bench.py).

    Keys are hashed: no address or session in the cache.
    """

    def __init__(self, name: str, limit: int, window: int) -> None:
        self.name, self.limit, self.window = name, limit, window

    def _prefix(self, key: str, number: int) -> str:
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        return f"ratelimit:{self.name}:{digest}:{number}"

    def _slots(self, key: str, number: int, upto: int | None = None) -> list[str]:
        prefix = self._prefix(key, number)
        return [f"{prefix}:{i}" for i in range(self.limit if upto is None else upto)]

    @staticmethod
    def _counting() -> bool:
        """True when the cache raises a counter atomically across processes (Redis's INCR)."""
        return isinstance(caches["default"], RedisCache)

    def _counter(self, key: str, number: int) -> str:
        return f"{self._prefix(key, number)}:n"

    def _tallies(self, key: str, now: float) -> tuple[int, int, float]:
        """Counter mode: (events this fixed window, the previous one's, seconds into this one),
        in one read."""
        number = int(now // self.window)
        current, previous = self._counter(key, number), self._counter(key, number - 1)
        found = cache.get_many([current, previous])
        return (int(found.get(current, 0)), int(found.get(previous, 0)),
                now - number * self.window)

    def _raise(self, key: str, now: float, room: int | None = None) -> str | None:
        """Counter mode: count one event if the window has room (`room`, else the room the
        previous window leaves); the counter's Redis key, or None (nothing counted then).

        One round trip: SET NX (the window's counter, living through the next window, where it
        still weighs), INCR, and GET of the previous window, pipelined on Django's Redis client;
        a raise past the room is taken back with DECR."""
        number = int(now // self.window)
        backend = caches["default"]
        counter = backend.make_and_validate_key(self._counter(key, number))
        previous = backend.make_and_validate_key(self._counter(key, number - 1))
        client = backend._cache.get_client(counter, write=True)  # noqa: SLF001 (Django's client)
        pipe = client.pipeline(transaction=False)
        pipe.set(counter, 0, ex=2 * self.window + 1, nx=True)
        pipe.incr(counter)
        pipe.get(previous)
        _created, n, before = pipe.execute()
        if room is None:
            room = self._room_for(int(before or 0), now - number * self.window)
        if n <= room:
            return counter
        client.decr(counter)
        return None

    def _take_back(self, counters: list[str]) -> None:
        if counters:
            backend = caches["default"]
            client = backend._cache.get_client(counters[0], write=True)  # noqa: SLF001
            for counter in counters:
                client.decr(counter)

    def _state(self, key: str, now: float) -> tuple[set[str], int, float]:
        """(this fixed window's taken slots, the previous window's event count, seconds since
        this window began), in one read of the cache."""
        number = int(now // self.window)
        current, previous = self._slots(key, number), self._slots(key, number - 1)
        found = cache.get_many(current + previous)
        return ({k for k in current if k in found}, sum(k in found for k in previous),
                now - number * self.window)

    def _counts(self, key: str, now: float) -> tuple[int, int, float]:
        """(events this fixed window, events the previous one, seconds since this one began)."""
        if self._counting():
            return self._tallies(key, now)
        taken, previous, elapsed = self._state(key, now)
        return len(taken), previous, elapsed

    def _room_for(self, previous: int, elapsed: float) -> int:
        """How many events this fixed window may hold, given the previous one's weight."""
        return max(0, min(self.limit, math.floor(
            self.limit - previous * (1 - elapsed / self.window) + 1e-9)))

    def _room(self, key: str, now: float) -> tuple[int, set[str]]:
        """How many events this fixed window may still hold for `key` (slots 0..room-1), and the
        slots already taken (so claiming needs no second read)."""
        taken, previous, elapsed = self._state(key, now)
        return self._room_for(previous, elapsed), taken

    def _wait_for(self, key: str, now: float) -> float:
        current, previous, elapsed = self._counts(key, now)
        free = self.limit - 1 - current  # events besides this one the window may still take
        if free >= 0:
            if previous * (1 - elapsed / self.window) <= free + 1e-9:
                return 0.0
            return self.window * (1 - free / previous) - elapsed
        # This fixed window is full: wait for the next, while this one's weight fades enough.
        return self.window - elapsed + self.window * max(0.0, 1 - (self.limit - 1) / current)

    def wait(self, keys: Iterable[str], *, now: float | None = None) -> int:
        if not self.limit:
            return 0
        now = time.time() if now is None else now
        longest = max((self._wait_for(key, now) for key in keys), default=0.0)
        return math.ceil(longest - 1e-9) if longest > 1e-9 else 0

    def hit(self, keys: Iterable[str], *, now: float | None = None) -> None:
        """Record an event for every key (at most `limit` a fixed window are kept)."""
        if not self.limit:
            return
        now = time.time() if now is None else now
        for key in keys:
            if self._counting():
                self._raise(key, now, self.limit)
            else:
                self._claim(key, now, self.limit)

    def take(self, keys: Iterable[str], *, now: float | None = None) -> int:
        """Record the event if every key is under its limit; else the seconds to wait.

        Claims a slot for each key; when one key has no room, the slots claimed for the others
        are given back and nothing is recorded.
        """
        if not self.limit:
            return 0
        keys = list(keys)
        now = time.time() if now is None else now
        counting = self._counting()
        claimed = []
        for key in keys:
            if counting:
                got = self._raise(key, now)
            else:
                room, taken = self._room(key, now)
                got = self._claim(key, now, room, taken)
            if got is None:
                if counting:
                    self._take_back(claimed)
                else:
                    cache.delete_many(claimed)
                return max(1, self.wait(keys, now=now))
            claimed.append(got)
        return 0

    def _claim(self, key: str, now: float, room: int,
               taken: set[str] | None = None) -> str | None:
        """Claim the first free slot below `room`; None when they are all taken. `taken` (read
        just before) saves a read; a slot taken since is caught by the atomic `cache.add`."""
        slots = self._slots(key, int(now // self.window), room)
        if taken is None:
            taken = set(cache.get_many(slots))
        # A slot lives through its window and the next, where it still weighs.
        timeout = 2 * self.window + 1
        for slot in slots:
            if slot not in taken and cache.add(slot, 1, timeout):
                return slot
        return None


class StrictJSONParser(JSONParser):
    """DRF's JSON parser with `lib.text.json_loads`: no NaN/Infinity, no lone surrogates."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return json_loads(stream.read().decode(encoding))
        except (ValueError, UnicodeDecodeError, RecursionError) as e:
            raise ParseError(f"JSON 格式错误：{e}") from None
