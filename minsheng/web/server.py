"""Runs gunicorn in this process (the demo and `minsheng serve` share it)."""

from __future__ import annotations

import os
import sys


def run(*, host: str, port: int, workers: int) -> None:
    from gunicorn.app.wsgiapp import WSGIApplication

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minsheng.settings")
    sys.argv = [
        "gunicorn", "minsheng.wsgi:application", "--bind", f"{host}:{port}",
        "--workers", str(workers), "--threads", "4", "--timeout", "120",
        "--access-logfile", "-", "--log-level", "warning",
    ]
    WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]").run()
