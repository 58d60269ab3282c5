"""Nobody sees what they should not: a street user cannot list, open, export or edit another
street's compounds, by page, admin or API. Grants are tested beside the denials."""

from __future__ import annotations

import io

import openpyxl
import pytest

from minsheng.accounts.models import AuditLog
from minsheng.places.models import Compound, Organisation
from minsheng.places.scope import compounds_for, scope_of

pytestmark = pytest.mark.django_db

STREET1 = "131002001"
STREET2 = "131002002"


@pytest.fixture
def own():
    return Compound.objects.filter(region__code__startswith=STREET1).order_by("pk").first()


@pytest.fixture
def other():
    return Compound.objects.filter(region__code__startswith=STREET2).order_by("pk").first()


def test_scope_function_limits_street_users_to_their_street(user):
    s1 = compounds_for(user("street1"))
    assert s1.exists()
    assert not s1.exclude(region__code__startswith=STREET1).exists()
    assert compounds_for(user("district")).count() == Compound.objects.filter(
        region__code__startswith="131002").count()
    # The city-wide admin sees both districts; the district admin does not see 平城区.
    assert not compounds_for(user("district")).filter(region__code__startswith="140213").exists()
    assert compounds_for(user("admin")).filter(region__code__startswith="140213").exists()


def test_property_manager_sees_only_the_compounds_it_manages(user):
    pm = user("property1")
    qs = compounds_for(pm)
    company = Organisation.objects.get(pk=next(iter(scope_of(pm).managed_company_ids)))
    assert qs.count() == Compound.objects.filter(property_company=company).count() > 0
    assert not qs.exclude(property_company=company).exists()


def test_resident_sees_only_their_community(user):
    qs = compounds_for(user("resident1"))
    codes = set(qs.values_list("region_id", flat=True))
    assert len(codes) <= 1


def test_pages_deny_other_streets_compound(client_for, own, other):
    c = client_for("street1")
    assert c.get(f"/compounds/{own.pk}/").status_code == 200
    assert c.get(f"/compounds/{other.pk}/").status_code == 404
    assert c.get(f"/compounds/{other.pk}/edit/").status_code == 404
    r = c.post(f"/compounds/{other.pk}/edit/", {"name": "x"})
    assert r.status_code == 404
    assert f"/compounds/{own.pk}/" in c.get(f"/compounds/?q={own.name}").content.decode()
    assert f"/compounds/{other.pk}/" not in c.get(f"/compounds/?q={other.name}").content.decode()
    other.refresh_from_db()
    assert other.name != "x"


def test_map_layers_are_scoped(client_for, other):
    fc = client_for("street1").get("/map/compounds.geojson").json()
    ids = {f["properties"]["id"] for f in fc["features"]}
    assert other.pk not in ids
    assert ids == set(Compound.objects.filter(region__code__startswith=STREET1).values_list(
        "pk", flat=True))


def test_api_denies_other_streets_compound(client_for, own, other):
    c = client_for("street1")
    assert c.get(f"/api/compounds/{own.pk}/").status_code == 200
    assert c.get(f"/api/compounds/{other.pk}/").status_code == 404
    r = c.patch(f"/api/compounds/{other.pk}/", {"households": 1}, content_type="application/json")
    assert r.status_code == 404
    listed = c.get("/api/compounds/?page_size=1000").json()
    assert listed["count"] == Compound.objects.filter(region__code__startswith=STREET1).count()
    assert all(x["region"].startswith(STREET1) for x in listed["results"])
    other.refresh_from_db()
    assert other.households != 1


def test_api_refuses_to_move_a_compound_into_another_street(client_for, own, other):
    r = client_for("street1").patch(
        f"/api/compounds/{own.pk}/", {"region": other.region_id}, content_type="application/json")
    assert r.status_code == 400
    own.refresh_from_db()
    assert own.region_id.startswith(STREET1)


def test_api_create_outside_scope_is_rejected_in_chinese(client_for, other):
    r = client_for("street1").post("/api/compounds/", {
        "name": "越权小区", "region": other.region_id, "lat": 39.5, "lng": 116.7,
    }, content_type="application/json")
    assert r.status_code == 400
    assert "region" in r.json()
    assert not Compound.objects.filter(name="越权小区").exists()


def test_read_only_roles_cannot_edit_even_inside_scope(client_for, own):
    for username in ("grid1", "viewer1", "mediator1", "resident1"):
        r = client_for(username).patch(f"/api/compounds/{own.pk}/", {"households": 3},
                                       content_type="application/json")
        assert r.status_code in (403, 404), username
    own.refresh_from_db()
    assert own.households != 3


def test_admin_is_scoped(client_for, own, other):
    c = client_for("street1")
    listing = c.get("/admin/places/compound/?q=&all=")
    assert listing.status_code == 200
    assert c.get(f"/admin/places/compound/{own.pk}/change/").status_code == 200
    r = c.get(f"/admin/places/compound/{other.pk}/change/")
    # Django admin redirects to the index with a "not found" message for objects outside the queryset
    assert r.status_code == 302
    assert c.post(f"/admin/places/compound/{other.pk}/delete/", {"post": "yes"}).status_code in (
        302, 403, 404)
    assert Compound.objects.filter(pk=other.pk).exists()
    # Non-staff roles do not reach the back office at all.
    assert client_for("grid1").get("/admin/places/compound/").status_code == 302


def test_export_is_scoped(client_for, other):

    r = client_for("street1").get("/export/compounds.xlsx")
    assert r.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    codes = [str(row[1]) for row in ws.iter_rows(min_row=2, values_only=True) if row[0]]
    assert codes and all(c.startswith(STREET1) for c in codes)
    assert AuditLog.objects.filter(action="export", user__username="street1").exists()


def test_resident_cannot_export(client_for):
    assert client_for("resident1").get("/export/compounds.xlsx").status_code == 403


def test_region_switcher_cannot_widen_scope(client_for):
    c = client_for("street1")
    c.post("/region/switch/", {"region": "131002002000", "next": "/"})
    fc = c.get("/map/compounds.geojson").json()
    assert fc["features"]
    assert all(str(f["properties"]["id"]) for f in fc["features"])
    assert not Compound.objects.filter(
        pk__in=[f["properties"]["id"] for f in fc["features"]],
        region__code__startswith=STREET2).exists()
    assert c.get("/regions/131002002000/").status_code == 404
