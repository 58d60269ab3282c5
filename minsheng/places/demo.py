"""The demo district: real division names and codes, generated (and labelled) geography.

No street map or compound list of 安次区 can be had offline, so everything spatial here is generated
from a seed: a district outline, street/town and community cells (Voronoi), a street lattice in the
built-up areas with roads between towns, compounds on lattice blocks, service points near compounds,
grids inside communities, and organisations. Every generated row carries `generated=True` and the
pages say so. The same seed gives the same district, so running the demo twice changes nothing.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import shapely
from django.db import transaction
from shapely.geometry import LineString, MultiLineString, MultiPoint, Point, Polygon, box, mapping
from shapely.ops import unary_union

from minsheng.places.actions import do_save_street_network
from minsheng.places.divisions import load_district
from minsheng.places.models import (
    Compound,
    Facility,
    FacilityCategory,
    Grid,
    Organisation,
    Region,
)


@dataclass(frozen=True)
class DemoDistrict:
    code: str  # 6 digits
    centre: tuple[float, float]  # lng, lat of the district outline
    radius_km: tuple[float, float]  # east-west, north-south half extents
    urban_centre: tuple[float, float]
    compounds: int
    signed_points: int


DISTRICTS = {
    # 廊坊市安次区: 214 compounds and 353 signed life-circle service points, as its report says.
    "131002": DemoDistrict("131002", (116.64, 39.42), (17.0, 13.0), (116.69, 39.50), 214, 353),
    # 大同市平城区: all 街道, a compact city district.
    "140213": DemoDistrict("140213", (113.30, 40.08), (9.0, 8.0), (113.30, 40.08), 160, 180),
}

KM_LAT = 1 / 111.0

NAME_HEADS = ["银河", "光明", "永华", "龙河", "华苑", "盛德", "幸福", "阳光", "金泰", "和平", "新源", "锦绣", "翠景", "馨园", "康庄", "富贵", "祥和", "惠民", "文苑", "瑞祥", "安居", "富华", "东方", "紫御", "香榭", "恒大", "怡和", "荣盛", "嘉华", "书香", "明珠", "世纪", "春晖", "长安", "润泽", "丽景", "碧水", "芳华", "泰和", "新华", "星河", "金地", "福泽", "兴业", "育才", "红星", "青年", "园丁", "建设", "电力", "铁路", "粮食", "邮电", "纺织"]
NAME_TAILS = ["小区", "家园", "花园", "苑", "里", "嘉园", "公寓", "新村", "雅居", "名苑", "佳园", "华庭"]
COMPANY_NAMES = ["廊坊市安泰物业服务有限公司", "廊坊市华逸物业管理有限公司", "河北盛德物业服务有限公司", "廊坊市龙河物业服务有限公司", "廊坊市惠居物业管理有限公司", "廊坊市新源物业服务有限公司", "廊坊市祥和物业管理有限公司", "廊坊市恒安物业服务有限公司", "河北宜居物业服务有限公司", "廊坊市瑞景物业管理有限公司", "廊坊市万家物业服务有限公司", "廊坊市东方物业管理有限公司"]
SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗"]
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超", "秀英", "华", "平", "刚", "桂英", "建国", "志强", "海燕"]
ESCALATION_OFFICE = "区民生工作办公室"  # receives cases a street lets go overdue
_F = Organisation.Function
DEPARTMENTS = {
    "区民政局": _F.CIVIL_AFFAIRS, "区住房和城乡建设局": _F.HOUSING,
    "区人力资源和社会保障局": _F.HUMAN_RESOURCES, "区教育局": _F.EDUCATION,
    "区卫生健康局": _F.HEALTH, "区财政局": _F.FINANCE, "区司法局": _F.JUSTICE,
    "区城市管理综合行政执法局": _F.URBAN_MANAGEMENT, "区应急管理局": _F.EMERGENCY,
    "区生态环境分局": _F.ENVIRONMENT, ESCALATION_OFFICE: _F.LIVELIHOOD_OFFICE,
    # since the 2023 institutional reform the 乡村振兴局 is part of the 农业农村局 (防返贫 monitoring)
    "区农业农村局（区乡村振兴局）": _F.AGRICULTURE,
}

# Signed service points: MOFCOM's basic trades and community services (weights).
SIGNED_MIX = {
    "convenience": 60, "supermarket": 22, "breakfast": 40, "hairdresser": 35, "laundry": 18,
    "housekeeping": 14, "repair": 24, "pharmacy": 36, "post_express": 40, "recycling": 16,
    "community_station": 24, "elderly_day_care": 14, "canteen": 10,
}
# Public facilities per street (街道) and per town; deliberately thin so the life circle has gaps.
PUBLIC_PER_STREET = {
    "health_centre": 1, "health_station": 3, "secondary_school": 1, "primary_school": 3,
    "kindergarten": 4, "park": 2, "market": 3, "sports_ground": 1, "culture_centre": 1,
    "culture_station": 2, "fitness_ground": 3, "elderly_home": 1, "service_centre": 1,
    "police": 1, "bank": 2, "mall": 1,
}
PUBLIC_PER_TOWN = {
    "health_centre": 1, "secondary_school": 1, "primary_school": 1, "kindergarten": 1, "market": 1,
    "service_centre": 1, "police": 1, "elderly_home": 1, "culture_station": 1, "park": 0,
}


def _dlng(km: float, lat: float) -> float:
    return km / (111.32 * math.cos(math.radians(lat)))


def _jittered_outline(rng: random.Random, d: DemoDistrict) -> Polygon:
    lng0, lat0 = d.centre
    pts = []
    for i in range(28):
        a = 2 * math.pi * i / 28
        r = rng.uniform(0.82, 1.08)
        pts.append((lng0 + _dlng(d.radius_km[0] * r * math.cos(a), lat0),
                    lat0 + d.radius_km[1] * r * math.sin(a) * KM_LAT))
    return Polygon(pts).buffer(0)


def _random_point_in(rng: random.Random, poly, near=None, spread_km: float | None = None) -> Point:
    minx, miny, maxx, maxy = poly.bounds
    for _ in range(2000):
        if near is not None and spread_km:
            lat = near[1] + rng.gauss(0, spread_km * KM_LAT)
            lng = near[0] + rng.gauss(0, _dlng(spread_km, near[1]))
            p = Point(lng, lat)
        else:
            p = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if poly.contains(p):
            return p
    return poly.representative_point()


def _spread_points(rng, poly, n, *, near=None, spread_km=None, min_km=0.3) -> list[Point]:
    """n points inside poly, kept apart so Voronoi cells are not slivers."""
    pts: list[Point] = []
    min_deg = min_km * KM_LAT
    attempts = 0
    while len(pts) < n:
        p = _random_point_in(rng, poly, near, spread_km)
        attempts += 1
        if attempts < 4000 and any(p.distance(q) < min_deg for q in pts):
            continue
        pts.append(p)
    return pts


def _cells(seeds: list[Point], within) -> list:
    """Voronoi cells of seeds clipped to `within`, in seed order."""
    if len(seeds) == 1:
        return [within]
    cells = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=within)
    out = []
    for s in seeds:
        cell = next((c for c in cells.geoms if c.contains(s)), None)
        geom = cell.intersection(within) if cell is not None else s.buffer(0.001)
        if geom.geom_type == "GeometryCollection":
            geom = unary_union([g for g in geom.geoms if g.area > 0])
        out.append(geom)
    return out


def _geojson(geom, ndigits: int = 6) -> dict:
    geom = shapely.set_precision(geom, 10 ** -ndigits)
    return mapping(geom)


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def phone_number(rng: random.Random) -> str:
    return rng.choice(["138", "139", "150", "151", "186", "187", "133", "177"]) + "".join(
        str(rng.randrange(10)) for _ in range(8))


def is_urban_street(region: Region) -> bool:
    return region.name.endswith("街道")


def _lattice(rng, area, spacing_km: float) -> list[LineString]:
    """An irregular street lattice over `area` (jittered spacing), clipped to it."""
    minx, miny, maxx, maxy = area.bounds
    lat = (miny + maxy) / 2
    lines = []
    y = miny
    while y < maxy:
        lines.append(LineString([(minx, y), (maxx, y)]))
        y += spacing_km * KM_LAT * rng.uniform(0.75, 1.25)
    x = minx
    while x < maxx:
        lines.append(LineString([(x, miny), (x, maxy)]))
        x += _dlng(spacing_km, lat) * rng.uniform(0.75, 1.25)
    out = []
    for ln in lines:
        clipped = ln.intersection(area)
        if clipped.is_empty:
            continue
        out.extend(getattr(clipped, "geoms", [clipped]))
    return [g for g in out if g.geom_type == "LineString"]


def _blocks(lines: list[LineString], area) -> list[Polygon]:
    """City blocks: the faces between lattice lines inside the area."""
    faces = shapely.polygonize(list(lines) + [area.boundary])
    return [f for f in faces.geoms if f.area > 0 and area.contains(f.representative_point())]


def _compound_name(rng, used: set[str], region_name: str) -> str:
    for _ in range(200):
        n = rng.choice(NAME_HEADS) + rng.choice(NAME_TAILS)
        if n not in used:
            used.add(n)
            return n
    n = f"{region_name[:2]}{len(used) + 1}号院"
    used.add(n)
    return n


def id_number(rng: random.Random, region6: str) -> str:
    """A well-formed (checksum-valid) but fictitious 18-digit resident ID number."""
    birth = f"{rng.randint(1950, 2004)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    body = f"{region6}{birth}{rng.randint(0, 999):03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]
    return body + check


@transaction.atomic
def generate(district6: str, *, progress=print) -> dict[str, int]:
    """Generate the demo geography for a district. Idempotent: an existing one is left alone."""
    d = DISTRICTS[district6]
    code = district6.ljust(12, "0")
    load_district(code)
    district = Region.objects.get(code=code)
    if Compound.objects.in_region(code).filter(generated=True).exists():
        progress(f"{district.name}: 演示数据已存在，跳过生成")
        return counts(code)
    rng = random.Random(f"minsheng-demo-{district6}")  # noqa: S311 - not security
    outline = _jittered_outline(rng, d)
    _set_geom(district, outline)

    streets = list(Region.objects.filter(parent=district).order_by("code"))
    urban = [s for s in streets if is_urban_street(s)]
    others = [s for s in streets if not is_urban_street(s)]
    all_urban = len(others) == 0
    # Street seeds: urban streets clustered round the urban centre, the others on a ring.
    uc = d.urban_centre
    seeds: dict[str, Point] = {}
    urban_spread = min(d.radius_km) * (0.45 if all_urban else 0.12)
    for s, p in zip(urban, _spread_points(rng, outline, len(urban), near=uc,
                                          spread_km=urban_spread, min_km=1.0), strict=True):
        seeds[s.code] = p
    for i, s in enumerate(others):
        a = 2 * math.pi * i / max(1, len(others)) + rng.uniform(-0.2, 0.2)
        r = rng.uniform(0.45, 0.75)
        p = Point(d.centre[0] + _dlng(d.radius_km[0] * r * math.cos(a), d.centre[1]),
                  d.centre[1] + d.radius_km[1] * r * math.sin(a) * KM_LAT)
        if not outline.contains(p) or any(p.distance(q) < 1.5 * KM_LAT for q in seeds.values()):
            p = _random_point_in(rng, outline)
        seeds[s.code] = p
    street_cells = dict(zip(seeds, _cells(list(seeds.values()), outline), strict=True))
    progress(f"{district.name}: {len(streets)} 个街道/乡镇区域已生成")

    communities: dict[str, tuple[Region, object, Point]] = {}
    built_up = []
    for s in streets:
        cell = street_cells[s.code]
        _set_geom(s, cell)
        comms = list(Region.objects.filter(parent=s).order_by("code"))
        if not comms:
            continue
        centre = seeds[s.code]
        seat = cell.intersection(centre.buffer(1.6 * KM_LAT)) if not is_urban_street(s) else cell
        resid = [c for c in comms if int(c.code[9:]) < 200]
        villages = [c for c in comms if int(c.code[9:]) >= 200]
        pts: list[Point] = []
        if resid:
            pts += _spread_points(rng, seat, len(resid), min_km=0.35 if is_urban_street(s) else 0.2)
        if villages:
            pts += _spread_points(rng, cell, len(villages), min_km=0.5)
        comm_cells = _cells(pts, cell)
        for c, p, g in zip(resid + villages, pts, comm_cells, strict=True):
            _set_geom(c, g)
            communities[c.code] = (c, g, p)
        built_up.append(cell if is_urban_street(s) else seat.buffer(0.3 * KM_LAT).intersection(cell))
    progress(f"{district.name}: {len(communities)} 个社区/村区域已生成")

    built = unary_union(built_up).buffer(0)
    lattice = _lattice(rng, built, spacing_km=0.28)
    # Roads between neighbouring towns and to the urban centre.
    seed_list = list(seeds.values())
    roads = []
    for i, p in enumerate(seed_list):
        near = sorted(seed_list[:i] + seed_list[i + 1:], key=p.distance)[:2]
        roads += [LineString([p, q]) for q in near]
        roads.append(LineString([p, Point(uc)]))
    roads = [r.intersection(outline) for r in roads]
    roads = [g for r in roads for g in getattr(r, "geoms", [r]) if g.geom_type == "LineString"]
    # unary_union nodes the lines where they cross, so the network is walkable as a graph.
    net = unary_union(lattice + roads)
    if net.geom_type == "LineString":
        net = MultiLineString([net])
    do_save_street_network(
        district, [[list(p) for p in line] for line in _geojson(net)["coordinates"]],
        name=f"{district.name}道路网（生成）", source="Minsheng 演示生成数据，不是真实道路",
        generated=True)

    orgs = _organisations(rng, district, streets, communities)
    blocks = _blocks(lattice, built)
    compounds = _compounds(rng, d, district, communities, blocks, orgs["companies"])
    grids = _grids(rng, communities)
    for cp in compounds:
        cp.grid = next((g for g in grids.get(cp.region_id, [])
                        if g.boundary and shapely.geometry.shape(g.boundary).contains(
                            Point(cp.lng, cp.lat))), None)
    Compound.objects.bulk_update([c for c in compounds if c.grid], ["grid"])
    _facilities(rng, d, streets, communities, compounds, seeds)
    c = counts(code)
    progress(f"{district.name}: {c['compounds']} 个小区、{c['signed']} 个签约服务网点、"
             f"{c['facilities']} 个设施、{c['grids']} 个网格（均为生成数据）")
    return c


def counts(code: str) -> dict[str, int]:
    return {
        "regions": Region.objects.filter(code__startswith=code[:6]).count(),
        "compounds": Compound.objects.in_region(code).count(),
        "facilities": Facility.objects.in_region(code).count(),
        "signed": Facility.objects.in_region(code).filter(signed_service_point=True).count(),
        "grids": Grid.objects.in_region(code).count(),
        "organisations": Organisation.objects.in_region(code).count(),
    }


def _set_geom(region: Region, geom) -> None:
    region.boundary = _geojson(geom)
    rp = geom.representative_point()
    region.lng, region.lat = round(rp.x, 6), round(rp.y, 6)
    region.geometry_generated = True
    region.save(update_fields=["boundary", "lat", "lng", "geometry_generated"])


def _organisations(rng, district, streets, communities) -> dict[str, list[Organisation]]:
    def org(name, kind, region, **kw):
        o, _ = Organisation.objects.get_or_create(
            region=region, kind=kind, name=name,
            defaults={"generated": True, "contact_person": person_name(rng),
                      "contact_phone": phone_number(rng), **kw})
        return o

    K = Organisation.Kind
    for name, function in DEPARTMENTS.items():
        o = org(name, K.DEPARTMENT, district, function=function,
                receives_escalations=name == ESCALATION_OFFICE)
        if o.function != function:  # databases built before departments had a function
            o.function = function
            o.save(update_fields=["function"])
    org("区法律援助中心", K.LEGAL_AID_CENTRE, district)
    org("区人民调解委员会", K.MEDIATION_COMMITTEE, district)
    org(f"{district.name}人民法院", K.COURT, district)
    for s in streets:
        short = s.name
        office = "办事处" if is_urban_street(s) else "人民政府"
        org(f"{short}{office}", K.STREET_OFFICE, s)
        org(f"{short}人民调解委员会", K.MEDIATION_COMMITTEE, s)
        if is_urban_street(s) or s.name.endswith("镇"):
            org(f"{short.removesuffix('街道').removesuffix('镇')}派出所", K.POLICE_STATION, s)
    for c, _g, _p in communities.values():
        org(c.name, K.COMMUNITY_COMMITTEE, c)
    companies = []
    for name in COMPANY_NAMES:
        companies.append(org(name, K.PROPERTY_COMPANY, district,
                             credit_code="91131002" + "".join(rng.choice("0123456789ABCDEFGH")
                                                              for _ in range(10))))
    return {"companies": companies}


def _compounds(rng, d, district, communities, blocks, companies) -> list[Compound]:
    resid = [(c, g) for c, g, _p in communities.values() if int(c.code[9:]) < 200]
    weights = [3 if c.parent and is_urban_street(c.parent) else 1 for c, _ in resid]
    by_comm: dict[str, list[Polygon]] = {}
    for b in blocks:
        rp = b.representative_point()
        for c, g in resid:
            if g.contains(rp):
                by_comm.setdefault(c.code, []).append(b)
                break
    for v in by_comm.values():
        rng.shuffle(v)
    used: set[str] = set()
    out: list[Compound] = []
    PS = Compound.PropertyStatus
    target = d.compounds
    guard = 0
    while len(out) < target and guard < target * 50:
        guard += 1
        (c, g), = rng.choices(resid, weights=weights)
        free = by_comm.get(c.code)
        if free:
            block = free.pop()
            shape = block.buffer(-0.00025)
            if shape.is_empty or shape.area < block.area * 0.2:
                shape = block
        else:
            p = _random_point_in(rng, g)
            shape = box(p.x - 0.001, p.y - 0.0007, p.x + 0.001, p.y + 0.0007).intersection(g)
        if shape.geom_type != "Polygon":
            shape = max(getattr(shape, "geoms", [shape]), key=lambda s: s.area)
            if shape.geom_type != "Polygon":
                continue
        rp = shape.representative_point()
        year = rng.choice([rng.randint(1982, 1999), rng.randint(2000, 2022), rng.randint(2005, 2020)])
        buildings = rng.randint(2, 24)
        households = buildings * rng.randint(24, 96)
        is_old = year < 2000
        status = rng.choices([PS.COMPANY, PS.MANAGEMENT_COMMITTEE, PS.OWNERS_COMMITTEE, PS.NONE],
                             weights=[62, 18, 12, 8] if not is_old else [35, 35, 10, 20])[0]
        committee = {PS.MANAGEMENT_COMMITTEE: Compound.Committee.MANAGEMENT,
                     PS.OWNERS_COMMITTEE: Compound.Committee.OWNERS}.get(status, "")
        if not committee and status == PS.COMPANY and rng.random() < 0.35:
            committee = Compound.Committee.OWNERS
        name = _compound_name(rng, used, c.name)
        out.append(Compound(
            name=name, region=c, address=f"{district.name}{c.name.removesuffix('社区居民委员会')}"
            f"{rng.choice(NAME_HEADS)}路{rng.randint(1, 300)}号",
            lat=round(rp.y, 6), lng=round(rp.x, 6), boundary=_geojson(shape),
            year_built=year, buildings=buildings, households=households,
            population=int(households * rng.uniform(2.3, 2.9)),
            property_status=status,
            property_company=rng.choice(companies) if status == PS.COMPANY else None,
            committee=committee,
            committee_head=person_name(rng) if committee else "",
            committee_head_phone=phone_number(rng) if committee else "",
            head_is_party_secretary=bool(committee) and rng.random() < 0.6,
            is_old=is_old,
            renovation_class=rng.choice("ABCC") if is_old and rng.random() < 0.7 else "",
            smart_safety=rng.random() < 0.45,
            generated=True,
        ))
    Compound.objects.bulk_create(out)
    return list(Compound.objects.in_region(district.code).filter(generated=True))


def _grids(rng, communities) -> dict[str, list[Grid]]:
    out: dict[str, list[Grid]] = {}
    rows = []
    for c, g, _p in communities.values():
        n = rng.randint(2, 4) if int(c.code[9:]) < 200 else 1
        minx, miny, maxx, maxy = g.bounds
        step = (maxx - minx) / n
        for i in range(n):
            strip = g.intersection(box(minx + i * step, miny, minx + (i + 1) * step, maxy))
            if strip.is_empty or strip.area == 0:
                continue
            rows.append(Grid(name=f"第{i + 1}网格", region=c, boundary=_geojson(strip), generated=True))
    Grid.objects.bulk_create(rows)
    for gr in Grid.objects.filter(generated=True, region__code__in=list(communities)):
        out.setdefault(gr.region_id, []).append(gr)
    return out


def _facilities(rng, d, streets, communities, compounds, seeds) -> None:
    cats = {c.code: c for c in FacilityCategory.objects.all()}
    used: set[tuple[str, str, str]] = set()
    rows: list[Facility] = []
    comm_shapes = [(c, g) for c, g, _p in communities.values()]

    def region_at(p: Point, fallback: Region) -> Region:
        for c, g in comm_shapes:
            if g.contains(p):
                return c
        return fallback

    def add(cat_code: str, p: Point, fallback: Region, signed: bool):
        cat = cats.get(cat_code)
        if cat is None:
            return
        region = region_at(p, fallback)
        base = region.name.removesuffix("社区居民委员会").removesuffix("村民委员会")
        name = f"{base}{cat.name}"
        n = 1
        while (region.code, cat_code, name) in used:
            n += 1
            name = f"{base}{cat.name}{n}号点"
        used.add((region.code, cat_code, name))
        rows.append(Facility(
            name=name, category=cat, region=region, lat=round(p.y, 6), lng=round(p.x, 6),
            address=f"{region.name}{rng.randint(1, 200)}号", signed_service_point=signed,
            opening_hours=rng.choice(["07:00-22:00", "08:00-20:00", "06:30-21:30", "00:00-24:00",
                                      "08:30-17:30"]),
            capacity=rng.choice([None, 50, 100, 200, 500]), generated=True,
        ))

    weights = [max(1, c.population) for c in compounds]
    mix = list(SIGNED_MIX)
    mix_w = [SIGNED_MIX[k] for k in mix]
    for _ in range(d.signed_points):
        cp = rng.choices(compounds, weights=weights)[0]
        dist = rng.uniform(0.05, 0.5)
        a = rng.uniform(0, 2 * math.pi)
        p = Point(cp.lng + _dlng(dist * math.cos(a), cp.lat), cp.lat + dist * math.sin(a) * KM_LAT)
        add(rng.choices(mix, weights=mix_w)[0], p, cp.region, True)
    for s in streets:
        plan = PUBLIC_PER_STREET if is_urban_street(s) else PUBLIC_PER_TOWN
        local = [cp for cp in compounds if cp.region_id.startswith(s.code[:9])]
        centre = seeds[s.code]
        for cat_code, n in plan.items():
            for _ in range(n):
                if local:
                    cp = rng.choice(local)
                    p = Point(cp.lng + _dlng(rng.uniform(-0.4, 0.4), cp.lat),
                              cp.lat + rng.uniform(-0.4, 0.4) * KM_LAT)
                else:
                    p = Point(centre.x + _dlng(rng.uniform(-0.5, 0.5), centre.y),
                              centre.y + rng.uniform(-0.5, 0.5) * KM_LAT)
                add(cat_code, p, s, False)
    Facility.objects.bulk_create(rows)
