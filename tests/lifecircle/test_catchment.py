"""Per-facility catchments and their isochrone polygons."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from minsheng.lifecircle.engine import EngineError, catchment, graph_from_lines, isochrone
from minsheng.lifecircle.engine.geo import EARTH_RADIUS_M

MD = EARTH_RADIUS_M * np.pi / 180 * 1e-3


def _grid(n: int = 9):
    pts = [[(i * 0.001, j * 0.001) for j in range(n)] for i in range(n)]
    return graph_from_lines(pts + [[pts[i][j] for i in range(n)] for j in range(n)])


def test_the_catchment_holds_the_nodes_within_the_distance() -> None:
    g = _grid()
    centre = int(np.flatnonzero(np.isclose(g.lon, 0.004) & np.isclose(g.lat, 0.004))[0])
    nodes, d = catchment(g, centre, 2.5 * MD)
    # Manhattan distance ≤ 2 blocks: 1 + 4 + 8 nodes.
    assert len(nodes) == 13 and d[0] == 0 and np.all(np.diff(d) >= 0)
    manhattan = (np.abs(g.lon[nodes] - 0.004) + np.abs(g.lat[nodes] - 0.004)) / 0.001
    np.testing.assert_allclose(d / MD, manhattan, rtol=1e-6)
    with pytest.raises(EngineError):
        catchment(g, -1, 100)


def test_the_isochrone_covers_reached_streets_and_not_the_rest() -> None:
    g = _grid()
    centre = int(np.flatnonzero(np.isclose(g.lon, 0.004) & np.isclose(g.lat, 0.004))[0])
    poly = isochrone(g, centre, 2.5 * MD, buffer_m=10)
    assert poly.is_valid and not poly.is_empty
    inside = shapely.points([0.004, 0.0065, 0.005], [0.0065, 0.004, 0.005])  # on reached streets
    assert shapely.contains(poly, inside).all()
    outside = shapely.points([0.0075, 0.0055, 0.004], [0.004, 0.0055, 0.001])
    assert not shapely.intersects(poly, outside).any()  # 3.5 blocks away / a block's middle
    # The polygon is in lon/lat (WGS-84), around the centre.
    minx, miny, maxx, maxy = poly.bounds
    assert 0.0014 < minx < 0.0016 and 0.0064 < maxx < 0.0066
