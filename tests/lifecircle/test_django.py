"""The life circle inside Minsheng: runs on a district's network, stored results, scoped pages,
incremental updates when a facility opens, and the real 成都 extract end to end."""

from __future__ import annotations

import math

import pytest
from django.db import connection
from shapely.geometry import Point, shape

from minsheng.lifecircle import engine, services
from minsheng.lifecircle.models import Result, Run
from minsheng.places.models import Compound, Facility, FacilityCategory, Region
from minsheng.places.osm import build_sample

pytestmark = pytest.mark.django_db
ANCI = "131002000000"


def district():
    return Region.objects.get(code=ANCI)


def test_stored_results_are_the_engine_distances():
    run = services.current_run(district())
    assert run is not None and run.state == Run.State.DONE
    c = Compound.objects.in_region(ANCI).order_by("pk")[10]
    graph = services.graph_for(run.network)
    facs = list(Facility.objects.in_region(ANCI).filter(category_id="convenience"))
    a = engine.compute_access(graph, [c.lng], [c.lat], [f.lng for f in facs],
                              [f.lat for f in facs], ["convenience"] * len(facs),
                              categories=["convenience"], cutoff_m=1000)
    stored = Result.objects.get(run=run, compound=c, category_id="convenience")
    d = float(a.distance_m[0, 0])
    if math.isfinite(d):
        assert stored.distance_m == pytest.approx(d, abs=0.01)
        assert stored.facility_id == facs[int(a.facility[0, 0])].pk
    else:
        assert stored.distance_m is None


def test_opening_a_facility_updates_its_category_only():
    run = services.current_run(district())
    c = Compound.objects.in_region(ANCI).order_by("pk")[20]
    before = dict(Result.objects.filter(run=run, compound=c).values_list("category_id",
                                                                         "distance_m"))
    # a kindergarten at the compound's own point (tasks run inline in tests)
    f = Facility.objects.create(name="新开幼儿园", category_id="kindergarten", region=c.region,
                                lat=c.lat, lng=c.lng)

    for cb in connection.run_on_commit:  # on_commit callbacks run at the end of a transaction
        cb[1]()
    after = dict(Result.objects.filter(run=run, compound=c).values_list("category_id",
                                                                        "distance_m"))
    assert after["kindergarten"] is not None and after["kindergarten"] < 50
    assert Result.objects.get(run=run, compound=c, category_id="kindergarten").facility_id == f.pk
    assert {k: v for k, v in after.items() if k != "kindergarten"} == \
        {k: v for k, v in before.items() if k != "kindergarten"}


def test_coverage_figures_follow_category_distances():
    run = services.current_run(district())
    cov = services.coverage(run, Compound.objects.in_region(ANCI))
    by = {r["category"].code: r for r in cov.by_category()}
    kd = cov.distance[:, [c.code for c in cov.categories].index("kindergarten")]
    assert by["kindergarten"]["compounds"] == int((kd <= 300).sum())
    levels = {x["level"]: x for x in cov.levels()}
    assert 0 <= levels[15]["compounds"] <= len(cov.compound_ids) == 214
    gaps = cov.gaps()
    assert all(a[1] >= b[1] for a, b in zip(gaps, gaps[1:], strict=False))  # by population


def test_pages_are_scoped(client_for):
    other = Compound.objects.filter(region__code__startswith="131002002").first()
    own = Compound.objects.filter(region__code__startswith="131002001").first()
    c = client_for("street1")
    assert c.get(f"/lifecircle/compound/{own.pk}/").status_code == 200
    assert c.get(f"/lifecircle/compound/{other.pk}/").status_code == 404
    fc = c.get("/lifecircle/map.geojson").json()
    ids = {f["properties"]["id"] for f in fc["features"]}
    assert own.pk in ids and other.pk not in ids
    html = c.get("/lifecircle/").content.decode()
    assert "生成的演示路网" in html


def test_only_district_editors_recompute(client_for):
    n = Run.objects.count()
    assert client_for("street1").post("/lifecircle/recompute/").status_code == 403
    assert client_for("viewer1").post("/lifecircle/recompute/").status_code == 403
    assert Run.objects.count() == n
    r = client_for("district").post("/lifecircle/recompute/")
    assert r.status_code == 302
    run = Run.objects.order_by("-pk").first()
    assert run.state == Run.State.DONE and run.progress == 100  # inline in tests
    status = client_for("district").get(f"/lifecircle/runs/{run.pk}.json").json()
    assert status == {"state": "done", "progress": 100, "message": "完成"}
    # older results are superseded
    assert not Result.objects.filter(run__region_id=ANCI).exclude(run=run).exists()


def test_catchment_is_a_polygon_around_the_facility(client_for):
    f = Facility.objects.filter(region__code__startswith="131002001").first()
    g = client_for("district").get(f"/lifecircle/catchment/{f.pk}.geojson").json()
    poly = shape(g["geometry"])
    assert poly.area > 0
    # it starts where the facility meets the street network (a few metres to a few hundred away)
    run = services.current_run(district())
    graph = services.graph_for(run.network)
    snap_m = float(engine.snap_points(graph, [f.lng], [f.lat]).snap_m[0])
    assert poly.distance(Point(f.lng, f.lat)) * 111_000 <= snap_m + 30
    # and it reaches about its category's distance along the streets, never beyond
    minx, miny, maxx, maxy = poly.bounds
    assert (maxy - miny) * 111_000 <= 2 * (f.category.distance_m + 60)


@pytest.mark.shared_data
def test_real_chengdu_life_circle(chengdu_osm):
    r = build_sample(chengdu_osm, progress=lambda *_: None)
    d = Region.objects.get(code=r.district_code)
    run = services.ensure_computed(d)
    assert run.stats["generated"] is False and run.stats["nodes"] > 8000
    cov = services.coverage(run, Compound.objects.in_region(d.code))
    by = {x["category"].code: x for x in cov.by_category()}
    # OSM 2018 maps 21 primary schools here: few compounds have one within 500 m, more reach a
    # junior middle school within 1,000 m; parks and clinics are reachable for many
    assert 0 < by["primary_school"]["compounds"] < by["secondary_school"]["compounds"]
    assert by["park"]["compounds"] > 0
    assert len(cov.compound_ids) == 178
    assert FacilityCategory.objects.get(code="primary_school").distance_m == 500


def test_poster_pdf(client_for):
    own = Compound.objects.filter(region__code__startswith="131002001").first()
    other = Compound.objects.filter(region__code__startswith="131002002").first()
    r = client_for("street1").get(f"/lifecircle/compound/{own.pk}/poster.pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r.content.startswith(b"%PDF") and b"STSong-Light" in r.content
    assert client_for("street1").get(f"/lifecircle/compound/{other.pk}/poster.pdf"
                                     ).status_code == 404


def test_far_off_points_are_listed_with_their_snap_distance(client_for):
    d = district()
    graph = services.graph_for(services.network_for(d))
    c = Compound.objects.in_region(ANCI).order_by("pk").first()
    # a shop out in the fields, beyond MAX_SNAP_M of every street: step away until it is
    for k in range(1, 200):
        lng, lat = c.lng + 0.002 * k, c.lat - 0.0015 * k
        if float(engine.snap_points(graph, [lng], [lat]).snap_m[0]) > services.MAX_SNAP_M + 20:
            break
    else:
        pytest.fail("no point of the district lies off the network")
    Facility.objects.create(name="田间便利店", category_id="convenience", region=c.region,
                            lat=lat, lng=lng)
    services.compute(Run.objects.create(region=d, network=services.network_for(d)).pk)
    run = services.current_run(d)
    far = run.stats["far_facilities"]
    assert "田间便利店" in [x["name"] for x in far]
    assert far and all(x["snap_m"] > services.MAX_SNAP_M and x["name"] for x in far)
    html = client_for("district").get("/lifecircle/").content.decode()
    assert f"{far[0]['name']} · {far[0]['snap_m']:.0f} m" in html
    # not silently attached: none of them is anyone's nearest facility
    assert not Result.objects.filter(run=run, facility_id__in=[x["id"] for x in far]).exists()
