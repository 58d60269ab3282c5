"""A sample area with real geography, built from an OpenStreetMap extract (.osm XML or .osm.pbf).

What `build_sample` does, in order:

1. Reads the file with pyosmium (`osmium.FileProcessor` with node locations and area assembly;
   no hand-written parsing). A first, relations-only pass finds the 区/县 boundary relations
   (boundary=administrative, admin_level=6) and their member ways.
2. Collects, in the main pass:
   - named residential areas (landuse=residential with a name; closed ways and multipolygon
     relations, as osmium assembles them) → 小区. Population and households are not in OSM, so
     they stay 0; unnamed residential areas are left out;
   - points of interest (tagged nodes; ways and multipolygon relations at their centroid) whose
     tags match a facility category's `osm_tags` rules → 设施. A rule is a dict key→value; "*"
     matches any value; the key "name~" is a regular expression searched in the name; the first
     matching category in catalogue order (FacilityCategory.order) wins;
   - the walking network: highway ways a pedestrian may use (footway … primary; motorway, trunk
     and their links are left out, as are access=private/no without foot=yes, foot=no and
     area=yes) → one StreetNetwork of the district, length by haversine.
3. Decides the district. An explicit 6/12-digit code wins. Otherwise the named residential areas'
   centroid is located: in an assembled admin_level=6 boundary if the extract holds a complete one;
   else in the faces into which the boundary relations' member ways (usually incomplete in a
   clipped extract) cut the extract's bounding box, a face belonging to the district whose ways all
   bound it; else by the most common addr:district. The name ("金牛区 (Jinniu)" → 金牛区) is
   matched to the statistical divisions with the most common addr:city (or the admin_level=5
   name) as city hint. Undecidable → OSMError asking for --district.
4. Writes everything in one transaction under the district's own Region (real districts have no
   community polygons): rows are matched by `osm_id` ("way/123", "node/45", "relation/6") within
   the district, so a rerun on the same file updates instead of duplicating. Rows from an earlier
   extract that this file no longer holds are kept (and counted in the notes). Names are made
   unique per district (and per category for facilities) with a "（2）" suffix.

Everything written is real data (generated=False) and carries the ODbL attribution
"© OpenStreetMap contributors". The whole extract goes under the one district even where it
crosses into neighbouring districts.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import osmium
import shapely
from django.db import models, transaction
from shapely.geometry import LineString, MultiPoint, Point, Polygon, box, mapping

# One of the two allowed imports against the floors (places sits below lifecircle): the life
# circle's engine owns the walking rule and the OSM file opener, and it is Django-free. Nothing
# else of minsheng.lifecircle may be imported here.
from minsheng.lifecircle.engine import EngineError, open_osm
from minsheng.lifecircle.engine import walk_exclusion_reason as _walkable
from minsheng.places.actions import do_save_street_network
from minsheng.places.divisions import DivisionError, find_district, load_district
from minsheng.places.models import Compound, Facility, FacilityCategory, Region

ATTRIBUTION = "© OpenStreetMap contributors"
SOURCE_PREFIX = "OpenStreetMap（© OpenStreetMap contributors，ODbL）"

KIND_LABEL = {"node": "节点", "way": "路径", "relation": "关系"}
BOUNDARY_DIGITS = 7  # compound boundaries and points: ~1 cm
NETWORK_DIGITS = 6  # street lines: ~0.1 m, keeps the JSON small
SUMMARY_TOP = 6  # categories named in the summary line
CJK = re.compile(r"[\u4e00-\u9fff]+")

Progress = Callable[[str], object]


class OSMError(ValueError):
    """A problem with the OSM file or the district, worded for a district official."""


@dataclass
class SampleResult:
    district_code: str
    district_name: str
    compounds: int
    facilities: int
    by_category: dict[str, int]  # category code → facilities
    ways: int
    network_km: float
    skipped: list[str]
    category_names: dict[str, str] = field(default_factory=dict)  # code → 名称, for summary()

    def summary(self) -> str:
        cats = sorted(((c, n) for c, n in self.by_category.items() if n), key=lambda kv: -kv[1])
        parts = "、".join(f"{self.category_names.get(c, c)} {n}" for c, n in cats[:SUMMARY_TOP])
        if len(cats) > SUMMARY_TOP:
            parts += f" 等 {len(cats)} 类"
        line = (f"{self.district_name}样例：{self.compounds} 个小区（OSM 命名居住区）、"
                f"{self.facilities} 个设施" + (f"（{parts}）" if parts else "")
                + f"、道路 {self.network_km:.0f} km（{ATTRIBUTION}）")
        if not self.skipped:
            return line
        return line + "\n注意：" + "；".join(self.skipped)


# --- reading the file -----------------------------------------------------------------------

@dataclass
class Rule:
    category: str
    tags: dict[str, str]
    name_re: re.Pattern | None

    def matches(self, tags: dict[str, str]) -> bool:
        for k, v in self.tags.items():
            if k not in tags or (v != "*" and tags[k] != v):
                return False
        return self.name_re is None or bool(self.name_re.search(tags.get("name", "")))


def compile_rules(categories: Iterable[FacilityCategory]) -> list[Rule]:
    """The categories' `osm_tags` rules, in catalogue order."""
    rules = []
    for cat in sorted(categories, key=lambda c: (c.order, c.code)):
        for raw in cat.osm_tags or []:
            raw = dict(raw)
            pattern = raw.pop("name~", None)
            if not raw and pattern is None:
                continue
            rules.append(Rule(cat.code, {k: str(v) for k, v in raw.items()},
                              re.compile(pattern) if pattern else None))
    return rules


def match_category(tags: dict[str, str], rules: list[Rule]) -> str | None:
    return next((r.category for r in rules if r.matches(tags)), None)


@dataclass
class Place:
    osm_id: str
    name: str
    lng: float
    lat: float
    category: str = ""
    geom: object = None  # compounds: shapely (Multi)Polygon


@dataclass
class Extract:
    residential: list[Place] = field(default_factory=list)
    pois: list[Place] = field(default_factory=list)
    lines: list[list[tuple[float, float]]] = field(default_factory=list)
    network_m: float = 0.0
    objects: int = 0
    bounds: tuple[float, float, float, float] | None = None
    unnamed_residential: int = 0
    residential_ways: set[int] = field(default_factory=set)  # named landuse=residential ways
    broken: int = 0  # objects with missing node locations
    excluded_roads: Counter = field(default_factory=Counter)
    admin_relations: dict[int, tuple[str, set[int]]] = field(default_factory=dict)
    admin_lines: dict[int, LineString] = field(default_factory=dict)
    admin_areas: dict[str, object] = field(default_factory=dict)  # name → shapely geometry
    city_names: Counter = field(default_factory=Counter)
    addr_city: Counter = field(default_factory=Counter)
    addr_district: Counter = field(default_factory=Counter)


def _is_admin6(tags) -> bool:
    return tags.get("boundary") == "administrative" and tags.get("admin_level") == "6"


def _read_relations(src: osmium.io.File, ex: Extract) -> None:
    for o in osmium.FileProcessor(src, osmium.osm.RELATION):
        tags = o.tags
        if tags.get("boundary") != "administrative":
            continue
        name = tags.get("name:zh") or tags.get("name") or ""
        if tags.get("admin_level") == "6" and name:
            ways = {m.ref for m in o.members if m.type == "w"}
            ex.admin_relations[o.id] = (name, ways)
        elif tags.get("admin_level") == "5" and name:
            ex.city_names[name] += 1


def _tag_dict(tags) -> dict[str, str]:
    return {t.k: t.v for t in tags}


def _name(tags) -> str:
    return (tags.get("name") or tags.get("name:zh") or "").strip()


class _Reader:
    def __init__(self, ex: Extract, rules: list[Rule]):
        self.ex = ex
        self.rules = rules
        self.rule_keys = {k for r in rules for k in r.tags}
        self.admin_ways = {w for _, ways in ex.admin_relations.values() for w in ways}
        self.wkb = osmium.geom.WKBFactory()

    def _addr(self, tags) -> None:
        city = tags.get("addr:city")
        if city and CJK.match(city):
            self.ex.addr_city[city.removesuffix("市")] += 1
        district = tags.get("addr:district")
        if district and CJK.match(district):
            self.ex.addr_district[district] += 1

    def _poi(self, kind: str, oid: int, tags, point: Point) -> None:
        cat = match_category(_tag_dict(tags), self.rules)
        if cat:
            self.ex.pois.append(Place(f"{kind}/{oid}", _name(tags), round(point.x, 7),
                                      round(point.y, 7), cat))

    def node(self, o) -> None:
        if not len(o.tags):
            return
        self._addr(o.tags)
        loc = o.location
        if loc.valid() and self.rule_keys.intersection(t.k for t in o.tags):
            self._poi("node", o.id, o.tags, Point(loc.lon, loc.lat))

    def way(self, o) -> None:
        tags = o.tags
        self._addr(tags)
        if tags.get("landuse") == "residential" and _name(tags):
            self.ex.residential_ways.add(o.id)
        poi = bool(self.rule_keys.intersection(t.k for t in tags))
        if not (poi or o.id in self.admin_ways or "highway" in tags):
            return
        try:
            coords = [(n.lon, n.lat) for n in o.nodes]
        except osmium.InvalidLocationError:
            self.ex.broken += 1
            return
        if len(coords) < 2:
            return
        if o.id in self.admin_ways:
            self.ex.admin_lines[o.id] = LineString(coords)
        if "highway" in tags:
            self._road(o, tags, coords)
        if not poi:
            return
        geom = LineString(coords)
        if o.is_closed() and len(coords) >= 4:
            poly = Polygon(coords)
            if poly.is_valid and poly.area > 0:
                geom = poly
        self._poi("way", o.id, tags, geom.centroid)

    def _road(self, o, tags, coords) -> None:
        reason = _walkable(tags)
        if reason:
            self.ex.excluded_roads[reason] += 1
            return
        self.ex.lines.append(coords)
        self.ex.network_m += osmium.geom.haversine_distance(o.nodes)

    def area(self, o) -> None:
        tags = o.tags
        landuse_res = tags.get("landuse") == "residential"
        admin = not o.from_way() and _is_admin6(tags)
        poi = not o.from_way() and bool(self.rule_keys.intersection(t.k for t in tags))
        if not (landuse_res or admin or poi):
            return
        try:
            geom = shapely.from_wkb(self.wkb.create_multipolygon(o))
        except (RuntimeError, osmium.InvalidLocationError):
            self.ex.broken += 1
            return
        kind = "way" if o.from_way() else "relation"
        if admin:
            self.ex.admin_areas[tags.get("name:zh") or tags.get("name") or ""] = geom
        if poi:
            self._poi(kind, o.orig_id(), tags, geom.centroid)
        if landuse_res:
            name = _name(tags)
            if not name:
                self.ex.unnamed_residential += 1
                return
            if len(geom.geoms) == 1:
                geom = geom.geoms[0]
            rp = geom.representative_point()
            self.ex.residential.append(Place(f"{kind}/{o.orig_id()}", name, round(rp.x, 7),
                                             round(rp.y, 7), geom=geom))


def read_extract(path: Path, rules: list[Rule]) -> Extract:
    """Everything the sample needs from the file, as plain Python objects."""
    ex = Extract()
    try:
        src = open_osm(path)
    except EngineError as e:
        raise OSMError(str(e)) from e
    try:
        _read_relations(src, ex)
        fp = osmium.FileProcessor(src).with_locations().with_areas()
        b = fp.header.box()
        if b.valid():
            ex.bounds = (b.bottom_left.lon, b.bottom_left.lat, b.top_right.lon, b.top_right.lat)
        reader = _Reader(ex, rules)
        for o in fp:
            ex.objects += 1
            if o.is_node():
                reader.node(o)
            elif o.is_way():
                reader.way(o)
            elif o.is_area():
                reader.area(o)
            elif o.is_relation():
                reader._addr(o.tags)
    except RuntimeError as e:
        raise OSMError(f"无法读取“{path.name}”：它不是有效的 OpenStreetMap 文件（.osm 或 .osm.pbf）。"
                       f"（osmium：{e}）") from e
    ex.residential.sort(key=lambda p: _id_key(p.osm_id))
    ex.residential_ways -= {_id_key(p.osm_id)[1] for p in ex.residential
                            if p.osm_id.startswith("way/")}
    ex.pois.sort(key=lambda p: _id_key(p.osm_id))
    return ex


def _id_key(osm_id: str) -> tuple[str, int]:
    kind, _, num = osm_id.partition("/")
    return kind, int(num)


# --- which district -------------------------------------------------------------------------

def _short_name(name: str) -> str:
    """"金牛区 (Jinniu)" → "金牛区"; "成都市 / Chengdu" → "成都市"."""
    m = CJK.match(name.strip())
    return m.group(0) if m else ""


def residential_centre(ex: Extract) -> Point:
    return MultiPoint([(p.lng, p.lat) for p in ex.residential]).centroid


def _frame(ex: Extract):
    if ex.bounds:
        return box(*ex.bounds)
    pts = [(p.lng, p.lat) for p in ex.residential + ex.pois]
    return MultiPoint(pts).envelope.buffer(1e-4, cap_style="square")


def district_faces(ex: Extract) -> list[tuple[object, str]]:
    """The faces into which the (partial) district boundary ways cut the extract's box, each with
    the district it belongs to: the one whose relation holds every boundary way along the face.
    A face along a way that two districts share goes to the one not already across that way."""
    frame = _frame(ex)
    lines = {wid: ln.intersection(frame) for wid, ln in ex.admin_lines.items()}
    lines = {wid: ln for wid, ln in lines.items() if not ln.is_empty}
    if not lines:
        return []
    member_of: dict[int, set[str]] = {}
    for name, ways in ex.admin_relations.values():
        for w in ways:
            member_of.setdefault(w, set()).add(name)
    noded = shapely.unary_union([frame.boundary, *lines.values()])
    faces = list(shapely.polygonize([noded]).geoms)
    adjacent: list[set[int]] = []
    candidates: list[set[str]] = []
    for face in faces:
        edge = face.boundary.buffer(1e-9)
        adj = {wid for wid, ln in lines.items() if ln.intersection(edge).length > 1e-7}
        adjacent.append(adj)
        names = [member_of.get(w, set()) for w in adj]
        candidates.append(set.intersection(*names) if names else set())
    changed = True
    while changed:
        changed = False
        for i, cands in enumerate(candidates):
            if len(cands) < 2:
                continue
            across = {next(iter(candidates[j])) for j in range(len(faces))
                      if j != i and len(candidates[j]) == 1 and adjacent[i] & adjacent[j]}
            if len(cands - across) < len(cands) and cands - across:
                candidates[i] = cands - across
                changed = True
    return [(f, next(iter(c))) for f, c in zip(faces, candidates, strict=True) if len(c) == 1]


def district_from_faces(faces: list[tuple[object, str]], point: Point) -> str | None:
    return next((name for face, name in faces if face.covers(point)), None)


def _spread(ex: Extract, faces: list[tuple[object, str]]) -> str:
    """How the named residential areas fall across the districts' faces, e.g. "成华区 102、金牛区 53"."""
    c = Counter(district_from_faces(faces, Point(p.lng, p.lat)) for p in ex.residential)
    parts = [f"{_short_name(n)} {k}" for n, k in c.most_common() if n]
    if c.get(None):
        parts.append(f"边界外或未定 {c[None]}")
    return "、".join(parts)


def _city_hint(ex: Extract) -> str:
    if ex.addr_city:
        return ex.addr_city.most_common(1)[0][0]
    if ex.city_names:
        return _short_name(ex.city_names.most_common(1)[0][0]).removesuffix("市")
    return ""


def _lookup(name: str, city: str) -> list[tuple[str, str]]:
    short = _short_name(name)
    if not short:
        return []
    for candidate in (short, short + "区", short + "县"):
        found = find_district(candidate, city)
        if found:
            return found
    return []


def infer_district(ex: Extract, progress: Progress) -> str:
    """The 12-digit code of the district the sample belongs to, or OSMError."""
    centre = residential_centre(ex)
    city = _city_hint(ex)
    guesses: list[tuple[str, str]] = []
    for name, geom in ex.admin_areas.items():
        if geom.covers(centre):
            guesses.append((name, "OSM 区县边界"))
    faces = district_faces(ex)
    # The district that holds most of the named residential areas (a sample cut from a city
    # centre often straddles several districts; its centroid may fall in a minority one).
    counts = Counter(district_from_faces(faces, Point(p.lng, p.lat)) for p in ex.residential)
    counts.pop(None, None)
    if counts:
        guesses.append((counts.most_common(1)[0][0],
                        "OSM 区县边界线（不完整，按边界线分割本文件范围，取小区最多的区县）"))
    if ex.addr_district:
        guesses.append((ex.addr_district.most_common(1)[0][0], "地址标签 addr:district 中最常见的区县"))
    for name, how in guesses:
        found = _lookup(name, city)
        if len(found) == 1:
            code, full = found[0]
            progress(f"所属区县：{full}（{code[:6]}），依据：{how}；小区中心点 "
                     f"{centre.y:.4f}°N {centre.x:.4f}°E")
            if faces:
                progress(f"本文件的小区按 OSM 区界分布：{_spread(ex, faces)}；"
                         f"全部记在{full}下，要换区县请用 --district")
            return code
    tried = "、".join(dict.fromkeys(_short_name(n) or n for n, _ in guesses)) or "无"
    raise OSMError(f"无法从文件判断样例属于哪个区/县（文件中的区县线索：{tried}；城市：{city or '未知'}）。"
                   "请用 --district 指定区划代码，例如 --district 510106。")


# --- writing --------------------------------------------------------------------------------

def _round_geom(geom, digits: int) -> dict:
    return mapping(shapely.transform(geom, lambda c: np.round(c, digits)))


def _district_region(code: str) -> Region:
    try:
        load_district(code)
    except DivisionError as e:
        raise OSMError(f"{e}。请检查 --district 参数（6位或12位区划代码，例如 510106）。") from e
    return Region.objects.select_related("parent").get(code=code.ljust(12, "0"))


def _display_name(district: Region) -> str:
    parent = district.parent
    if parent is None or parent.name in {"市辖区", "县", "省直辖县级行政区划"}:
        return district.name
    return parent.name + district.name


def _unique(name: str, group: str, taken: set[tuple[str, str]]) -> str:
    base = name[:100]
    n = 1
    while (group, name) in taken:
        n += 1
        suffix = f"（{n}）"
        name = base[: 100 - len(suffix)] + suffix
    taken.add((group, name))
    return name


def _upsert(model: type[models.Model], district: Region, rows: list[dict],
            group: str | None) -> tuple[int, int]:
    """Create or update rows (dicts with osm_id and name) of `model` in the district, matched by
    osm_id; names made unique within (region[, group field]). Returns (created, stale kept)."""
    mine = model.objects.filter(region=district)
    wanted = {r["osm_id"] for r in rows}
    existing = {o.osm_id: o for o in mine.exclude(osm_id="") if o.osm_id in wanted}
    others = mine.exclude(pk__in=[o.pk for o in existing.values()])
    gkey = (group + "_id") if group else None
    taken = {(str(getattr(o, gkey)) if gkey else "", o.name) for o in others}
    stale = others.exclude(osm_id="").filter(generated=False).count()
    create, update, renamed = [], [], []
    for r in rows:
        g = str(r[gkey]) if gkey else ""
        r = {**r, "name": _unique(r["name"], g, taken)}
        obj = existing.get(r["osm_id"])
        if obj is None:
            create.append(model(region=district, generated=False, **r))
            continue
        if obj.name != r["name"]:
            renamed.append(obj)
        for k, v in r.items():
            setattr(obj, k, v)
        update.append(obj)
    if renamed:  # move old names out of the way first: the unique constraint is checked per row
        final = {o.pk: o.name for o in renamed}
        for o in renamed:
            o.name = f"~{o.osm_id}"
        model.objects.bulk_update(renamed, ["name"])
        for o in renamed:
            o.name = final[o.pk]
    if update:
        fields = sorted({k.removesuffix("_id") if k == gkey else k for r in rows for k in r}
                        - {"osm_id"})
        model.objects.bulk_update(update, fields, batch_size=500)
    model.objects.bulk_create(create, batch_size=500)
    return len(create), stale


def _save_compounds(district: Region, ex: Extract) -> int:
    rows = [{"osm_id": p.osm_id, "name": p.name, "lat": p.lat, "lng": p.lng,
             "boundary": _round_geom(p.geom, BOUNDARY_DIGITS)} for p in ex.residential]
    _, stale = _upsert(Compound, district, rows, None)
    return stale


def _facility_name(p: Place, cats: dict[str, FacilityCategory]) -> str:
    if p.name:
        return p.name
    kind, _, num = p.osm_id.partition("/")
    return f"{cats[p.category].name}（OSM {KIND_LABEL[kind]} {num}）"


def _save_facilities(district: Region, ex: Extract, cats: dict[str, FacilityCategory]) -> int:
    rows = [{"osm_id": p.osm_id, "name": _facility_name(p, cats), "category_id": p.category,
             "lat": p.lat, "lng": p.lng} for p in ex.pois]
    _, stale = _upsert(Facility, district, rows, "category")
    return stale


def _save_network(district: Region, ex: Extract, file_name: str, user=None) -> None:
    lines = [[[round(x, NETWORK_DIGITS), round(y, NETWORK_DIGITS)] for x, y in line]
             for line in ex.lines]
    do_save_street_network(district, lines, source=f"{SOURCE_PREFIX}：{file_name}",
                           name=f"{district.name}步行道路网（OpenStreetMap）", user=user)


def _place_district(district: Region, ex: Extract) -> None:
    """Give a district without coordinates the residential centre, and a complete OSM boundary."""
    changed = []
    if district.lat is None or district.lng is None:
        c = residential_centre(ex)
        district.lat, district.lng = round(c.y, 6), round(c.x, 6)
        changed += ["lat", "lng"]
    own = next((g for n, g in ex.admin_areas.items() if _short_name(n) == district.name), None)
    if own is not None and district.boundary is None:
        district.boundary = _round_geom(own, BOUNDARY_DIGITS)
        district.geometry_generated = False
        changed += ["boundary", "geometry_generated"]
    if changed:
        district.save(update_fields=changed)


def _notes(ex: Extract, stale_compounds: int, stale_facilities: int) -> list[str]:
    notes = ["小区的人口、户数 OSM 中没有，记为 0，需由社区补录"]
    if ex.unnamed_residential:
        notes.append(f"{ex.unnamed_residential} 个未命名的居住区（landuse=residential 无 name）未导入")
    if ex.residential_ways:
        notes.append(f"{len(ex.residential_ways)} 个命名居住区的轮廓不闭合或无效，未导入")
    if ex.broken:
        notes.append(f"{ex.broken} 个对象缺少节点坐标（文件裁剪所致），未导入")
    fast = sum(n for k, n in ex.excluded_roads.items() if k in {"motorway", "motorway_link",
                                                                 "trunk", "trunk_link"})
    if fast:
        notes.append(f"{fast} 段高速公路/快速路（motorway、trunk）不计入步行路网")
    if ex.excluded_roads.get("private"):
        notes.append(f"{ex.excluded_roads['private']} 段禁止通行或私有道路不计入步行路网")
    if stale_compounds or stale_facilities:
        notes.append(f"以前导入、本文件中已没有的 {stale_compounds} 个小区、{stale_facilities} 个设施已保留，"
                     "请核实后手工删除")
    return notes


def build_sample(path: Path, district_code: str | None = None, *,
                 progress: Progress = print, user=None) -> SampleResult:
    """Build (or refresh) the sample area of one district from an OSM extract. All or nothing;
    the network write is audited under `user` (None for the command line)."""
    path = Path(path)
    if not path.is_file():
        raise OSMError(f"找不到 OSM 文件：{path}")
    if district_code is not None:
        district_code = district_code.strip()
        if not (district_code.isdigit() and len(district_code) in (6, 12)):
            raise OSMError(f"“{district_code}”不是区/县的区划代码（应为6位或12位数字，例如 510106）")
    cats = {c.code: c for c in FacilityCategory.objects.all()}
    progress(f"读取 OpenStreetMap 文件 {path.name} …")
    ex = read_extract(path, compile_rules(cats.values()))
    if not ex.objects:
        raise OSMError(f"“{path.name}”中没有任何 OpenStreetMap 数据。")
    if not ex.residential:
        raise OSMError(f"“{path.name}”中没有命名的居住区（landuse=residential 且有 name），"
                       "无法生成小区样例。请换一个包含城区的 OSM 文件。")
    progress(f"已读取 {ex.objects} 个 OSM 对象：{len(ex.residential)} 个命名居住区、"
             f"{len(ex.pois)} 个设施点、{len(ex.lines)} 段步行道路")
    code = district_code.ljust(12, "0") if district_code else infer_district(ex, progress)
    with transaction.atomic():
        district = _district_region(code)
        progress(f"写入 {district.name}：小区 …")
        stale_c = _save_compounds(district, ex)
        progress(f"写入 {district.name}：设施 …")
        stale_f = _save_facilities(district, ex, cats)
        progress(f"写入 {district.name}：步行道路网 …")
        _save_network(district, ex, path.name, user)
        _place_district(district, ex)
    by_category = dict(Counter(p.category for p in ex.pois))
    return SampleResult(
        district_code=district.code, district_name=_display_name(district),
        compounds=len(ex.residential), facilities=len(ex.pois),
        by_category={c: by_category[c] for c in cats if c in by_category},
        ways=len(ex.lines), network_km=round(ex.network_m / 1000, 1),
        skipped=_notes(ex, stale_c, stale_f),
        category_names={c: cat.name for c, cat in cats.items()},
    )

