"""Where a case is and who handles it.

locate(): point → grid → community → (compound nearby); route(): the routing rules (category ×
longest region prefix), else the catalogue default: a managed compound's property company for
property categories, else the nearest organisation of the category's handler kind walking up the
region tree (community → street → district).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from shapely import STRtree
from shapely.geometry import Point, shape

from minsheng.places.coords import haversine_m
from minsheng.places.models import Compound, Grid, Organisation, Region, parent_code

COMPOUND_RADIUS_M = 150.0


@dataclass
class Location:
    region: Region
    grid: Grid | None
    compound: Compound | None


@lru_cache(maxsize=8)
def _index(district_prefix: str, version: int):
    """STRtree of the communities and grids of a district (cached per process; `version`
    changes when boundaries change)."""
    comms = list(Region.objects.filter(code__startswith=district_prefix, level="community",
                                       boundary__isnull=False).only("code", "boundary"))
    grids = list(Grid.objects.filter(region__code__startswith=district_prefix,
                                     boundary__isnull=False).only("id", "region_id", "boundary"))
    cgeo = [shape(r.boundary) for r in comms]
    ggeo = [shape(g.boundary) for g in grids]
    return ([r.code for r in comms], STRtree(cgeo) if cgeo else None, cgeo,
            [g.id for g in grids], STRtree(ggeo) if ggeo else None, ggeo)


_VERSIONS: dict[str, tuple[float, int]] = {}
VERSION_TTL_S = 60.0


def _version(prefix: str) -> int:
    """Changes when communities or grids are added or removed; checked at most once a minute
    per process, so filing a case does not count rows every time."""
    import time

    now = time.monotonic()
    hit = _VERSIONS.get(prefix)
    if hit is not None and now - hit[0] < VERSION_TTL_S:
        return hit[1]
    v = Region.objects.filter(code__startswith=prefix, level="community").count() + \
        Grid.objects.filter(region__code__startswith=prefix).count()
    _VERSIONS[prefix] = (now, v)
    return v


@lru_cache(maxsize=4)
def _districts(version: tuple) -> tuple[list[str], STRtree | None, list]:
    rows = list(Region.objects.filter(level="district", boundary__isnull=False).only(
        "code", "boundary"))
    geoms = [shape(d.boundary) for d in rows]
    return [d.code for d in rows], STRtree(geoms) if geoms else None, geoms


def district_of(lng: float, lat: float) -> Region | None:
    """The district whose boundary holds the point (districts with boundaries only; the
    boundaries are parsed once per process and re-read when districts are added)."""
    version = tuple(Region.objects.filter(level="district", boundary__isnull=False)
                    .values_list("code", flat=True))
    codes, tree, _geoms = _districts(version)
    if tree is None:
        return None
    for i in tree.query(Point(lng, lat), predicate="intersects"):
        return Region.objects.defer("boundary").get(code=codes[int(i)])
    return None


def locate(lng: float, lat: float, district: Region | None = None) -> Location | None:
    district = district or district_of(lng, lat)
    if district is None:
        return None
    prefix = district.code[:6]
    codes, ctree, cgeo, gids, gtree, ggeo = _index(prefix, _version(prefix))
    p = Point(lng, lat)
    region = district
    if ctree is not None:
        for i in ctree.query(p, predicate="intersects"):
            region = Region.objects.defer("boundary").get(code=codes[int(i)])
            break
    grid = None
    if gtree is not None:
        for i in gtree.query(p, predicate="intersects"):
            grid = Grid.objects.defer("boundary").get(pk=gids[int(i)])
            if grid.region_id == region.code:
                break
    compound = nearest_compound(lng, lat, region.code)
    return Location(region, grid, compound)


def nearest_compound(lng: float, lat: float, region_code: str) -> Compound | None:
    d = 0.002
    near = Compound.objects.filter(lat__range=(lat - d, lat + d), lng__range=(
        lng - d * 1.3, lng + d * 1.3)).defer("boundary").select_related("property_company")
    best = min(near, key=lambda c: haversine_m(lng, lat, c.lng, c.lat), default=None)
    if best is not None and haversine_m(lng, lat, best.lng, best.lat) <= COMPOUND_RADIUS_M:
        return best
    return None


def _up(code: str):
    while code:
        yield code
        code = parent_code(code)


def route(case_type, region: Region, compound: Compound | None = None) -> Organisation:
    from minsheng.cases.models import RoutingRule

    rules = RoutingRule.objects.filter(case_type=case_type).select_related("organisation")
    best = None
    for r in rules:
        if region.code.startswith(r.region_prefix) and (
                best is None or len(r.region_prefix) > len(best.region_prefix)):
            best = r
    if best is not None:
        return best.organisation
    if case_type.property_first and compound is not None and compound.property_company_id:
        return compound.property_company
    for code in _up(region.code):
        org = Organisation.objects.filter(region_id=code, kind=case_type.handler_kind).order_by(
            "pk").first()
        if org is not None:
            return org
    return dispatcher(region)


def dispatcher(region: Region) -> Organisation:
    """Who re-routes a returned case: the street office, else the district's first office."""
    for code in _up(region.code):
        org = Organisation.objects.filter(
            region_id=code, kind__in=[Organisation.Kind.STREET_OFFICE,
                                      Organisation.Kind.DEPARTMENT]).order_by("kind", "pk").first()
        if org is not None:
            return org
    raise LookupError(f"{region} 及其上级没有可承办的组织机构")


def escalation_target(org: Organisation) -> Organisation | None:
    """The parent region's office: community/property → street office → the district's office
    that receives escalations (Organisation.receives_escalations), else its first department."""
    code = org.region_id
    if org.kind not in (Organisation.Kind.STREET_OFFICE, Organisation.Kind.DEPARTMENT):
        # a community, a property company, a committee: first the street office above it
        for c in _up(code):
            o = Organisation.objects.filter(region_id=c, kind=Organisation.Kind.STREET_OFFICE
                                            ).order_by("pk").first()
            if o is not None and o.pk != org.pk:
                return o
    parent = parent_code(code)
    while parent:
        # the office the region names to receive escalations, else its street office, else its
        # first department
        o = Organisation.objects.filter(region_id=parent, kind__in=[
            Organisation.Kind.STREET_OFFICE, Organisation.Kind.DEPARTMENT]).order_by(
            "-receives_escalations", "-kind", "pk").first()
        if o is not None and o.pk != org.pk:
            return o
        parent = parent_code(parent)
    return None


def nearest_org(kind: str, region: Region) -> Organisation:
    """The organisation of a kind nearest up the region tree (community → street → district)."""
    for code in _up(region.code):
        org = Organisation.objects.filter(region_id=code, kind=kind).order_by("pk").first()
        if org is not None:
            return org
    return dispatcher(region)
