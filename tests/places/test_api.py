from __future__ import annotations

import pytest
import yaml

from minsheng.accounts.models import AuditLog
from minsheng.places.models import Compound, Region

pytestmark = pytest.mark.django_db


def test_schema_lists_the_places_endpoints(client_for):
    r = client_for("district").get("/api/schema/", HTTP_ACCEPT="application/json")
    assert r.status_code == 200
    paths = r.json()["paths"] if r["Content-Type"].startswith("application/json") else None
    if paths is None:
        paths = yaml.safe_load(r.content)["paths"]
    for p in ("/api/regions/", "/api/compounds/", "/api/compounds/{id}/", "/api/facilities/",
              "/api/organisations/", "/api/grids/"):
        assert p in paths, p


def test_list_filters_and_paging(client_for):
    c = client_for("district")
    r = c.get("/api/compounds/?property_status=none&within=131002001000")
    data = r.json()
    expected = Compound.objects.filter(property_status="none",
                                       region__code__startswith="131002001")
    assert data["count"] == expected.count()
    assert {x["id"] for x in data["results"]} == set(expected.values_list("pk", flat=True)[:50])
    page2 = c.get("/api/facilities/?page=2").json()
    assert page2["previous"] is not None and len(page2["results"]) == 50
    assert c.get("/api/regions/?level=street&within=131002").json()["count"] == 15


def test_create_and_update_inside_scope(client_for):
    comm = Region.objects.filter(parent_id="131002001000").order_by("code").first()
    c = client_for("street1")
    r = c.post("/api/compounds/", {
        "name": "测试新建小区", "region": comm.code, "lat": 39.50, "lng": 116.70,
        "households": 120, "population": 300, "property_status": "none",
    }, content_type="application/json")
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    r = c.patch(f"/api/compounds/{pk}/", {"households": 130}, content_type="application/json")
    assert r.status_code == 200
    assert Compound.objects.get(pk=pk).households == 130
    # both writes went through places.actions: one audit row each
    rows = AuditLog.objects.filter(object_type="places.compound", object_id=str(pk)).order_by("pk")
    assert [(a.action, a.user.username) for a in rows] == [
        (AuditLog.Action.CREATE, "street1"), (AuditLog.Action.UPDATE, "street1")]
    assert rows[1].fields == "households" and "户数 120 → 130" in rows[1].detail


def test_validation_errors_are_field_level_and_write_nothing(client_for):
    comm = Region.objects.filter(parent_id="131002001000").order_by("code").first()
    before = Compound.objects.count()
    r = client_for("street1").post("/api/compounds/", {
        "name": "坏数据小区", "region": comm.code, "lat": 139.5, "lng": 116.7,
        "property_status": "company", "households": -3,
    }, content_type="application/json")
    assert r.status_code == 400
    body = r.json()
    assert "lat" in body and "households" in body
    assert Compound.objects.count() == before


def test_company_status_requires_a_property_company(client_for):
    comm = Region.objects.filter(parent_id="131002001000").order_by("code").first()
    r = client_for("street1").post("/api/compounds/", {
        "name": "缺物业公司", "region": comm.code, "lat": 39.5, "lng": 116.7,
        "property_status": "company",
    }, content_type="application/json")
    assert r.status_code == 400
    assert "物业服务企业" in r.json()["property_company"][0]


def test_duplicate_name_in_same_community_is_a_clear_error(client_for):
    existing = Compound.objects.filter(region__code__startswith="131002001").first()
    r = client_for("street1").post("/api/compounds/", {
        "name": existing.name, "region": existing.region_id, "lat": 39.5, "lng": 116.7,
    }, content_type="application/json")
    assert r.status_code == 400


@pytest.mark.parametrize(("kind", "field"), [("compounds", "name"), ("compounds", "address"),
                                             ("facilities", "opening_hours"),
                                             ("organisations", "contact_person")])
def test_patch_with_a_control_character_is_a_field_error_and_writes_nothing(client_for, kind,
                                                                             field):
    c = client_for("district")
    obj = c.get(f"/api/{kind}/?within=131002001000").json()["results"][0]
    for bad, word in (("银河\x07苑", "控制字符（U+0007）"), ("银河\u202e苑", "控制字符（U+202E）"),
                      ("第一行\n第二行", "只能填一行")):
        r = c.patch(f"/api/{kind}/{obj['id']}/", {field: bad}, content_type="application/json")
        assert r.status_code == 400, r.content
        assert word in r.json()[field][0]
    assert c.get(f"/api/{kind}/{obj['id']}/").json()[field] == obj[field]
    r = c.patch(f"/api/{kind}/{obj['id']}/", {field: "光明里2号"}, content_type="application/json")
    assert r.status_code == 200
