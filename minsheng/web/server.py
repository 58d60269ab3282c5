"""Runs gunicorn in this process (the demo and `minsheng serve` share it)."""

from __future__ import annotations

import atexit
import os
import subprocess
import sys

from gunicorn.app.wsgiapp import WSGIApplication


def run(*, host: str, port: int, workers: int, background: bool = True) -> None:
    """gunicorn in this process; the background-task cluster (django-q2) as a child process that
    ends with it."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minsheng.settings")
    if background:
        cluster = subprocess.Popen([sys.executable, "-m", "minsheng.cli", "qcluster"])
        atexit.register(cluster.terminate)
    sys.argv = [
        "gunicorn", "minsheng.wsgi:application", "--bind", f"{host}:{port}",
        "--workers", str(workers), "--threads", "4", "--timeout", "120",
        "--access-logfile", "-", "--log-level", "warning",
    ]
    WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]").run()
