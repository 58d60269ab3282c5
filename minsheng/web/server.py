"""Runs gunicorn in this process (the demo and `minsheng serve` share it)."""

from __future__ import annotations

import atexit
import os
import subprocess
import sys

from gunicorn.app.wsgiapp import WSGIApplication

# The access log: the path without its query string (searches and forms carry names and phone
# numbers there) and the request id the application log uses (X-Request-ID).
ACCESS_LOG_FORMAT = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms rid=%({x-request-id}o)s'


def gunicorn_argv(*, host: str, port: int, workers: int) -> list[str]:
    return [
        "gunicorn", "minsheng.wsgi:application", "--bind", f"{host}:{port}",
        "--workers", str(workers), "--threads", "4", "--timeout", "120",
        "--access-logfile", "-", "--access-logformat", ACCESS_LOG_FORMAT,
        "--log-level", "warning",
    ]


def run(*, host: str, port: int, workers: int, background: bool = True) -> None:
    """gunicorn in this process; the background-task cluster (django-q2) as a child process that
    ends with it."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minsheng.settings")
    if background:
        cluster = subprocess.Popen([sys.executable, "-m", "minsheng.cli", "qcluster"])
        atexit.register(cluster.terminate)
    sys.argv = gunicorn_argv(host=host, port=port, workers=workers)
    WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]").run()
