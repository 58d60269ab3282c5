"""Point → place: the district, community (or village) and grid whose outlines hold a point, and
the compound within 150 m. The one owner of that mapping; cases (filing, the hotline import) and
anything else that places a point asks `locate`.

The outlines are parsed into STRtrees once per process: the districts' (re-read when districts
with outlines are added), and per district its communities' and grids' (re-read when communities
or grids are added or removed, checked at most once a minute). An outline that does not parse or
is invalid (old data, a direct write) is skipped with a warning, never fatal to every lookup.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache

from django.db import connection
from django.db.models.signals import post_delete, post_save
from shapely import STRtree
from shapely.geometry import Point

from minsheng.places.coords import haversine_m
from minsheng.places.geometry import parse_outline
from minsheng.places.models import Compound, Grid, Region

__all__ = ["COMPOUND_RADIUS_M", "Location", "district_of", "grid_in", "invalidate", "locate",
           "nearest_compound", "recheck"]

COMPOUND_RADIUS_M = 150.0
VERSION_TTL_S = 60.0


@dataclass
class Location:
    region: Region  # the community holding the point, else the district
    grid: Grid | None
    compound: Compound | None

    @property
    def street(self) -> Region | None:
        """The street (街道/乡镇) above the community; None when the point is in no community."""
        return self.region.parent if self.region.level == Region.Level.COMMUNITY else None


@lru_cache(maxsize=8)
def _index(district_prefix: str, version: int):
    """STRtree of the communities and grids of a district (cached per process; `version`
    changes when boundaries change)."""
    comms = list(Region.objects.filter(code__startswith=district_prefix, level="community",
                                       boundary__isnull=False).only("code", "boundary"))
    grids = list(Grid.objects.filter(region__code__startswith=district_prefix,
                                     boundary__isnull=False).only("id", "region_id", "boundary"))
    # an outline that does not parse or is invalid is skipped (and logged), not fatal to every
    # lookup in the district: old data or a direct write may have stored one
    comms = [(r, geom) for r in comms
             if (geom := parse_outline(r.boundary, label=f"community {r.code}")) is not None]
    grids = [(g, geom) for g in grids
             if (geom := parse_outline(g.boundary, label=f"grid {g.pk}")) is not None]
    cgeo = [geom for _r, geom in comms]
    ggeo = [geom for _g, geom in grids]
    return ([r.code for r, _geom in comms], STRtree(cgeo) if cgeo else None, cgeo,
            [g.id for g, _geom in grids], STRtree(ggeo) if ggeo else None,
            [g.region_id for g, _geom in grids])


_VERSIONS: dict[str, tuple[float, int]] = {}


def _version(prefix: str) -> int:
    """Changes when communities or grids are added or removed; checked at most once a minute
    per process, so filing a case does not count rows every time."""
    now = time.monotonic()
    hit = _VERSIONS.get(prefix)
    if hit is not None and now - hit[0] < VERSION_TTL_S:
        return hit[1]
    v = Region.objects.filter(code__startswith=prefix, level="community").count() + \
        Grid.objects.filter(region__code__startswith=prefix).count()
    _VERSIONS[prefix] = (now, v)
    return v


def invalidate() -> None:
    """Forget the parsed outlines in this process: called after grid or community outlines are
    written (the GeoJSON import, places.actions), so the next lookup reads them again (the
    counts checked once a minute would miss an outline redrawn in place)."""
    recheck()
    _index.cache_clear()
    _districts.cache_clear()


def recheck() -> None:
    """Check the district list and the outline counts again at the next lookup (the parsed
    outlines are kept while their version stands)."""
    _VERSIONS.clear()
    _DISTRICT_CODES.clear()
    _ROWS.clear()


ROWS_TTL_S = 60.0
_ROWS: dict[tuple[str, object], tuple[float, object]] = {}


def _rows(model, keys: list) -> dict:
    """Regions or grids (without outlines) by primary key, kept per process for ROWS_TTL_S: every
    filing reads its district, community and grid, and those reads were a fifth of an Open311
    POST's time (bench/open311_cluster_bench.py). A region or grid saved in this process is
    read again at once (signals below); another app server sees the change within the minute,
    as it sees redrawn outlines."""
    now = time.monotonic()
    out, missing = {}, []
    for k in keys:
        hit = _ROWS.get((model.__name__, k))
        if hit is not None and now - hit[0] < ROWS_TTL_S:
            out[k] = hit[1]
        else:
            missing.append(k)
    if missing:
        if len(_ROWS) > 50_000:  # a province's communities and grids, with room to spare
            _ROWS.clear()
        for k, obj in model.objects.defer("boundary").in_bulk(missing).items():
            _ROWS[(model.__name__, k)] = (now, obj)
            out[k] = obj
    return out


def _forget_rows(**_signal_kwargs) -> None:
    _ROWS.clear()


for _model in (Region, Grid):
    post_save.connect(_forget_rows, sender=_model, dispatch_uid=f"locate.rows.{_model.__name__}")
    post_delete.connect(_forget_rows, sender=_model,
                        dispatch_uid=f"locate.rows.{_model.__name__}.deleted")


_DISTRICT_CODES: dict[str, tuple[float, tuple[str, ...]]] = {}


def _district_version() -> tuple[str, ...]:
    """The codes of the districts with outlines, read at most once a minute per process (every
    filing locates its point; a district is added rarely, and generate/import invalidate)."""
    now = time.monotonic()
    hit = _DISTRICT_CODES.get("codes")
    if hit is not None and now - hit[0] < VERSION_TTL_S:
        return hit[1]
    codes = tuple(Region.objects.filter(level="district", boundary__isnull=False)
                  .order_by("code").values_list("code", flat=True))
    _DISTRICT_CODES["codes"] = (now, codes)
    return codes


@lru_cache(maxsize=4)
def _districts(version: tuple) -> tuple[list[str], STRtree | None, list]:
    rows = list(Region.objects.filter(level="district", boundary__isnull=False).only(
        "code", "boundary"))
    rows = [(d, geom) for d in rows
            if (geom := parse_outline(d.boundary, label=f"district {d.code}")) is not None]
    geoms = [geom for _d, geom in rows]
    return [d.code for d, _geom in rows], STRtree(geoms) if geoms else None, geoms


def _district_code(lng: float, lat: float) -> str | None:
    codes, tree, _geoms = _districts(_district_version())
    if tree is None:
        return None
    for i in tree.query(Point(lng, lat), predicate="intersects"):
        return codes[int(i)]
    return None


def district_of(lng: float, lat: float) -> Region | None:
    """The district whose boundary holds the point (districts with boundaries only; the
    boundaries are parsed once per process and re-read when districts are added)."""
    code = _district_code(lng, lat)
    if code is None:
        return None
    district = Region.objects.defer("boundary").filter(code=code).first()
    if district is None:  # removed since the list was read: read it again
        recheck()
        return district_of(lng, lat) if _district_code(lng, lat) != code else None
    return district


def locate(lng: float, lat: float, district: Region | None = None) -> Location | None:
    """Where a WGS-84 point is: its community (else the district), its grid and the compound
    within COMPOUND_RADIUS_M; None when no district (given, or found by district_of) holds it.
    Every filing calls this: the district and the community are read in one query."""
    district_code = district.code if district is not None else _district_code(lng, lat)
    if district_code is None:
        return None
    prefix = district_code[:6]
    codes, ctree, _cgeo, gids, gtree, gregions = _index(prefix, _version(prefix))
    p = Point(lng, lat)
    community_code = None
    if ctree is not None:
        for i in ctree.query(p, predicate="intersects"):
            community_code = codes[int(i)]
            break
    wanted = [c for c in (district_code, community_code) if c and not (
        district is not None and c == district.code)]
    found = _rows(Region, wanted) if wanted else {}
    if district is None:
        district = found.get(district_code)
        if district is None:  # removed since the list was read: read it again
            recheck()
            return locate(lng, lat) if _district_code(lng, lat) != district_code else None
    region = found.get(community_code, district) if community_code else district
    grid = None
    if gtree is not None:
        # the grid of the point's community, else the last grid holding the point
        hits = [int(i) for i in gtree.query(p, predicate="intersects")]
        pick = next((i for i in hits if gregions[i] == region.code), hits[-1] if hits else None)
        if pick is not None:
            grid = _rows(Grid, [gids[pick]]).get(gids[pick])
    compound = nearest_compound(lng, lat, region.code)
    return Location(region, grid, compound)


def grid_in(region_code: str, lng: float, lat: float) -> Grid | None:
    """The grid of region `region_code` whose outline holds the point (None when none does), for
    a record whose region is already known (an imported compound)."""
    prefix = region_code[:6]
    _codes, _ctree, _cgeo, gids, gtree, gregions = _index(prefix, _version(prefix))
    if gtree is None:
        return None
    for i in sorted(int(i) for i in gtree.query(Point(lng, lat), predicate="intersects")):
        if gregions[i] == region_code:
            return Grid.objects.defer("boundary").get(pk=gids[i])
    return None


def nearest_compound(lng: float, lat: float, region_code: str) -> Compound | None:
    d = 0.002
    # the box's candidates as bare (id, lng, lat) rows in plain SQL, the nearest by haversine in
    # Python, and only that one compound read whole: every filing asks, and building the model
    # query over the box was most of its cost (bench/open311_cluster_bench.py)
    table = connection.ops.quote_name(Compound._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, lng, lat FROM {table} "  # noqa: S608 (the model's table)
                       "WHERE lat BETWEEN %s AND %s AND lng BETWEEN %s AND %s",
                       [lat - d, lat + d, lng - d * 1.3, lng + d * 1.3])
        rows = cursor.fetchall()
    near = min(rows, key=lambda r: (haversine_m(lng, lat, r[1], r[2]), r[0]), default=None)
    if near is None or haversine_m(lng, lat, near[1], near[2]) > COMPOUND_RADIUS_M:
        return None
    best = Compound.objects.defer("boundary").select_related("property_company").filter(
        pk=near[0]).first()
    if best is not None and haversine_m(lng, lat, best.lng, best.lat) <= COMPOUND_RADIUS_M:
        return best
    return None
