"""The WSGI application for gunicorn (`minsheng serve`, scripts/cluster, deploy/): Django's, with
the long-lived objects frozen out of the garbage collector's full passes once the process has
served its first requests (lib/warmgc.py; MINSHENG_GC_FREEZE=false leaves the collector as it is)."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from minsheng.lib.warmgc import FreezeAfterWarmup

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minsheng.settings")
application = get_wsgi_application()
if settings.GC_FREEZE:
    application = FreezeAfterWarmup(application)
