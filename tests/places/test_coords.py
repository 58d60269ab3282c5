from __future__ import annotations

import pytest

from minsheng.places.coords import (
    bd09_to_gcj02,
    from_wgs84,
    gcj02_to_bd09,
    geometry_to_wgs84,
    haversine_m,
    to_wgs84,
    wgs84_to_gcj02,
)

# 天安门 (WGS-84) and its published GCJ-02 position (offset about 500 m south-east... in Beijing)
TIANANMEN_WGS = (116.391275, 39.906217)


def test_gcj02_offset_is_hundreds_of_metres_in_china():
    g = wgs84_to_gcj02(*TIANANMEN_WGS)
    d = haversine_m(*TIANANMEN_WGS, *g)
    assert 100 < d < 800


@pytest.mark.parametrize("lng,lat", [(116.69, 39.50), (104.07, 30.67), (113.30, 40.08), (121.47, 31.23)])
def test_round_trips_are_below_a_centimetre(lng, lat):
    for crs in ("gcj02", "bd09"):
        back = to_wgs84(*from_wgs84(lng, lat, crs), crs)
        assert haversine_m(lng, lat, *back) < 0.01, crs


def test_bd09_is_further_offset_than_gcj02():
    g = wgs84_to_gcj02(*TIANANMEN_WGS)
    b = gcj02_to_bd09(*g)
    assert haversine_m(*g, *b) > 300
    assert haversine_m(*bd09_to_gcj02(*b), *g) < 0.05


def test_points_outside_china_are_not_shifted():
    assert wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)


def test_geometry_conversion_converts_every_vertex():
    ring = [[116.69, 39.50], [116.70, 39.50], [116.70, 39.51], [116.69, 39.50]]
    gcj = {"type": "Polygon", "coordinates": [[list(wgs84_to_gcj02(*p)) for p in ring]]}
    back = geometry_to_wgs84(gcj, "gcj02")
    for p, q in zip(ring, back["coordinates"][0], strict=True):
        assert haversine_m(*p, *q) < 0.05


def test_unknown_crs_is_an_error():
    with pytest.raises(ValueError):
        to_wgs84(116.0, 39.0, "web-mercator")
