"""schemathesis over the JSON API (/api/, drf-spectacular's schema) and Open311 GeoReport v2
(/open311/v2/, the static document minsheng/cases/open311.yaml), offline against the WSGI app,
as several demo accounts and anonymously:

- no answer is a 5xx;
- every answer's status code, content type and body are the ones the schema documents;
- a request that breaks the schema (negative generation) is refused with a 4xx.

Bounded for `make test` (which runs it on SQLite and on PostgreSQL): a few deterministic examples
per operation (hypothesis derandomized, no shrinking, no example database). Each test runs in the
suite's rolled-back transaction, so what the API writes never reaches another test.
"""

from __future__ import annotations

import zlib
from base64 import b64encode
from pathlib import Path

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from minsheng.accounts.demo import DEMO_PASSWORD
from minsheng.cases.models import ApiKey
from minsheng.places.models import Compound, Facility, Grid, Organisation, Region

pytestmark = pytest.mark.django_db

APP = get_wsgi_application()
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, negative_data_rejection]
# Accounts the API is tried as, and with which methods (the run stays bounded: every operation
# once in full, the reads in every scope, the writes refused where the right is missing):
# everything in the district (every operation), a community's scope (reads and writes), read
# only (writes refused), places only through property companies, a resident, anonymous.
API_ROLES = {"district": {"GET", "POST", "PUT", "PATCH"}, "community1": {"GET", "PATCH"},
             "viewer1": {"POST", "PATCH"}, "property1": {"GET"}, "resident1": {"GET"},
             None: {"GET", "POST"}}
MAX_EXAMPLES = 8
OPEN311_KEY = "schemathesis-key"  # noqa: S105 - a test key, created in the rolled-back transaction
OPEN311_YAML = Path(__file__).resolve().parents[2] / "minsheng" / "cases" / "open311.yaml"

HYPOTHESIS = settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))


def _configure(schema):
    schema.config.generation.update(modes=list(schemathesis.GenerationMode),
                                    max_examples=MAX_EXAMPLES, deterministic=True,
                                    no_shrink=True, database="none")
    schema.app = APP
    return schema


def _without_security(raw: dict) -> dict:
    """The API takes a session cookie OR basic auth; this test signs every request in itself
    (anonymous included), so the schema's security requirements are dropped: otherwise a
    negative example "without the session cookie" but with basic auth counts as a schema
    violation the API accepted, which it rightly does."""
    for item in raw.get("paths", {}).values():
        for operation in item.values():
            if isinstance(operation, dict):
                operation.pop("security", None)
    raw.pop("security", None)
    raw.get("components", {}).pop("securitySchemes", None)
    return raw


api_schema = _configure(schemathesis.openapi.from_dict(
    _without_security(SchemaGenerator().get_schema(request=None, public=True))))
open311_schema = _configure(schemathesis.openapi.from_path(str(OPEN311_YAML)))


@pytest.fixture(autouse=True)
def _wsgi_in_the_test_transaction(settings):
    """Requests go through Django's real WSGI handler; like django.test.Client, keep it from
    closing the test's connection (which holds the rolled-back transaction) around requests."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    settings.OPEN311_POST_RATE = 0  # the limiter has its own tests
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _basic(username: str | None) -> dict[str, str]:
    if username is None:
        return {}
    token = b64encode(f"{username}:{DEMO_PASSWORD}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.fixture(params=list(API_ROLES), ids=lambda u: u or "anonymous")
def account(request):
    return request.param


# The models behind /api/<collection>/{id}/: a generated id is turned into one of a few real ones
# (inside and outside each account's scope), so that answers with bodies are checked too.
COLLECTIONS = {"regions": Region, "compounds": Compound, "facilities": Facility,
               "organisations": Organisation, "grids": Grid}


@pytest.fixture
def real_ids(db):
    out = {}
    for name, model in COLLECTIONS.items():
        key = "code" if model is Region else "region__code"
        rows = model.objects.order_by("pk")
        out[name] = ([*rows.filter(**{f"{key}__startswith": "131002"}).values_list("pk", flat=True)[:4],
                      *rows.filter(**{f"{key}__startswith": "140213"}).values_list("pk", flat=True)[:2]])
    return out


@api_schema.parametrize()
@HYPOTHESIS
def test_api(case, account, real_ids):
    # the operation's own method decides (a negative example may send another, e.g. TRACE,
    # which must then be refused; skipping on it would skip the whole operation)
    method = case.operation.method.upper()
    if method not in API_ROLES[account]:
        pytest.skip(f"{method} is not tried as {account or 'anonymous'} (API_ROLES)")
    value = (case.path_parameters or {}).get("id")
    collection = case.path.split("/")[2]
    # an integer id (a negative example sends something else: it must stay refused); a region's
    # id is its code, any string
    if isinstance(value, int) and not isinstance(value, bool) or (
            collection == "regions" and isinstance(value, str)):
        ids = real_ids[collection]
        case.path_parameters["id"] = ids[zlib.crc32(str(value).encode()) % len(ids)]
    case.call_and_validate(headers=_basic(account), checks=CHECKS)


@pytest.fixture
def open311_key(db):
    ApiKey.objects.create(name="schemathesis", digest=ApiKey.hash(OPEN311_KEY))
    return OPEN311_KEY


@open311_schema.parametrize()
@HYPOTHESIS
def test_open311(case, open311_key):
    if case.method == "POST" and isinstance(case.body, dict) and "api_key" in case.body:
        case.body["api_key"] = open311_key  # a real key, so that filing itself is attacked
    case.call_and_validate(checks=CHECKS)
