"""Download responses and the rate limiter for public posting.

- `download(content, filename, content_type)`: a file response whose Chinese name survives every
  browser: an ASCII fallback `filename="…"` plus the RFC 5987 `filename*=UTF-8''…` that modern
  browsers prefer (RFC 6266 §4.3).
- `RateLimit`: a sliding-window limit over the Django cache, shared by every process that shares
  the cache; used by the resident form (5 filings an hour per address and per session) and by
  Open311 POSTs (N a minute per API key or address).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from urllib.parse import quote

from django.core.cache import cache
from django.http import HttpResponse

__all__ = ["RateLimit", "content_disposition", "download"]

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
    """At most `limit` events per `window` seconds for each key (sliding window).

    `wait(keys)` says how many seconds until every key may act again (0: now); `hit(keys)` records
    an event; `take(keys)` does both at once and records only when allowed. A limit of 0 turns
    the limiter off.
    """

    def __init__(self, name: str, limit: int, window: int) -> None:
        self.name, self.limit, self.window = name, limit, window

    def _key(self, key: str) -> str:
        return f"ratelimit:{self.name}:{key}"

    def _hits(self, key: str, now: float) -> list[float]:
        return [t for t in cache.get(self._key(key), []) if t > now - self.window]

    def wait(self, keys: Iterable[str], *, now: float | None = None) -> int:
        if not self.limit:
            return 0
        now = time.time() if now is None else now
        longest = 0.0
        for key in keys:
            hits = sorted(self._hits(key, now))
            if len(hits) >= self.limit:
                longest = max(longest, hits[-self.limit] + self.window - now)
        return int(longest) + 1 if longest > 0 else 0

    def hit(self, keys: Iterable[str], *, now: float | None = None) -> None:
        if not self.limit:
            return
        now = time.time() if now is None else now
        for key in keys:
            cache.set(self._key(key), self._hits(key, now)[-self.limit:] + [now], self.window)

    def take(self, keys: Iterable[str], *, now: float | None = None) -> int:
        """Record the event if every key is under its limit; else the seconds to wait."""
        keys = list(keys)
        now = time.time() if now is None else now
        waiting = self.wait(keys, now=now)
        if not waiting:
            self.hit(keys, now=now)
        return waiting
