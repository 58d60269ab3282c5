"""Rate limits hold across processes: `minsheng serve` runs several gunicorn workers, and a limit
counted in each worker's own memory let an outside test through at three times the documented
rate. The cache is shared (the database by default), and the limiter claims each event atomically."""

from __future__ import annotations

import importlib.util
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

import django
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent.parent
NOW = 1_000_000.0  # one instant, inside one fixed window, for every process


def _use_sqlite_file(path: str) -> None:
    """This process (a fresh interpreter) runs Minsheng on the SQLite file `path`. Nothing of
    Minsheng is imported at the top of this module: the child imports it to find its target,
    and a module that reads the settings on import would fix them before this runs."""
    os.environ["MINSHENG_SQLITE_PATH"] = path
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("MINSHENG_REDIS_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "minsheng.settings"
    django.setup()


def _make_cache_table(path: str) -> None:
    _use_sqlite_file(path)
    call_command("createcachetable", verbosity=0)


def _take_many(path: str, times: int, start, results) -> None:
    _use_sqlite_file(path)
    from minsheng.lib.http import RateLimit  # noqa: PLC0415 (settings read only after the above)

    limit = RateLimit("cross-process", 10, 60)
    start.wait()
    results.put(sum(limit.take(["ip:198.51.100.1"], now=NOW) == 0 for _ in range(times)))


def test_three_processes_together_get_exactly_the_limit(tmp_path):
    ctx = multiprocessing.get_context("spawn")  # fresh interpreters, as gunicorn's workers are
    path = str(tmp_path / "shared.sqlite3")
    prepare = ctx.Process(target=_make_cache_table, args=(path,))
    prepare.start()
    prepare.join(120)
    assert prepare.exitcode == 0
    start, results = ctx.Barrier(3), ctx.Queue()
    workers = [ctx.Process(target=_take_many, args=(path, 10, start, results)) for _ in range(3)]
    for w in workers:
        w.start()
    allowed = [results.get(timeout=120) for _ in workers]
    for w in workers:
        w.join(30)
        assert w.exitcode == 0
    assert sum(allowed) == 10, allowed


def _settings_with(env: dict[str, str], *, pythonpath: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, **env, "PYTHONPATH": pythonpath}
    env.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-c", "from minsheng import settings; print(settings.CACHES['default'])"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False)


def test_the_default_cache_is_the_database():
    run = _settings_with({"MINSHENG_REDIS_URL": ""})
    assert run.returncode == 0, run.stderr
    assert "DatabaseCache" in run.stdout and "minsheng_cache" in run.stdout


def test_a_redis_url_without_the_redis_package_stops_start_up(tmp_path):
    run = _settings_with({"MINSHENG_REDIS_URL": "redis://127.0.0.1:6379/0"},
                         pythonpath=str(tmp_path))  # nothing there: redis only if installed
    if importlib.util.find_spec("redis") is None:
        assert run.returncode != 0
        assert "MINSHENG_REDIS_URL" in run.stderr and "未安装 redis" in run.stderr
    # With the package (here a stand-in), the cache is Redis at that address.
    (tmp_path / "redis").mkdir()
    (tmp_path / "redis" / "__init__.py").write_text("")
    run = _settings_with({"MINSHENG_REDIS_URL": "redis://127.0.0.1:6379/0"},
                         pythonpath=str(tmp_path))
    assert run.returncode == 0, run.stderr
    assert "RedisCache" in run.stdout and "redis://127.0.0.1:6379/0" in run.stdout
