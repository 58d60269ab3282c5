"""lib.http: download names that survive every browser (and carry no header injection), and the
sliding-window rate limiter used by the resident form and Open311."""

from __future__ import annotations

import doctest
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache import cache, caches
from django.db import connection

from minsheng.lib import http
from minsheng.lib.http import RateLimit, content_disposition, download


@pytest.fixture(autouse=True)
def _empty_cache(db):
    # The cache is the database cache (shared by processes), so these tests use the database.
    cache.clear()


@pytest.fixture(params=["database", "redis"])
def shared_cache(request, settings):
    """The limiter's two ways of counting: slots on the database cache (the default) and
    counters on Redis (a cluster's cache, a throwaway redis-server here)."""
    if request.param == "redis":
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                       "LOCATION": request.getfixturevalue("redis_url")}}
    cache.clear()
    yield request.param
    cache.clear()


def test_the_examples_in_the_docstrings_hold():
    assert doctest.testmod(http).failed == 0


def test_a_chinese_name_comes_with_an_ascii_fallback():
    value = content_disposition("调解协议书_131002-20261203-0001.docx")
    assert value.startswith('attachment; filename="_131002-20261203-0001.docx"') or \
        value.startswith('attachment; filename="131002-20261203-0001.docx"')
    assert "filename*=UTF-8''%E8%B0%83%E8%A7%A3" in value


def test_line_breaks_and_quotes_cannot_escape_the_header():
    value = content_disposition('x"\r\nSet-Cookie: a=b.pdf')
    assert "\r" not in value and "\n" not in value
    assert value.count('"') == 2


def test_download_sets_type_name_and_nosniff():
    resp = download(b"abc", "民生指标.xlsx", "application/octet-stream", inline=True)
    assert resp.content == b"abc"
    assert resp["Content-Disposition"].startswith("inline; ")
    assert resp["X-Content-Type-Options"] == "nosniff"


def test_the_limit_holds_per_key_and_frees_up_as_the_window_slides(shared_cache):
    limit = RateLimit("test", 2, 60)
    assert limit.take(["ip:1"], now=1000) == 0  # fixed windows [960, 1020), [1020, 1080)
    assert limit.take(["ip:1"], now=1010) == 0
    assert limit.take(["ip:1"], now=1011) == 39  # full: 9 s to the next window, and half of it
    # The previous window's 2 events weigh 2 × (1 − elapsed/60): one more fits once that is ≤ 1.
    assert limit.take(["ip:1"], now=1020) == 30
    assert limit.take(["ip:2"], now=1020) == 0  # another key is not affected
    assert limit.take(["ip:1"], now=1049) == 1
    assert limit.take(["ip:1"], now=1050) == 0
    assert limit.take(["ip:1"], now=1051) > 0  # 2 × 29/60 + 1 + 1 > 2


def test_no_fixed_window_holds_more_than_the_limit(shared_cache):
    limit = RateLimit("burst", 5, 3600)
    allowed = [t for t in range(0, 3600, 60) if limit.take(["ip:1"], now=t) == 0]
    assert allowed == [0, 60, 120, 180, 240]
    assert limit.wait(["ip:1"], now=300) == 3600 - 300 + 720  # the next hour, and its first fifth


def test_hits_are_counted_under_hashed_keys_nothing_personal_in_the_cache(shared_cache):
    limit = RateLimit("test", 3, 60)
    limit.hit(["ip:203.0.113.7"], now=1000)
    if shared_cache == "redis":
        stored = [k.decode() for k in caches["default"]._cache.get_client().keys("*")]
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT cache_key FROM minsheng_cache")
            stored = [row[0] for row in cursor.fetchall()]
    assert len(stored) == 1 and "ratelimit:test:" in stored[0]
    assert "203.0.113.7" not in stored[0]


def test_any_key_over_its_limit_blocks_and_nothing_is_recorded_then(shared_cache):
    limit = RateLimit("test", 1, 3600)
    limit.hit(["session:a"], now=0)
    assert limit.take(["ip:9", "session:a"], now=10) > 0
    assert limit.wait(["ip:9"], now=10) == 0  # the refused attempt did not count for ip:9


def test_a_limit_of_zero_turns_it_off(shared_cache):
    limit = RateLimit("off", 0, 60)
    assert all(limit.take(["k"], now=t) == 0 for t in range(100))


@pytest.mark.parametrize("elapsed", [0, 1, 59, 600, 1800, 3000, 3599])
def test_the_wait_is_never_longer_than_a_window_and_a_limits_share(elapsed, shared_cache):
    """Retry-After stays within window × (1 + 1/limit), wherever in its fixed window the limit is
    reached (the test of the resident form failed on the hour before this bound was stated)."""
    limit = RateLimit("bound", 5, 3600)
    start = 7200 * 1000 + elapsed
    for i in range(5):
        assert limit.take(["k"], now=start + i) == 0
    wait = limit.take(["k"], now=start + 5)
    assert 0 < wait <= 3600 + 3600 // 5 + 1
    assert limit.take(["k"], now=start + 5 + wait) == 0  # and it is enough


def test_on_redis_a_window_is_one_counter_and_a_refusal_leaves_it_as_it_was(redis_url, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": redis_url}}
    cache.clear()
    limit = RateLimit("count", 3, 60)
    for t in (1000, 1001, 1002):
        assert limit.take(["ip:1"], now=t) == 0
    assert limit.take(["ip:1"], now=1003) > 0
    client = caches["default"]._cache.get_client()
    keys = client.keys("*ratelimit:count:*")
    assert len(keys) == 1 and keys[0].endswith(b":n")  # one key, not a key per event
    assert int(client.get(keys[0])) == 3  # the refused event was taken back


def test_on_redis_concurrent_takers_together_get_exactly_the_limit(redis_url, settings):
    """Eight threads (each with its own connection, as processes have) race for 10 events."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": redis_url}}
    cache.clear()
    limit = RateLimit("race", 10, 60)
    start = threading.Barrier(8)

    def takes() -> int:
        start.wait()
        return sum(limit.take(["key:1"], now=5000) == 0 for _ in range(5))

    with ThreadPoolExecutor(8) as pool:
        allowed = list(pool.map(lambda _: takes(), range(8)))
    assert sum(allowed) == 10, allowed
