"""Open311 POST refuses text with control characters with the spec's 400 error (they would be
stored and then break the case export), and writes nothing."""

from __future__ import annotations

import xml.etree.ElementTree as ET  # noqa: S405 — parses our own responses only

import pytest
from django.core.cache import cache

from minsheng.cases.models import ApiKey, Case
from minsheng.places.models import Compound

pytestmark = pytest.mark.django_db

BASE = "/open311/v2/"
KEY = "k1"


@pytest.fixture(autouse=True)
def _setup(db):
    cache.clear()
    ApiKey.objects.create(name="t", digest=ApiKey.hash(KEY))
    yield
    cache.clear()


@pytest.fixture
def compound() -> Compound:
    return Compound.objects.filter(region__code__startswith="131002001").order_by("pk").first()


def valid(compound: Compound, **extra) -> dict:
    return {"api_key": KEY, "service_code": "sewage", "lat": str(compound.lat),
            "long": str(compound.lng), "description": "小区污水井冒水，味道很大", **extra}


@pytest.mark.parametrize(("field", "value"), [
    ("description", "污水井冒水\x07"), ("description", "\x1b[31m污水井"),
    ("description", "污水井\u202e冒水"), ("first_name", "张\x00三"),
    ("address_string", "银河南路\n1号"), ("phone", "138\t00000000"),
])
def test_a_control_character_is_the_specs_400_error_and_nothing_is_filed(client, compound, field,
                                                                         value):
    before = Case.objects.count()
    resp = client.post(f"{BASE}requests.json", valid(compound, **{field: value}))
    assert resp.status_code == 400, resp.content.decode()
    assert resp["Content-Type"].startswith("application/json")
    [error] = resp.json()
    assert error["code"] == 400
    assert error["description"].startswith(f"{field}：")
    assert "控制字符" in error["description"] or "一行" in error["description"]
    assert Case.objects.count() == before


def test_the_error_is_xml_for_an_xml_request_and_json_bodies_are_checked(client, compound):
    resp = client.post(f"{BASE}requests.xml", valid(compound, description="冒水\x07"))
    assert resp.status_code == 400
    root = ET.fromstring(resp.content)  # noqa: S314 — our own response
    assert root.findtext("error/code") == "400"
    assert "U+0007" in root.findtext("error/description")
    resp = client.post(f"{BASE}requests.json", {**valid(compound), "attribute": {"X": "a\x07"}},
                       content_type="application/json")
    assert resp.status_code == 400 and "attribute[X]" in resp.json()[0]["description"]


def test_line_breaks_and_tabs_in_the_description_are_fine(client, compound):
    resp = client.post(f"{BASE}requests.json",
                       valid(compound, description="污水井冒水\r\n已经两天\t味道很大"))
    assert resp.status_code == 200, resp.content.decode()
    number = resp.json()[0]["service_request_id"]
    assert Case.objects.get(number=number).description.startswith("污水井冒水")
