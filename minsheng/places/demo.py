"""The demo district: real division names and codes, generated (and labelled) geography.

No street map or compound list of 安次区 can be had offline, so everything spatial here is generated
from a seed by minsheng/places/fabric.py: an urban core of street blocks (arterials, local streets,
footpaths) cut into the real 街道 and their communities, town seats and village lanes joined by
roads, compounds inside blocks with their entrances on a street, facilities placed as a planned
district places them (with gaps), grids inside communities, and organisations. Every generated row
carries `generated=True` and the pages say so. The same seed gives the same district, so running the
demo twice changes nothing.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import shapely
from django.db import transaction
from shapely.geometry import box, mapping

from minsheng.places import fabric, locate
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
    streets = list(Region.objects.filter(parent=district).order_by("code"))
    comms = list(Region.objects.filter(parent__parent=district).order_by("code"))
    fab = fabric.to_lnglat(district_fabric(d, streets, comms), *d.centre)
    _set_geom(district, fab.outline)
    for s in streets:
        _set_geom(s, fab.regions[s.code])
    progress(f"{district.name}: {len(streets)} 个街道/乡镇区域已生成")
    communities: dict[str, tuple[Region, object]] = {}
    for c in comms:
        _set_geom(c, fab.regions[c.code])
        communities[c.code] = (c, fab.regions[c.code])
    progress(f"{district.name}: {len(communities)} 个社区/村区域已生成（街区、镇区和村庄路网）")

    net = fabric.network(fab)
    do_save_street_network(
        district, [[list(p) for p in line] for line in _geojson(net)["coordinates"]],
        name=f"{district.name}道路网（生成）", source="Minsheng 演示生成数据，不是真实道路",
        generated=True)

    orgs = _organisations(rng, district, streets, communities)
    compounds = _compounds(rng, district, communities, fab.compounds, orgs["companies"])
    _grids(rng, communities)
    locate.invalidate()
    for cp in compounds:  # the grid holding the point, as an import would find it
        cp.grid = locate.grid_in(cp.region_id, cp.lng, cp.lat)
    Compound.objects.bulk_update([c for c in compounds if c.grid], ["grid"])
    _facilities(rng, d, streets, communities, fab.facilities)
    c = counts(code)
    progress(f"{district.name}: {c['compounds']} 个小区、{c['signed']} 个签约服务网点、"
             f"{c['facilities']} 个设施、{c['grids']} 个网格（均为生成数据）")
    return c


def district_fabric(d: DemoDistrict, streets: list[Region], comms: list[Region]) -> fabric.Fabric:
    """The generated fabric of a demo district, in metres round its centre (the same seed gives
    the same fabric: `generate` and the tests both call this)."""
    plans = [fabric.StreetPlan(
        s.code, is_urban_street(s),
        [c.code for c in comms if c.parent_id == s.code and not is_village(c)],
        [c.code for c in comms if c.parent_id == s.code and is_village(c)]) for s in streets]
    lng0, lat0 = d.centre
    m_lng = 111_320.0 * math.cos(math.radians(lat0))
    offset = ((d.urban_centre[0] - lng0) * m_lng, (d.urban_centre[1] - lat0) * 111_000.0)
    return fabric.generate_fabric(
        f"minsheng-fabric-{d.code}", centre_radius=(d.radius_km[0] * 1000, d.radius_km[1] * 1000),
        urban_offset=offset, streets=plans, n_compounds=d.compounds)


def is_village(region: Region) -> bool:
    """A 村民委员会 (codes 200 and above in the statistical divisions)."""
    return int(region.code[9:]) >= 200


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
    for c, _g in communities.values():
        org(c.name, K.COMMUNITY_COMMITTEE, c)
    companies = []
    for name in COMPANY_NAMES:
        companies.append(org(name, K.PROPERTY_COMPANY, district,
                             credit_code="91131002" + "".join(rng.choice("0123456789ABCDEFGH")
                                                              for _ in range(10))))
    return {"companies": companies}


def _compounds(rng, district, communities, sites, companies) -> list[Compound]:
    """One compound per generated site (a block or part of one; the point is its entrance)."""
    used: set[str] = set()
    out: list[Compound] = []
    PS = Compound.PropertyStatus
    for site in sites:
        c, _g = communities[site.community]
        shape = site.shape
        e = site.entrance
        # A compound's size follows its site: about one household per 25–45 m² of land.
        households = max(60, int(shape.area * (111_000 ** 2) * math.cos(math.radians(e.y))
                                 / rng.uniform(25, 45)))
        year = rng.choice([rng.randint(1982, 1999), rng.randint(2000, 2022), rng.randint(2005, 2020)])
        buildings = max(2, min(40, households // rng.randint(60, 110)))
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
            lat=round(e.y, 6), lng=round(e.x, 6), boundary=_geojson(shape),
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
    for c, g in communities.values():
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


# Categories a district signs as 生活圈服务网点 (MOFCOM's basic trades and community services).
SIGNABLE = {"convenience", "supermarket", "breakfast", "hairdresser", "laundry", "housekeeping",
            "repair", "pharmacy", "post_express", "recycling", "community_station",
            "elderly_day_care", "canteen"}


STREET_NAMED = {"service_centre", "health_centre", "culture_centre", "police"}


def _facility_name(cat, region: Region, street: Region | None) -> str:
    """吉祥社区便利店; a street's or town's own institutions carry its name: 银河南路街道社区服务中心,
    杨税务镇社区卫生服务中心, 银河南路派出所."""
    if street is not None and cat.code in STREET_NAMED:
        if cat.code == "police":
            return f"{street.name.removesuffix('街道').removesuffix('镇')}{cat.name}"
        if cat.name.startswith("街道"):
            return (f"{street.name.removesuffix('街道')}{cat.name}" if is_urban_street(street)
                    else f"{street.name}{cat.name.removeprefix('街道')}")
        return f"{street.name}{cat.name}"
    return f"{region.name.removesuffix('社区居民委员会').removesuffix('村民委员会')}{cat.name}"


def _facilities(rng, d, streets, communities, sites) -> None:
    """One facility per planned site, in the community it stands in; `d.signed_points` of the
    signable ones (city and town seats first) are the signed service points."""
    cats = {c.code: c for c in FacilityCategory.objects.all()}
    used: set[tuple[str, str, str]] = set()
    rows: list[Facility] = []
    comm = list(communities.values())
    tree = shapely.STRtree([g for _c, g in comm])
    street_of = {s.code: s for s in streets}
    signable = [i for i, f in enumerate(sites) if f.category in SIGNABLE and f.category in cats]
    town = [i for i in signable if sites[i].where != "village"]
    village = [i for i in signable if sites[i].where == "village"]
    n = min(d.signed_points, len(signable))
    signed = set(rng.sample(town, min(n, len(town))))
    signed |= set(rng.sample(village, n - len(signed)))
    for i, f in enumerate(sites):
        cat = cats.get(f.category)
        if cat is None:
            continue
        p = f.point
        hits = tree.query(p, predicate="within")
        k = int(hits[0]) if len(hits) else int(tree.nearest(p))
        region = comm[k][0]
        name = _facility_name(cat, region, street_of.get(region.parent_id))
        base = name.removesuffix(cat.name)
        k = 1
        while (cat.code, name) in used:  # one name per category in the district
            k += 1
            name = f"{base}{cat.name}{k}号点"
        used.add((cat.code, name))
        rows.append(Facility(
            name=name, category=cat, region=region, lat=round(p.y, 6), lng=round(p.x, 6),
            address=f"{region.name}{rng.randint(1, 200)}号", signed_service_point=i in signed,
            opening_hours=rng.choice(["07:00-22:00", "08:00-20:00", "06:30-21:30", "00:00-24:00",
                                      "08:30-17:30"]),
            capacity=rng.choice([None, 50, 100, 200, 500]), generated=True,
        ))
    Facility.objects.bulk_create(rows)
