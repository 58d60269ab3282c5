"""The baseline of bench/open311_cluster_bench.py: a minimal Django site whose one view inserts
one row into PostgreSQL (same database, same gunicorn settings, same nginx as Minsheng).

    DATABASE_URL=... gunicorn bench.baseline_site:application
"""

from __future__ import annotations

import os

import dj_database_url
from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.db import connection
from django.http import JsonResponse
from django.urls import path

from minsheng.lib.warmgc import FreezeAfterWarmup

settings.configure(
    DEBUG=False, ALLOWED_HOSTS=["*"], ROOT_URLCONF=__name__, SECRET_KEY="baseline",  # noqa: S106
    DATABASES={"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)},
    MIDDLEWARE=[], INSTALLED_APPS=[])


def insert(request):
    with connection.cursor() as cur:
        cur.execute("INSERT INTO bench_baseline (body) VALUES (%s) RETURNING id",
                    [request.body.decode()[:500]])
        row_id = cur.fetchone()[0]
    return JsonResponse([{"id": row_id}], safe=False, status=201)


urlpatterns = [path("_baseline", insert)]
application = FreezeAfterWarmup(get_wsgi_application())  # as minsheng/wsgi.py: the same server
with connection.cursor() as c:
    # each gunicorn worker runs this on import: on a fresh database two concurrent CREATE TABLE IF
    # NOT EXISTS collide on the catalogue and a worker failed to boot, so they take turns
    c.execute("SELECT pg_advisory_lock(31100)")
    c.execute("CREATE TABLE IF NOT EXISTS bench_baseline (id bigserial PRIMARY KEY, body text)")
    c.execute("SELECT pg_advisory_unlock(31100)")
