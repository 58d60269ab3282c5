"""The generated demo fabric looks like a district: city blocks of city-block size, one walkable
network, compounds inside their communities with their entrances on a street, and a life circle
that reads like a real district's (most compounds covered at 15 minutes, fewer at 10, fewer
still at 5, a gap list, a siting proposal that adds coverage).

None of these figures is a seed figure: the demo is generated, and these tests check that the
generator's layout is plausible, not that it reproduces any report."""

from __future__ import annotations

import math

import numpy as np
import pytest
from shapely.geometry import Point, shape

from minsheng.lifecircle import engine, services, siting
from minsheng.lifecircle.models import Result
from minsheng.places.demo import DISTRICTS, district_fabric
from minsheng.places.models import Compound, Facility, FacilityCategory, Region

pytestmark = pytest.mark.django_db
ANCI = "131002000000"
PINGCHENG = "140213000000"


def _fabric(code: str):
    d = DISTRICTS[code[:6]]
    district = Region.objects.get(code=code)
    streets = list(Region.objects.filter(parent=district).order_by("code"))
    comms = list(Region.objects.filter(parent__parent=district).order_by("code"))
    return district_fabric(d, streets, comms)


def _sides(poly) -> tuple[float, float]:
    """Short and long side (m) of a block's minimum rotated rectangle."""
    p = list(poly.minimum_rotated_rectangle.exterior.coords)
    a, b = math.dist(p[0], p[1]), math.dist(p[1], p[2])
    return min(a, b), max(a, b)


def test_city_blocks_are_city_block_sized():
    fab = _fabric(ANCI)
    sides = np.array([_sides(b) for b in fab.street_blocks])
    assert len(sides) >= 100  # a city, not a handful of cells
    short, long_ = sides[:, 0], sides[:, 1]
    # street blocks of roughly 150–400 m: nearly all, with a few merged or cut ones either side
    ok = (short >= 120) & (long_ <= 450)
    assert ok.mean() >= 0.9, sorted(zip(short.round(), long_.round(), strict=True))[:10]
    assert np.median(short) >= 170 and np.median(long_) <= 380


def test_the_fabric_is_the_same_every_time():
    a, b = _fabric(ANCI), _fabric(ANCI)
    assert [g.wkb for g in a.lines] == [g.wkb for g in b.lines]
    assert [s.entrance.wkb for s in a.compounds] == [s.entrance.wkb for s in b.compounds]


@pytest.mark.parametrize("code", [ANCI, PINGCHENG])
def test_the_network_is_one_walkable_graph(code):
    net = services.network_for(Region.objects.get(code=code))
    graph = engine.graph_from_lines(services.lines_of(net))
    # every town seat and village is joined to the rest: one component, nothing dropped
    assert graph.components.components == 1, graph.components.summary()
    compounds = list(Compound.objects.in_region(code).values_list("lng", "lat"))
    snapped = engine.snap_points(graph, [c[0] for c in compounds], [c[1] for c in compounds])
    # compound points are their entrances, on a block's edge facing a street
    assert float(np.max(snapped.snap_m)) <= 60
    facilities = list(Facility.objects.in_region(code).values_list("lng", "lat"))
    fs = engine.snap_points(graph, [f[0] for f in facilities], [f[1] for f in facilities])
    assert float(np.max(fs.snap_m)) <= services.MAX_SNAP_M


@pytest.mark.parametrize("code", [ANCI, PINGCHENG])
def test_every_compound_lies_inside_its_community(code):
    outlines = {}
    for c in Compound.objects.in_region(code).select_related("region"):
        r = c.region
        if r.code not in outlines:
            outlines[r.code] = shape(r.boundary).buffer(2e-6)  # the stored 6-digit rounding
        assert r.level == "community"
        assert outlines[r.code].contains(Point(c.lng, c.lat)), c.name
        assert outlines[r.code].contains(shape(c.boundary)), c.name


def test_compounds_are_in_residential_communities_of_the_city_and_town_seats():
    regions = Compound.objects.in_region(ANCI).values_list("region__code", "region__parent__name")
    assert all(int(code[9:]) < 200 for code, _s in regions)  # no compound in a village
    urban = sum(1 for _c, s in regions if s.endswith("街道"))
    assert 0.7 * len(regions) <= urban < len(regions)  # mostly the city; the town seats too


def _coverage():
    run = services.current_run(Region.objects.get(code=ANCI))
    return run, services.coverage(run, Compound.objects.in_region(ANCI))


def test_the_life_circle_reads_like_a_district():
    _run, cov = _coverage()
    levels = {x["level"]: x for x in cov.levels()}
    assert len(cov.compound_ids) == 214
    # most compounds have every 15-minute facility within 1,000 m, fewer every 10-minute one
    # within 500 m, fewer still every 5-minute one within 300 m; none of the levels is all or
    # nothing (the old lattice read 0/214 at every level)
    assert 60 <= levels[15]["compound_rate"] <= 95
    assert 0 < levels[5]["compounds"] < levels[10]["compounds"] < levels[15]["compounds"]
    by = {r["category"].code: r for r in cov.by_category()}
    # every required category exists and reaches someone; most leave someone out
    required = [r for r in by.values() if r["category"].required]
    assert all(r["compounds"] > 0 for r in required)
    assert sum(r["compounds"] < 214 for r in required) >= len(required) - 3


def test_the_gap_list_names_compounds_and_what_they_lack():
    _run, cov = _coverage()
    gaps = cov.gaps()
    assert 20 <= len(gaps) < 214
    lacking = {c.code for _cid, _pop, missing in gaps for c in missing}
    levels = {c.level for _cid, _pop, missing in gaps for c in missing}
    assert levels == {5, 10, 15} and len(lacking) >= 10
    # the largest gap is real: its compound has no such facility within the distance
    cid, _pop, missing = gaps[0]
    r = Result.objects.get(run=_run, compound_id=cid, category=missing[0])
    assert r.distance_m is None or r.distance_m > missing[0].distance_m


def test_the_siting_proposal_adds_coverage(user, settings):
    """Build what the proposal says (a facility at each proposed site), recompute the category
    along the network, and the proposal's newly covered compounds are covered."""
    run, cov = _coverage()
    district = Region.objects.get(code=ANCI)
    category = siting.default_category(cov)
    assert category is not None and category.required
    a = siting.analyse(user("district"), district, district, category, 3,
                       ["compound", "facility"], [])
    j = [c.code for c in cov.categories].index(category.code)
    before = int(cov.covered[:, j].sum())
    level_before = int(cov.level_flags(category.level).sum())
    assert a.added_compounds >= 3 and a.after["compounds"] > a.before["compounds"] == before
    region = Region.objects.filter(code__startswith="131002001", level="community").first()
    for i, s in enumerate(a.sites):
        Facility.objects.create(name=f"选址新建{i}", category=category, region=region,
                                lat=s["lat"], lng=s["lng"])
    assert services.update_category(ANCI, category.code)
    _run, cov2 = _coverage()
    after = int(cov2.covered[:, j].sum())
    assert after == before + a.added_compounds
    assert int(cov2.level_flags(category.level).sum()) >= level_before


def test_facilities_follow_the_plan_not_the_compounds():
    """Public facilities of the 15-minute level are few and central, shops many: the district
    has about one junior middle school per 15-minute unit and many convenience stores."""
    n = {c: Facility.objects.in_region(ANCI).filter(category_id=c).count()
         for c in ("secondary_school", "service_centre", "convenience", "community_station")}
    streets = Region.objects.filter(parent_id=ANCI).count()
    assert streets <= n["service_centre"] <= 3 * streets
    assert n["convenience"] > 5 * n["secondary_school"]
    assert n["community_station"] >= Region.objects.filter(
        code__startswith="131002", level="community").count() // 2
    assert FacilityCategory.objects.filter(facilities__region__code__startswith="131002"
                                           ).distinct().count() >= 28
