"""The OpenStreetMap sample-area builder: a hand-written extract for the tag rules, and the real
central-Chengdu extract in ../shared/data (skipped where absent; never copied into the repo)."""

from __future__ import annotations

import io
import math
from pathlib import Path

import osmium
import pytest
from django.core.management import CommandError, call_command

from minsheng.accounts.models import AuditLog
from minsheng.places import osm
from minsheng.places.actions import do_save_street_network
from minsheng.places.models import Compound, Facility, Region, StreetNetwork
from minsheng.places.osm import OSMError, build_sample

pytestmark = pytest.mark.django_db

JINNIU = "510106000000"
CHENGHUA = "510108000000"
LAT0, LNG0 = 30.68, 104.07
STEP = 0.001  # degrees of latitude between the road nodes: ~111.2 m

# id, tags; all POI nodes sit inside the compound square.
POI_NODES = {
    10: {"shop": "convenience", "name": "街角便利店"},
    11: {"shop": "convenience", "name": "街角便利店"},
    12: {"shop": "convenience"},
    13: {"amenity": "school", "name": "某某小学"},
    14: {"amenity": "school", "name": "某某中学"},
    15: {"amenity": "community_centre", "name": "某某社区党群服务中心"},
    16: {"amenity": "community_centre", "name": "文化馆"},
    17: {"shop": "supermarket", "name": "好邻居生鲜超市"},
    18: {"shop": "supermarket", "name": "红旗连锁"},
    19: {"craft": "shoemaker", "name": "老王修鞋"},
    20: {"amenity": "restaurant", "name": "川菜馆"},
}
# id, tags, included in the walking network?
ROADS = [
    (200, {"highway": "footway"}, True),
    (201, {"highway": "motorway"}, False),
    (202, {"highway": "residential", "access": "private"}, False),
    (203, {"highway": "residential", "foot": "no"}, False),
    (204, {"highway": "trunk"}, False),
    (205, {"highway": "residential", "access": "private", "foot": "yes"}, True),
    (206, {"highway": "steps"}, True),
]


def _tags(tags: dict[str, str]) -> str:
    return "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())


def tiny_osm(*, named: bool = True, with_admin: bool = False) -> str:
    """A small extract (objects sorted by id, as osmium requires): one named compound (way 100),
    one unnamed (way 101), POIs, roads, and a kindergarten drawn as a closed way (300)."""
    nodes, ways = [], []

    def node(nid: int, lat: float, lng: float, tags: dict | None = None) -> None:
        nodes.append((nid, f'<node id="{nid}" version="1" lat="{lat:.7f}" lon="{lng:.7f}">'
                     f'{_tags(tags or {})}</node>'))

    def way(wid: int, refs: list[int], tags: dict) -> None:
        nds = "".join(f'<nd ref="{r}"/>' for r in refs)
        ways.append((wid, f'<way id="{wid}" version="1">{nds}{_tags(tags)}</way>'))

    d = 0.004
    for nid, (dy, dx) in zip((1, 2, 3, 4), ((0, 0), (0, d), (d, d), (d, 0)), strict=True):
        node(nid, LAT0 + dy, LNG0 + dx)
    compound = {"landuse": "residential", **({"name": "测试小区"} if named else {})}
    way(100, [1, 2, 3, 4, 1], compound)
    way(101, [1, 2, 3, 1], {"landuse": "residential"})
    for i, (nid, tags) in enumerate(POI_NODES.items()):
        node(nid, LAT0 + 0.0005 + i * 0.0002, LNG0 + 0.001, tags)
    for nid, (dy, dx) in zip((40, 41, 42, 43), ((0, 0), (0, 5), (5, 5), (5, 0)), strict=True):
        node(nid, LAT0 + 0.001 + dy * 1e-4, LNG0 + 0.002 + dx * 1e-4)
    way(300, [40, 41, 42, 43, 40], {"amenity": "kindergarten", "name": "阳光幼儿园"})
    for i, (wid, tags, _walk) in enumerate(ROADS):
        a, b = 1000 + 2 * i, 1001 + 2 * i
        lng = LNG0 + 0.006 + i * 0.001
        node(a, LAT0, lng)
        node(b, LAT0 + STEP, lng)
        way(wid, [a, b], tags)
    node(1100, LAT0, LNG0 + 0.02)
    way(207, [1100, 1101], {"highway": "footway"})  # node 1101 is not in the file
    relations = []
    if with_admin:  # an admin boundary relation whose ways are missing: cannot decide
        relations.append('<relation id="900" version="1"><member type="way" ref="999" role="outer"/>'
                    + _tags({"type": "boundary", "boundary": "administrative",
                             "admin_level": "6", "name": "金牛区 (Jinniu)"}) + "</relation>")
    return ("<?xml version='1.0' encoding='UTF-8'?>\n<osm version=\"0.6\" generator=\"test\">\n"
            + "\n".join([x for _, x in sorted(nodes)] + [x for _, x in sorted(ways)] + relations)
            + "\n</osm>\n")


@pytest.fixture
def tiny(tmp_path) -> Path:
    p = tmp_path / "tiny.osm"
    p.write_text(tiny_osm(), encoding="utf-8")
    return p


def quiet(*_args) -> None:
    pass


def counts() -> tuple[int, int, int, int]:
    return (Compound.objects.count(), Facility.objects.count(), StreetNetwork.objects.count(),
            Region.objects.count())


def facility(osm_id: str) -> Facility:
    return Facility.objects.select_related("category").get(region_id=JINNIU, osm_id=osm_id)


# --- the hand-written extract -------------------------------------------------------------

def test_tag_rules_pick_the_first_matching_category_in_catalogue_order(tiny):
    r = build_sample(tiny, "510106", progress=quiet)
    assert r.district_code == JINNIU
    assert r.district_name == "成都市金牛区"
    expected = {
        "node/10": ("convenience", "街角便利店"),
        "node/11": ("convenience", "街角便利店（2）"),  # same name in the same category
        "node/12": ("convenience", "便利店（OSM 节点 12）"),  # unnamed
        "node/13": ("primary_school", "某某小学"),
        "node/14": ("secondary_school", "某某中学"),
        "node/15": ("community_station", "某某社区党群服务中心"),  # name~ 党群服务
        "node/16": ("culture_station", "文化馆"),
        "node/17": ("market", "好邻居生鲜超市"),  # supermarket with name~ 生鲜 → market first
        "node/18": ("supermarket", "红旗连锁"),
        "node/19": ("repair", "老王修鞋"),  # craft=*
        "way/300": ("kindergarten", "阳光幼儿园"),
    }
    for osm_id, (cat, name) in expected.items():
        f = facility(osm_id)
        assert (f.category_id, f.name) == (cat, name), osm_id
        assert not f.generated
    assert not Facility.objects.filter(osm_id="node/20").exists()  # a restaurant: no category
    assert r.facilities == len(expected) == Facility.objects.filter(region_id=JINNIU).count()
    assert r.by_category["convenience"] == 3
    # The kindergarten way sits at its centroid.
    kg = facility("way/300")
    assert kg.lat == pytest.approx(LAT0 + 0.001 + 2.5e-4, abs=1e-6)
    assert kg.lng == pytest.approx(LNG0 + 0.002 + 2.5e-4, abs=1e-6)


def test_named_residential_area_becomes_a_compound_with_its_outline(tiny):
    r = build_sample(tiny, "510106", progress=quiet)
    assert r.compounds == 1
    c = Compound.objects.get(region_id=JINNIU, osm_id="way/100")
    assert c.name == "测试小区"
    assert not c.generated
    assert (c.population, c.households) == (0, 0)
    assert c.boundary["type"] == "Polygon"
    ring = c.boundary["coordinates"][0]
    assert len(ring) == 5
    assert all(round(x, 7) == x and round(y, 7) == y for x, y in ring)
    assert LAT0 < c.lat < LAT0 + 0.004 and LNG0 < c.lng < LNG0 + 0.004
    assert any("未命名" in s for s in r.skipped)  # way 101
    assert any("人口" in s for s in r.skipped)


def test_walking_network_leaves_out_motorways_trunks_and_private_roads(tiny):
    r = build_sample(tiny, "510106", progress=quiet)
    walk = [wid for wid, _tags, ok in ROADS if ok]
    assert r.ways == len(walk) == 3  # way 207 lacks a node: left out and counted
    assert any("1 个对象缺少节点坐标" in s for s in r.skipped)
    metres_per_step = STEP * math.pi / 180 * 6_371_008.8
    assert r.network_km == pytest.approx(round(3 * metres_per_step / 1000, 1), abs=0.05)
    net = StreetNetwork.objects.get(region_id=JINNIU, generated=False)
    assert net.geometry["type"] == "MultiLineString"
    assert len(net.geometry["coordinates"]) == 3
    lngs = sorted(line[0][0] for line in net.geometry["coordinates"])
    idx = [i for i, (_w, _t, ok) in enumerate(ROADS) if ok]
    assert lngs == [round(LNG0 + 0.006 + i * 0.001, 6) for i in idx]
    assert net.source == "OpenStreetMap（© OpenStreetMap contributors，ODbL）：tiny.osm"


def test_pbf_gives_the_same_sample(tiny, tmp_path):
    pbf = tmp_path / "tiny.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as w:
        for o in osmium.FileProcessor(str(tiny)):
            w.add(o)
    r = build_sample(pbf, "510106", progress=quiet)
    assert (r.compounds, r.facilities, r.ways) == (1, 11, 3)
    assert facility("node/13").category_id == "primary_school"


def test_rerun_updates_rows_in_place(tiny):
    build_sample(tiny, "510106", progress=quiet)
    before = {(o.pk, o.name) for o in Facility.objects.filter(region_id=JINNIU)}
    compound_pk = Compound.objects.get(osm_id="way/100").pk
    build_sample(tiny, "510106", progress=quiet)
    assert {(o.pk, o.name) for o in Facility.objects.filter(region_id=JINNIU)} == before
    assert Compound.objects.get(osm_id="way/100").pk == compound_pk
    assert StreetNetwork.objects.filter(region_id=JINNIU).count() == 1


def test_district_cannot_be_inferred_without_boundaries(tmp_path):
    p = tmp_path / "nowhere.osm"
    p.write_text(tiny_osm(with_admin=True), encoding="utf-8")
    before = counts()
    with pytest.raises(OSMError, match="--district"):
        build_sample(p, progress=quiet)
    assert counts() == before


def test_no_named_residential_area_is_an_error(tmp_path):
    p = tmp_path / "unnamed.osm"
    p.write_text(tiny_osm(named=False), encoding="utf-8")
    before = counts()
    with pytest.raises(OSMError, match="没有命名的居住区"):
        build_sample(p, "510106", progress=quiet)
    assert counts() == before


@pytest.mark.parametrize("content", ["this is not an OSM file\n", "<html><body/></html>\n", ""])
def test_garbage_file_is_an_error_and_writes_nothing(tmp_path, content):
    p = tmp_path / "garbage.osm"
    p.write_text(content, encoding="utf-8")
    before = counts()
    with pytest.raises(OSMError) as e:
        build_sample(p, "510106", progress=quiet)
    assert "OpenStreetMap" in str(e.value)
    assert counts() == before


def test_missing_file_and_bad_district_codes(tiny, tmp_path):
    before = counts()
    with pytest.raises(OSMError, match="找不到 OSM 文件"):
        build_sample(tmp_path / "missing.osm", progress=quiet)
    with pytest.raises(OSMError, match="6位或12位"):
        build_sample(tiny, "5101", progress=quiet)
    with pytest.raises(OSMError, match="不是已知的区/县"):
        build_sample(tiny, "999999", progress=quiet)
    with pytest.raises(OSMError, match="区/县"):
        build_sample(tiny, "510106001000", progress=quiet)  # a street, not a district
    assert counts() == before


def test_a_failure_while_writing_rolls_everything_back(tiny, monkeypatch):
    def boom(*_a, **_k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(osm, "_save_network", boom)
    before = counts()
    with pytest.raises(RuntimeError):
        build_sample(tiny, "510106", progress=quiet)
    assert counts() == before


def test_command_prints_summary_and_turns_errors_into_command_errors(tiny, tmp_path):
    out = io.StringIO()
    call_command("osm_sample", str(tiny), district="510106", stdout=out)
    text = out.getvalue()
    assert "成都市金牛区样例：1 个小区" in text
    assert "© OpenStreetMap contributors" in text
    bad = tmp_path / "bad.osm"
    bad.write_text("nonsense", encoding="utf-8")
    with pytest.raises(CommandError, match="不是有效的 OpenStreetMap 文件"):
        call_command("osm_sample", str(bad), district="510106", stdout=io.StringIO())


# --- the real central-Chengdu extract -----------------------------------------------------

@pytest.mark.shared_data
def test_chengdu_sample_is_inferred_counted_and_idempotent(chengdu_osm):
    messages: list[str] = []
    r = build_sample(chengdu_osm, progress=messages.append)
    assert r.district_code.startswith("5101")
    # Most named residential areas (102 of 178) lie in 成华区 between the (partial) district
    # boundaries, though their centroid falls just inside 金牛区.
    assert (r.district_code, r.district_name) == (CHENGHUA, "成都市成华区")
    assert any("成华区" in m and "依据" in m for m in messages)

    compounds = Compound.objects.filter(region_id=CHENGHUA, generated=False)
    assert r.compounds == 178 == compounds.count()  # SOURCE.md: 178 named residential areas
    assert compounds.filter(name="招商.雍华府").exists()
    assert compounds.filter(name="招商.雍华府（2）").exists()  # two areas of that name
    assert all(c.boundary["type"] in ("Polygon", "MultiPolygon") for c in compounds)
    assert all(30.6 < c.lat < 30.8 and 104.0 < c.lng < 104.2 for c in compounds)

    by = r.by_category
    schools = by.get("primary_school", 0) + by.get("secondary_school", 0)
    assert schools == 55  # SOURCE.md: 55 schools
    assert by.get("health_station", 0) + by.get("health_centre", 0) == 31  # clinics/hospitals
    assert by.get("market", 0) + by.get("supermarket", 0) == 31  # markets/supermarkets
    assert by["park"] >= 25
    assert by["kindergarten"] >= 5
    facilities = Facility.objects.filter(region_id=CHENGHUA)
    assert facilities.count() == r.facilities == sum(by.values())
    assert facilities.filter(category_id="primary_school", name__contains="小学").count() >= 15
    assert facilities.filter(category_id="park", name="人民公园").exists()

    net = StreetNetwork.objects.get(region_id=CHENGHUA, generated=False)
    assert len(net.geometry["coordinates"]) == r.ways > 1500
    assert 700 < r.network_km < 950  # SOURCE.md: ~864 km (OSMnx walk, largest component)
    assert "178 个小区" in r.summary() and "© OpenStreetMap contributors" in r.summary()

    ids = (set(compounds.values_list("pk", flat=True)), set(facilities.values_list("pk", flat=True)))
    again = build_sample(chengdu_osm, progress=quiet)
    assert (again.compounds, again.facilities) == (r.compounds, r.facilities)
    assert ids == (set(compounds.values_list("pk", flat=True)),
                   set(facilities.values_list("pk", flat=True)))
    assert StreetNetwork.objects.filter(region_id=CHENGHUA).count() == 1


@pytest.mark.shared_data
def test_chengdu_sample_under_an_explicit_district(chengdu_osm):
    out = io.StringIO()
    call_command("osm_sample", str(chengdu_osm), district="510104", stdout=out)
    assert "成都市锦江区样例：178 个小区" in out.getvalue()
    assert Compound.objects.filter(region_id="510104000000", generated=False).count() == 178
    assert not Compound.objects.filter(region_id=CHENGHUA).exists()
    assert Region.objects.filter(code__startswith="510104", level="street").exists()


# --- the one writer of street networks ----------------------------------------------------------

def test_do_save_street_network_replaces_the_districts_network_of_its_kind():
    district = Region.objects.get(code="131002000000")
    generated = StreetNetwork.objects.get(region=district, generated=True)
    first = do_save_street_network(district, [[[116.7, 39.5], [116.71, 39.5]]],
                                   source="OpenStreetMap：a.osm", name="路网")
    second = do_save_street_network(district, [[[116.7, 39.5], [116.72, 39.5]]],
                                    source="OpenStreetMap：b.osm", name="路网")
    assert second.pk == first.pk and second.source == "OpenStreetMap：b.osm"
    assert StreetNetwork.objects.filter(region=district, generated=False).count() == 1
    assert StreetNetwork.objects.get(pk=generated.pk).geometry == generated.geometry  # untouched
    assert AuditLog.objects.filter(object_type="places.streetnetwork", object_id=str(first.pk),
                                   action=AuditLog.Action.IMPORT).count() == 2
