"""Open311 under hostile input: a corpus of extreme dates, lone surrogates, NUL and other control
characters, huge numbers, wrong types, very long strings and markup, sent by GET and POST (form
and JSON) in both formats. Every answer is below 500, parses in the format asked for, is the
spec's error list when it is an error, and a refused POST writes nothing.

NUL only fails on PostgreSQL (which refuses it in text): run this module with scripts/with-postgres
too."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET  # noqa: S405 — parses our own responses only

import pytest
from django.core.cache import cache
from django.test import Client

from minsheng.cases import workflow
from minsheng.cases.models import ApiKey, Case, CaseType
from minsheng.places.models import Compound
from tests.hostile import DATES, TEXTS

pytestmark = pytest.mark.django_db

BASE = "/open311/v2/"
KEY = "hostile-key"
FORMATS = ("json", "xml")


def parse(resp, fmt: str):
    """The body parsed in the format asked for; fails the test when it does not parse."""
    if fmt == "xml":
        assert resp["Content-Type"].startswith("text/xml"), resp["Content-Type"]
        return ET.fromstring(resp.content)  # noqa: S314 — our own response
    assert resp["Content-Type"].startswith("application/json"), resp["Content-Type"]
    return json.loads(resp.content)


def check(resp, fmt: str) -> None:
    """Below 500, parseable, and the spec's error list when an error."""
    assert resp.status_code < 500, resp.content[:500]
    body = parse(resp, fmt)
    if resp.status_code >= 400:
        if fmt == "xml":
            assert body.tag == "errors"
            assert body.findtext("error/code") == str(resp.status_code)
            assert body.findtext("error/description")
        else:
            assert isinstance(body, list) and body[0]["code"] == resp.status_code
            assert body[0]["description"]


@pytest.fixture(autouse=True)
def _no_rate_limit(settings):
    settings.OPEN311_POST_RATE = 0
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def compound(db) -> Compound:
    return Compound.objects.filter(region__code__startswith="131002001").order_by("pk").first()


@pytest.fixture
def key(db) -> ApiKey:
    return ApiKey.objects.create(name="hostile", digest=ApiKey.hash(KEY))


def valid(compound: Compound) -> dict[str, str]:
    return {"api_key": KEY, "service_code": "sewage", "lat": str(compound.lat),
            "long": str(compound.lng), "description": "小区污水井冒水，味道很大"}


# ── GET ──────────────────────────────────────────────────────────────────────────────────────

@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", ["start_date", "end_date"])
@pytest.mark.parametrize("value", DATES)
def test_extreme_dates_are_a_400_never_a_500(client, fmt, name, value) -> None:
    r = client.get(f"{BASE}requests.{fmt}", {name: value})
    check(r, fmt)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("start", "end"), [("0001-01-01T00:00:00Z", "0001-01-02T00:00:00Z"),
                                            ("9999-12-30T00:00:00Z", "9999-12-31T23:59:59Z"),
                                            ("0001-01-01", "9999-12-31")])
def test_extreme_date_ranges_are_a_400_never_a_500(client, fmt, start, end) -> None:
    r = client.get(f"{BASE}requests.{fmt}", {"start_date": start, "end_date": end})
    check(r, fmt)
    assert r.status_code == 400


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", ["service_code", "status", "service_request_id", "page",
                                  "page_size", "start_date", "locale", "lat", "unknown"])
@pytest.mark.parametrize("value", [*TEXTS, "1e400", "99999999999999999999", "-1", "0", "NaN",
                                   ",".join(["x"] * 5000)])
def test_hostile_list_parameters(client, fmt, name, value) -> None:
    check(client.get(f"{BASE}requests.{fmt}", {name: value}), fmt)


@pytest.mark.parametrize("fmt", FORMATS)
def test_too_many_parameters_and_broken_utf8_are_answered_in_the_spec_format(client, fmt) -> None:
    many = "&".join(f"p{i}=1" for i in range(5000))
    check(client.get(f"{BASE}requests.{fmt}", QUERY_STRING=many), fmt)
    check(client.get(f"{BASE}requests.{fmt}", QUERY_STRING="service_code=%ED%A0%80%FF"), fmt)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("segment", ["%00", "a%00b", "%3Cscript%3E", "%01%02", "x" * 5000,
                                     "%ED%A0%80", "..%2F..%2Fetc"])
def test_hostile_path_segments(client, fmt, segment) -> None:
    for path in ("requests/{}.{}", "services/{}.{}", "tokens/{}.{}"):
        r = client.get(BASE + path.format(segment, fmt), {"token": "\x00", "api_key": "\x00"})
        check(r, fmt)
        assert r.status_code in (400, 404)


@pytest.mark.parametrize("fmt", FORMATS)
def test_stored_control_characters_and_markup_still_render_valid_xml(client, compound,
                                                                      fmt) -> None:
    """Text already stored (staff entry, the hotline import, old data) may hold characters XML 1.0
    does not allow; the renderer drops them rather than writing a document no client can read."""
    case = workflow.do_file(
        case_type=CaseType.objects.get(pk="sewage"), channel=Case.Channel.STAFF,
        description="井盖\x01\x08\x0b\x0c\x1f\x7f\ufffe\uffff坏了 <b>&amp;</b> ]]>",
        lat=compound.lat, lng=compound.lng, address="3号楼\x02")
    Case.objects.filter(pk=case.pk).update(public=True)
    for url in (f"{BASE}requests.{fmt}", f"{BASE}requests/{case.number}.{fmt}",
                f"{BASE}requests/{case.number}.{fmt}?token={case.token}"):
        r = client.get(url)
        assert r.status_code == 200
        body = parse(r, fmt)
        if fmt == "xml":
            text = "".join(body.itertext())
            assert "井盖" in text and "坏了 <b>&amp;</b> ]]>" in text


# ── POST ─────────────────────────────────────────────────────────────────────────────────────

def post_form(client: Client, fmt: str, data: dict):
    return client.post(f"{BASE}requests.{fmt}", data)


def post_json(client: Client, fmt: str, body: str | bytes):
    return client.post(f"{BASE}requests.{fmt}", body, content_type="application/json")


def assert_refused_or_filed(resp, fmt: str, before: int) -> None:
    """Below 500 and parseable; a refusal (4xx) wrote nothing, a success wrote one case."""
    check(resp, fmt)
    after = Case.objects.count()
    if resp.status_code == 200:
        assert after == before + 1
    else:
        assert after == before, resp.content[:500]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", ["api_key", "service_code", "description", "lat", "long",
                                  "address_string", "address_id", "email", "device_id",
                                  "account_id", "first_name", "last_name", "phone", "media_url",
                                  "attribute[WHERE]", "unknown"])
@pytest.mark.parametrize("value", [*TEXTS, "1e400", "-1e400", "nan", "99999999999999999999",
                                   "0x1p3", "１２"])
def test_hostile_form_posts(client, key, compound, fmt, name, value) -> None:
    before = Case.objects.count()
    r = post_form(client, fmt, {**valid(compound), name: value})
    assert_refused_or_filed(r, fmt, before)
    if "\x00" in value and name != "unknown":
        assert r.status_code >= 400  # PostgreSQL cannot store it; never half-written


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", ["service_code", "description", "address_string", "email",
                                  "first_name", "api_key", "attribute"])
def test_a_lone_surrogate_in_a_json_body_is_a_400(client, key, compound, fmt, name) -> None:
    body = {**valid(compound)}
    if name == "attribute":
        body["attribute"] = {"WHERE": "SURROGATE"}
    else:
        body[name] = "SURROGATE"
    raw = json.dumps(body).replace("SURROGATE", "x\\ud800y")
    before = Case.objects.count()
    r = post_json(client, fmt, raw)
    assert_refused_or_filed(r, fmt, before)
    assert r.status_code == 400
    # and as a key
    raw = json.dumps({**valid(compound), "KEY": "1"}).replace("KEY", "\\udfff")
    r = post_json(client, fmt, raw)
    assert_refused_or_filed(r, fmt, before)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("raw", [
    "", "null", "[]", "[1, 2]", "\"text\"", "1e400", "{", "{\"a\": }", "\xff\xfe", "[" * 100_000,
    "{\"a\":" * 50_000, "{\"page\": " + "9" * 5000 + "}",
])
def test_malformed_json_bodies(client, key, fmt, raw) -> None:
    before = Case.objects.count()
    r = post_json(client, fmt, raw.encode("latin-1") if raw == "\xff\xfe" else raw)
    assert_refused_or_filed(r, fmt, before)
    assert r.status_code in (400, 403)  # 403: an empty body has no api_key


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", ["service_code", "description", "lat", "long", "address_id",
                                  "address_string", "api_key", "attribute", "email", "phone"])
@pytest.mark.parametrize("value", [None, True, 1e308, -0.0, 10**100, [], [None], {},
                                   {"a": {"b": [1]}}, ["\x00"], "\u0000", "x" * 10_000,
                                   [[[[[]]]]]])
def test_wrong_types_in_a_json_body(client, key, compound, fmt, name, value) -> None:
    before = Case.objects.count()
    r = post_json(client, fmt, json.dumps({**valid(compound), name: value}))
    assert_refused_or_filed(r, fmt, before)


@pytest.mark.parametrize("fmt", FORMATS)
def test_json_infinity_and_nan_are_refused(client, key, compound, fmt) -> None:
    before = Case.objects.count()
    for number in ("1e400", "-1e400", "NaN", "Infinity"):
        for name in ("lat", "long"):
            body = json.dumps({**valid(compound), name: "N"}).replace('"N"', number)
            r = post_json(client, fmt, body)
            assert_refused_or_filed(r, fmt, before)
            assert r.status_code == 400


@pytest.mark.parametrize("fmt", FORMATS)
def test_hostile_attributes_of_a_case_type(client, key, compound, fmt) -> None:
    ct = CaseType.objects.get(pk="sewage")
    ct.attributes = [{"code": "WHEN", "datatype": "datetime", "required": False,
                      "description": "发现时间"},
                     {"code": "N", "datatype": "number", "required": False, "description": "数"},
                     {"code": "T", "datatype": "text", "required": False, "description": "文"}]
    ct.save()
    before = Case.objects.count()
    for code, values in {"WHEN": DATES, "N": ["1e400", "nan", "9" * 400, "\x00"],
                         "T": TEXTS}.items():
        for value in values:
            r = post_form(client, fmt, {**valid(compound), f"attribute[{code}]": value})
            assert_refused_or_filed(r, fmt, before)
            before = Case.objects.count()


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_filed_hostile_description_lists_as_valid_xml_and_json(client, key, compound,
                                                                 fmt) -> None:
    """Whatever POST accepts, the public list and the single request render in both formats."""
    for text in TEXTS:
        post_form(client, fmt, {**valid(compound), "description": text[:4000]})
    Case.objects.filter(channel=Case.Channel.OPEN311).update(public=True)
    for f in FORMATS:
        r = client.get(f"{BASE}requests.{f}", {"page_size": "200"})
        assert r.status_code == 200
        parse(r, f)
        for number in Case.objects.filter(channel=Case.Channel.OPEN311).values_list(
                "number", flat=True):
            r = client.get(f"{BASE}requests/{number}.{f}")
            assert r.status_code == 200
            parse(r, f)
