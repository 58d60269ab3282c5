"""Coordinate systems: the one module that converts between them.

Minsheng stores WGS-84. Chinese map sources use GCJ-02 (高德, 腾讯) or BD-09 (百度); every import
names its source system and converts here, once. GCJ-02 is only defined inside China, so points
outside are returned unchanged (as the published algorithm does). The inverse of GCJ-02 has no
closed form; we iterate the forward transform until the error is below a millimetre.
"""

from __future__ import annotations

import math
from enum import StrEnum

A = 6378245.0  # Krasovsky 1940 semi-major axis, as used by GCJ-02
EE = 0.00669342162296594323
X_PI = math.pi * 3000.0 / 180.0


class CRS(StrEnum):
    WGS84 = "wgs84"
    GCJ02 = "gcj02"
    BD09 = "bd09"


CRS_LABELS = {
    CRS.WGS84: "WGS-84（GPS、天地图、OpenStreetMap）",
    CRS.GCJ02: "GCJ-02（高德、腾讯地图）",
    CRS.BD09: "BD-09（百度地图）",
}


def out_of_china(lng: float, lat: float) -> bool:
    return not (72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lng(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lng: float, lat: float) -> tuple[float, float]:
    if out_of_china(lng, lat):
        return lng, lat
    dlat = _transform_lat(lng - 105.0, lat - 35.0)
    dlng = _transform_lng(lng - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = 1 - EE * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((A * (1 - EE)) / (magic * sqrtmagic) * math.pi)
    dlng = (dlng * 180.0) / (A / sqrtmagic * math.cos(radlat) * math.pi)
    return lng + dlng, lat + dlat


def _invert(forward, x: float, y: float, x0: float, y0: float, tol: float) -> tuple[float, float]:
    """Solve forward(p) = (x, y) from the first guess (x0, y0) by fixed-point iteration: the
    transforms are small smooth offsets, so subtracting the residual converges in a few steps."""
    px, py = x0, y0
    for _ in range(30):
        fx, fy = forward(px, py)
        dx, dy = fx - x, fy - y
        px, py = px - dx, py - dy
        if abs(dx) < tol and abs(dy) < tol:
            break
    return px, py


def gcj02_to_wgs84(lng: float, lat: float) -> tuple[float, float]:
    if out_of_china(lng, lat):
        return lng, lat
    return _invert(wgs84_to_gcj02, lng, lat, lng, lat, 1e-9)


def bd09_to_gcj02(lng: float, lat: float) -> tuple[float, float]:
    # The published closed form is only good to a few centimetres; refine it against the forward
    # transform so that a round trip is exact to well below a millimetre.
    x, y = lng - 0.0065, lat - 0.006
    z = math.sqrt(x * x + y * y) - 0.00002 * math.sin(y * X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * X_PI)
    return _invert(gcj02_to_bd09, lng, lat, z * math.cos(theta), z * math.sin(theta), 1e-10)


def gcj02_to_bd09(lng: float, lat: float) -> tuple[float, float]:
    z = math.sqrt(lng * lng + lat * lat) + 0.00002 * math.sin(lat * X_PI)
    theta = math.atan2(lat, lng) + 0.000003 * math.cos(lng * X_PI)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006


def to_wgs84(lng: float, lat: float, crs: CRS | str) -> tuple[float, float]:
    """Convert one point from `crs` to WGS-84. The only entry point imports should use."""
    crs = CRS(crs)
    if crs is CRS.WGS84:
        return lng, lat
    if crs is CRS.GCJ02:
        return gcj02_to_wgs84(lng, lat)
    return gcj02_to_wgs84(*bd09_to_gcj02(lng, lat))


def from_wgs84(lng: float, lat: float, crs: CRS | str) -> tuple[float, float]:
    crs = CRS(crs)
    if crs is CRS.WGS84:
        return lng, lat
    g = wgs84_to_gcj02(lng, lat)
    return g if crs is CRS.GCJ02 else gcj02_to_bd09(*g)


def geometry_to_wgs84(geometry: dict, crs: CRS | str) -> dict:
    """Convert every position of a GeoJSON geometry (Point … MultiPolygon) to WGS-84."""
    crs = CRS(crs)

    def conv(c):
        if isinstance(c[0], (int, float)):
            x, y = to_wgs84(float(c[0]), float(c[1]), crs)
            return [round(x, 7), round(y, 7)]
        return [conv(p) for p in c]

    if geometry.get("type") == "GeometryCollection":
        return {"type": "GeometryCollection",
                "geometries": [geometry_to_wgs84(g, crs) for g in geometry["geometries"]]}
    return {"type": geometry["type"], "coordinates": conv(geometry["coordinates"])}


def haversine_m(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    r = 6371008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(h))
