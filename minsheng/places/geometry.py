"""Outlines: the GeoJSON (Multi)Polygons stored in the `boundary` columns of regions, grids and
compounds. The one validator every writer of an outline calls (the JSON API's serializers, the
GeoJSON import), and the tolerant parser every reader of stored outlines calls (places.locate,
the import's parent check), which skips a row that old data or a direct write left broken
instead of failing every lookup."""

from __future__ import annotations

import logging
import math
import re
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from shapely.errors import ShapelyError
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points
from shapely.validation import explain_validity

from minsheng.places import coords
from minsheng.places.models import Region, parent_code

__all__ = ["NEAR_M", "GeometryError", "check_outline", "distance_m", "parse_outline",
           "region_outline"]

log = logging.getLogger(__name__)

REGION_CODE = re.compile(r"\d{12}")
NEAR_M = 20_000  # an outline whose inside lies farther than this from its region's is surely wrong

# What shapely raises on GeoJSON it cannot read: wrong nesting, text for numbers, empty rings …
UNREADABLE = (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError,
              ShapelyError)

_VALIDITY = (("Ring Self-intersection", gettext_noop("环自相交")),
             ("Self-intersection", gettext_noop("边线自相交")),
             ("Too few points", gettext_noop("点数过少")),
             ("Hole lies outside shell", gettext_noop("内环在外环之外")),
             ("Nested shells", gettext_noop("多个外环相互嵌套")),
             ("Interior is disconnected", gettext_noop("内部不连通")),
             ("Duplicate Rings", gettext_noop("重复的环")),
             ("Invalid Coordinate", gettext_noop("坐标无效")))


class GeometryError(ValueError):
    """An outline that cannot be stored; the message (Chinese, translated) says why."""


def _explain(geom: BaseGeometry) -> str:
    """GEOS's reason an outline is invalid, in Chinese, with where it happens."""
    reason = explain_validity(geom)
    m = re.match(r"^(.*?)\[([-\d.eE]+) ([-\d.eE]+)\]$", reason)
    text, where = reason, ""
    if m:
        text = m.group(1)
        where = _("（位置约 %(lng).6f, %(lat).6f）") % {"lng": float(m.group(2)),
                                                      "lat": float(m.group(3))}
    for en, zh in _VALIDITY:
        if text.strip().startswith(en):
            return _(zh) + where
    return reason


def _positions_in_range(coordinates: Any) -> bool:
    """Every position is [lng, lat, …] of finite numbers with lng −180…180 and lat −90…90."""
    stack = [coordinates]
    while stack:
        c = stack.pop()
        if not isinstance(c, list | tuple) or not c:
            return False
        if isinstance(c[0], list | tuple):
            stack.extend(c)
            continue
        if len(c) < 2 or not all(isinstance(v, int | float) and not isinstance(v, bool)
                                 for v in c[:2]):
            return False
        lng, lat = float(c[0]), float(c[1])
        if not (math.isfinite(lng) and math.isfinite(lat) and -180 <= lng <= 180
                and -90 <= lat <= 90):
            return False
    return True


def check_outline(geometry: Any, crs: coords.CRS | str = coords.CRS.WGS84, *,
                  parent: BaseGeometry | None = None) -> tuple[dict, BaseGeometry]:
    """The outline as stored (converted to WGS-84, coordinates rounded) and its shape, or
    GeometryError: a GeoJSON Polygon or MultiPolygon, positions in range and in China, valid
    (no self-intersection), with an area, and — when `parent` (its region's outline,
    `region_outline`) is given — lying in or within NEAR_M of it.

    >>> ring = [[116.7, 39.5], [116.71, 39.5], [116.71, 39.51], [116.7, 39.5]]
    >>> check_outline({"type": "Polygon", "coordinates": [ring]})[1].geom_type
    'Polygon'
    """
    if not isinstance(geometry, dict):
        raise GeometryError(_("缺少几何图形（geometry）"))
    gtype = geometry.get("type")
    if gtype not in ("Polygon", "MultiPolygon"):
        raise GeometryError(_("几何类型应为 Polygon 或 MultiPolygon（面），收到“%(type)s”")
                            % {"type": str(gtype)[:40]})
    if not _positions_in_range(geometry.get("coordinates")):
        raise GeometryError(_("坐标格式不正确：应为 [经度, 纬度] 组成的闭合环，经度 −180…180，"
                              "纬度 −90…90"))
    try:
        raw = shape(geometry)
    except UNREADABLE:
        raise GeometryError(_("坐标格式不正确：应为 [经度, 纬度] 组成的闭合环")) from None
    if raw.is_empty:
        raise GeometryError(_("图形为空"))
    minx, miny, maxx, maxy = raw.bounds
    if coords.out_of_china(minx, miny) or coords.out_of_china(maxx, maxy):
        hint = _("，经纬度似乎填反了") if not coords.out_of_china(miny, minx) else ""
        raise GeometryError(_("坐标不在中国境内（经度约 73–135、纬度约 4–54）%(hint)s；"
                              "请确认文件是经纬度坐标而不是投影坐标") % {"hint": hint})
    try:
        converted = coords.geometry_to_wgs84(
            {"type": gtype, "coordinates": geometry["coordinates"]}, crs)
        geom = shape(converted)
    except UNREADABLE:
        raise GeometryError(_("坐标格式不正确：应为 [经度, 纬度] 组成的闭合环")) from None
    if not geom.is_valid:
        raise GeometryError(_("边界图形无效：%(reason)s；请在 GIS 软件中修复（如 QGIS“修复几何图形”）"
                              "后再上传") % {"reason": _explain(geom)})
    if geom.area <= 0:
        raise GeometryError(_("图形面积为零"))
    if parent is not None:
        d = distance_m(parent, geom)
        if d is not None and d > NEAR_M:
            raise GeometryError(_("坐标距该区划约 %(km).0f 公里，不在该区划附近，请检查坐标是否填反"
                                  "或坐标系是否选对") % {"km": d / 1000})
    return converted, geom


def parse_outline(boundary: Any, *, label: str = "") -> BaseGeometry | None:
    """The shape of a stored outline, or None (logged as a warning, naming `label`) when it does
    not parse or is not a valid, non-empty polygon: one bad row must not break every reader."""
    if not boundary:
        return None
    try:
        geom = shape(boundary)
        ok = not geom.is_empty and geom.is_valid and geom.geom_type in ("Polygon", "MultiPolygon")
    except UNREADABLE as e:
        log.warning("skipping the unreadable outline of %s: %s", label or "?", e)
        return None
    if not ok:
        log.warning("skipping the invalid outline of %s", label or "?")
        return None
    return geom


def region_outline(code: str) -> BaseGeometry | None:
    """The outline of region `code`, else of its nearest ancestor that has a usable one; None when
    none has (or `code` is not a region code)."""
    if not isinstance(code, str) or not REGION_CODE.fullmatch(code):
        return None
    chain = [code]
    while (p := parent_code(chain[-1])) is not None:
        chain.append(p)
    found = {r.code: r.boundary for r in Region.objects.filter(code__in=chain)
             .exclude(boundary__isnull=True).only("code", "boundary")}
    for c in chain:
        geom = parse_outline(found.get(c), label=f"region {c}")
        if geom is not None:
            return geom
    return None


def distance_m(outline: BaseGeometry | None, geom: BaseGeometry) -> float | None:
    """Metres from a point (or a shape's representative point) to `outline`; 0 inside it, None
    when there is no outline."""
    if outline is None or outline.is_empty:
        return None
    p = geom if geom.geom_type == "Point" else geom.representative_point()
    if outline.covers(p):
        return 0.0
    near, _p = nearest_points(outline, p)
    return coords.haversine_m(near.x, near.y, p.x, p.y)
