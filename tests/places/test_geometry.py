"""Outlines (places/geometry.py): the JSON API refuses every malformed grid or compound outline
with a Chinese field error and stores nothing, and an outline that is already broken in the
database (old data, a direct write) does not stop anyone filing a case in its district."""

from __future__ import annotations

import json
import logging

import pytest
from django.core.cache import cache
from django.test import Client

from minsheng.cases.models import ApiKey, Case
from minsheng.places import geometry
from minsheng.places.locate import invalidate, locate
from minsheng.places.models import Compound, Grid, Region

pytestmark = pytest.mark.django_db

COMM1 = "131002001007"  # a community of street 1 (银河南路街道), street1's scope


def square(lng: float, lat: float, d: float = 0.001) -> dict:
    lng, lat = round(lng, 6), round(lat, 6)
    return {"type": "Polygon", "coordinates": [[[round(x, 6), round(y, 6)] for x, y in (
        (lng - d, lat - d), (lng + d, lat - d), (lng + d, lat + d), (lng - d, lat + d),
        (lng - d, lat - d))]]}


def bowtie(lng: float, lat: float, d: float = 0.001) -> dict:
    lng, lat = round(lng, 6), round(lat, 6)
    return {"type": "Polygon", "coordinates": [[[lng - d, lat - d], [lng + d, lat + d],
                                                [lng + d, lat - d], [lng - d, lat + d],
                                                [lng - d, lat - d]]]}


def bad_outlines(lng: float, lat: float) -> dict[str, object]:
    """Each malformed outline the API must refuse, by what is wrong with it."""
    ring = square(lng, lat)["coordinates"][0]
    return {
        "a point": {"type": "Point", "coordinates": [lng, lat]},
        "a line": {"type": "LineString", "coordinates": ring},
        "not an object": "POLYGON((1 2, 3 4))",
        "a list": [ring],
        "no type": {"coordinates": [ring]},
        "no coordinates": {"type": "Polygon"},
        "empty": {"type": "Polygon", "coordinates": []},
        "an empty polygon in a multipolygon": {"type": "MultiPolygon",
                                               "coordinates": [[ring], []]},
        "text for numbers": {"type": "Polygon",
                             "coordinates": [[[str(x), str(y)] for x, y in ring]]},
        "true for a number": {"type": "Polygon", "coordinates": [[[True, True]] * 4]},
        "too few points": {"type": "Polygon", "coordinates": [ring[:2]]},
        "one number a position": {"type": "Polygon", "coordinates": [[[lng]] * 4]},
        "self-intersecting": bowtie(lng, lat),
        "zero area": {"type": "Polygon", "coordinates": [[[lng, lat]] * 4]},
        "longitude out of range": square(lng + 200, lat),
        "latitude and longitude swapped": square(lat, lng),
        "far from its community": square(113.26, 23.13),  # 广州, ~1,900 km away
        "deeply nested": {"type": "Polygon", "coordinates": json.loads("[" * 200 + "]" * 200)},
    }


def test_check_outline_stores_the_normalised_polygon() -> None:
    comm = Region.objects.get(code=COMM1)
    stored, geom = geometry.check_outline({**square(comm.lng, comm.lat), "bbox": [0, 0, 1, 1]},
                                          parent=geometry.region_outline(COMM1))
    assert stored == {"type": "Polygon", "coordinates": square(comm.lng, comm.lat)["coordinates"]}
    assert geom.is_valid and geom.area > 0


@pytest.mark.parametrize("what", list(bad_outlines(116.7, 39.5)))
def test_check_outline_refuses_with_a_chinese_reason(what: str) -> None:
    comm = Region.objects.get(code=COMM1)
    bad = bad_outlines(comm.lng, comm.lat)[what]
    with pytest.raises(geometry.GeometryError) as exc:
        geometry.check_outline(bad, parent=geometry.region_outline(COMM1))
    assert any("\u4e00" <= ch <= "\u9fff" for ch in str(exc.value)), str(exc.value)


def test_an_outline_with_an_unreadable_parent_is_checked_against_the_grandparent() -> None:
    comm = Region.objects.get(code=COMM1)
    Region.objects.filter(code=COMM1).update(boundary={"type": "Polygon", "coordinates": "x"})
    outline = geometry.region_outline(COMM1)  # the street's
    assert outline is not None and outline.covers(
        geometry.check_outline(square(comm.lng, comm.lat))[1].representative_point())
    assert geometry.region_outline("not-a-code") is None
    assert geometry.region_outline(None) is None


def test_api_post_with_a_bad_grid_outline_is_a_400_and_stores_nothing(client_for) -> None:
    comm = Region.objects.get(code=COMM1)
    c = client_for("street1")
    n = Grid.objects.count()
    for what, bad in bad_outlines(comm.lng, comm.lat).items():
        r = c.post("/api/grids/", {"name": f"坏网格 {what}", "region": COMM1, "boundary": bad},
                   content_type="application/json")
        assert r.status_code == 400, (what, r.content)
        message = r.json()["boundary"][0]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in message), (what, message)
    # 1e400 (read as infinity) and NaN never reach a stored outline either
    for number in ("1e400", "-1e400", "NaN"):
        ring = [[number, "39.5"], ["116.7", "39.5"], ["116.7", "39.6"], [number, "39.5"]]
        positions = ", ".join(f"[{x}, {y}]" for x, y in ring)
        body = json.dumps({"name": "坏网格", "region": COMM1, "boundary": {
            "type": "Polygon", "coordinates": "RING"}}).replace('"RING"', f"[[{positions}]]")
        r = c.post("/api/grids/", body, content_type="application/json")
        assert r.status_code == 400, (number, r.content)
    assert Grid.objects.count() == n


def test_api_post_with_a_good_outline_stores_it(client_for) -> None:
    comm = Region.objects.get(code=COMM1)
    r = client_for("street1").post("/api/grids/", {
        "name": "新画的网格", "region": COMM1, "boundary": square(comm.lng, comm.lat)},
        content_type="application/json")
    assert r.status_code == 201, r.content
    assert Grid.objects.get(pk=r.json()["id"]).boundary == square(comm.lng, comm.lat)


def test_api_patch_with_a_bad_outline_is_a_400_and_keeps_the_old_one(client_for) -> None:
    comm = Region.objects.get(code=COMM1)
    grid = Grid.objects.filter(region_id=COMM1).order_by("pk").first()
    compound = Compound.objects.filter(region_id=COMM1).order_by("pk").first()
    c = client_for("street1")
    for what, bad in bad_outlines(comm.lng, comm.lat).items():
        for url in (f"/api/grids/{grid.pk}/", f"/api/compounds/{compound.pk}/"):
            r = c.patch(url, {"boundary": bad}, content_type="application/json")
            assert r.status_code == 400, (what, url, r.content)
            assert any("\u4e00" <= ch <= "\u9fff" for ch in r.json()["boundary"][0])
    assert Grid.objects.get(pk=grid.pk).boundary == grid.boundary
    assert Compound.objects.get(pk=compound.pk).boundary == compound.boundary
    # the compound's own outline is checked against its community's
    r = c.patch(f"/api/compounds/{compound.pk}/", {"boundary": square(compound.lng, compound.lat)},
                content_type="application/json")
    assert r.status_code == 200, r.content
    assert Compound.objects.get(pk=compound.pk).boundary == square(compound.lng, compound.lat)


def test_api_post_with_an_outline_far_from_the_region_sent_is_refused(client_for) -> None:
    """The parent is the region in the request: an outline drawn in street 1 cannot be given to a
    community of another district."""
    comm = Region.objects.get(code=COMM1)
    other = Region.objects.filter(level="community", code__startswith="140213",
                                  boundary__isnull=False).order_by("code").first()
    r = client_for("admin").post("/api/grids/", {
        "name": "错位网格", "region": other.code, "boundary": square(comm.lng, comm.lat)},
        content_type="application/json")
    assert r.status_code == 400, r.content
    assert "不在该区划附近" in r.json()["boundary"][0]


# --- a broken outline already stored -----------------------------------------------------------


@pytest.fixture
def broken_outlines():
    """A grid whose outline does not parse, one that is self-intersecting, and a community whose
    outline is garbage, in street 1 (written straight to the database, as old data might be)."""
    comm = Region.objects.get(code=COMM1)
    grids = list(Grid.objects.filter(region_id=COMM1).order_by("pk")[:2])
    Grid.objects.filter(pk=grids[0].pk).update(boundary={"type": "Polygon",
                                                         "coordinates": [[[1, 2]]]})
    Grid.objects.filter(pk=grids[1].pk).update(boundary=bowtie(comm.lng, comm.lat))
    other = Region.objects.filter(parent_id=comm.parent_id, level="community").exclude(
        code=COMM1).order_by("code").first()
    Region.objects.filter(code=other.code).update(boundary={"type": "Nope", "coordinates": 3})
    invalidate()
    cache.clear()
    yield grids
    invalidate()  # leave no outline of this rolled-back test in the index
    cache.clear()


def test_locate_skips_a_broken_outline_and_logs_it(broken_outlines, caplog) -> None:
    compound = Compound.objects.filter(region_id=COMM1).order_by("pk").first()
    with caplog.at_level(logging.WARNING, logger="minsheng.places.geometry"):
        loc = locate(compound.lng, compound.lat)
    assert loc is not None and loc.region.code == COMM1
    assert loc.grid is None or loc.grid.pk not in {g.pk for g in broken_outlines}
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert f"grid {broken_outlines[0].pk}" in logged and f"grid {broken_outlines[1].pk}" in logged


def test_open311_files_a_case_in_a_district_with_a_broken_outline(broken_outlines) -> None:
    ApiKey.objects.create(name="t", digest=ApiKey.hash("k1"))
    compound = Compound.objects.filter(region_id=COMM1).order_by("pk").first()
    n = Case.objects.count()
    r = Client().post("/open311/v2/requests.json", {
        "api_key": "k1", "service_code": "sewage", "lat": str(compound.lat),
        "long": str(compound.lng), "description": "小区污水井冒水"})
    assert r.status_code == 200, r.content
    assert Case.objects.count() == n + 1
    assert Case.objects.latest("pk").region_id == COMM1


def test_the_resident_form_files_a_case_in_a_district_with_a_broken_outline(
        broken_outlines) -> None:
    compound = Compound.objects.filter(region_id=COMM1).order_by("pk").first()
    n = Case.objects.count()
    r = Client().post("/cases/new/", {
        "district": "131002000000", "case_type": "street_order", "description": "人行道上乱停车",
        "compound": "", "lat": f"{compound.lat:.6f}", "lng": f"{compound.lng:.6f}",
        "name": "王女士", "phone": "13912345678", "address": "3号楼南侧", "file_anyway": "1"})
    assert r.status_code == 302, r.content.decode()[:2000]
    assert Case.objects.count() == n + 1
    assert Case.objects.latest("pk").region_id == COMM1
