"""The places pages: the region switcher (only the user's regions; switching narrows the lists),
the compound list's filters, and the compound form (errors beside the fields, nothing saved until
valid, the save audited through places.actions)."""

from __future__ import annotations

import re

import pytest

from minsheng.accounts.models import AuditLog
from minsheng.places.models import Compound

pytestmark = pytest.mark.django_db


def test_region_switcher_offers_only_the_users_regions(client_for):
    html = client_for("street1").get("/").content.decode()
    options = re.findall(r'<option value="(\d{12})"', html)
    assert options == ["131002001000"]
    html = client_for("admin").get("/").content.decode()
    options = set(re.findall(r'<option value="(\d{12})"', html))
    assert {"131002000000", "140213000000"} <= options


def test_switching_region_narrows_lists(client_for):
    c = client_for("district")
    c.post("/region/switch/", {"region": "131002002000", "next": "/compounds/"})
    html = c.get("/compounds/").content.decode()
    n = Compound.objects.filter(region__code__startswith="131002002").count()
    assert f"<small>{n}</small>" in html


def test_compound_filter_by_status_and_search(client_for):
    c = client_for("district")
    none = Compound.objects.filter(region__code__startswith="131002", property_status="none")
    html = c.get("/compounds/?status=none").content.decode()
    assert f"<small>{none.count()}</small>" in html
    one = none.first()
    html = c.get(f"/compounds/?q={one.name}").content.decode()
    assert f"/compounds/{one.pk}/" in html


def test_form_edit_validates_and_saves(client_for):
    cp = Compound.objects.filter(region__code__startswith="131002001").order_by("pk").first()
    c = client_for("street1")
    form = c.get(f"/compounds/{cp.pk}/edit/")
    assert form.status_code == 200
    data = {
        "name": cp.name, "region": cp.region_id, "grid": cp.grid_id or "", "address": cp.address,
        "lat": "abc", "lng": cp.lng, "year_built": cp.year_built, "buildings": cp.buildings,
        "households": cp.households, "population": cp.population, "property_status": "company",
        "property_company": "", "committee": cp.committee, "committee_head": cp.committee_head,
        "committee_head_phone": cp.committee_head_phone, "renovation_class": cp.renovation_class,
    }
    r = c.post(f"/compounds/{cp.pk}/edit/", data)
    assert r.status_code == 200
    html = r.content.decode()
    assert "须填写物业服务企业" in html and 'class="error"' in html
    audit = AuditLog.objects.filter(object_type="places.compound", object_id=str(cp.pk))
    assert not audit.exists()  # an invalid form changes nothing
    data.update(lat=cp.lat, property_status="none", households=999)
    r = c.post(f"/compounds/{cp.pk}/edit/", data)
    assert r.status_code == 302
    cp.refresh_from_db()
    assert cp.households == 999
    [row] = audit  # saved through places.actions, which audits
    assert row.action == AuditLog.Action.UPDATE and "households" in row.fields.split(",")


def test_the_edit_form_shows_the_committee_heads_phone_masked_and_keeps_it_unless_replaced(
        client_for):
    cp = Compound.objects.filter(region__code__startswith="131002001").exclude(
        committee_head_phone="").order_by("pk").first()
    full = cp.committee_head_phone
    masked = full[:3] + "*" * (len(full) - 7) + full[-4:]
    c = client_for("street1")
    html = c.get(f"/compounds/{cp.pk}/edit/").content.decode()
    assert full not in html and masked in html
    assert not AuditLog.objects.filter(action=AuditLog.Action.UNMASK).exists()
    data = {
        "name": cp.name, "region": cp.region_id, "grid": cp.grid_id or "", "address": cp.address,
        "lat": cp.lat, "lng": cp.lng, "year_built": cp.year_built or "",
        "buildings": cp.buildings or "", "households": 321, "population": cp.population or "",
        "property_status": "none", "property_company": "", "committee": cp.committee,
        "committee_head": cp.committee_head, "committee_head_phone": masked,
        "renovation_class": cp.renovation_class,
    }
    assert c.post(f"/compounds/{cp.pk}/edit/", data).status_code == 302
    cp.refresh_from_db()
    assert cp.committee_head_phone == full and cp.households == 321  # unchanged mask: kept
    r = c.post(f"/compounds/{cp.pk}/edit/", data | {"committee_head_phone": "139****0000"})
    assert r.status_code == 200 and "完整的新号码" in r.content.decode()  # a half-typed mask
    assert c.post(f"/compounds/{cp.pk}/edit/",
                  data | {"committee_head_phone": "13911112222"}).status_code == 302
    cp.refresh_from_db()
    assert cp.committee_head_phone == "13911112222"
