"""Snapping to the nearest point on an edge, and inserting snapped points as nodes."""

from __future__ import annotations

import numpy as np
import shapely
from scipy.sparse.csgraph import dijkstra

from minsheng.lifecircle.engine import graph_from_lines, insert_points, snap_points
from minsheng.lifecircle.engine.geo import EARTH_RADIUS_M

MD = EARTH_RADIUS_M * np.pi / 180 * 1e-3  # metres per 0.001° at the equator


def test_it_snaps_to_the_middle_of_a_long_edge_not_to_a_node() -> None:
    g = graph_from_lines([[(0.0, 0.0), (0.01, 0.0)]])  # one 1.1 km edge
    s = snap_points(g, [0.005], [0.0002])
    assert np.isclose(s.t[0], 0.5) and np.isclose(s.snap_m[0], 0.2 * MD)
    assert np.isclose(s.lon[0], 0.005) and np.isclose(s.lat[0], 0.0)


def test_far_points_are_reported_not_attached() -> None:
    g = graph_from_lines([[(0.0, 0.0), (0.001, 0.0)]])
    s = snap_points(g, [0.0005, 0.0005], [0.001, 0.01], max_snap_m=300)
    assert s.attached.tolist() == [True, False]
    assert np.isclose(s.snap_m[1], 10 * MD)  # the real distance, reported
    g2, nodes = insert_points(g, s)
    assert nodes[1] == -1 and nodes[0] == 2 and g2.n_nodes == 3


def test_snapping_equals_brute_force_on_a_random_network() -> None:
    rng = np.random.default_rng(7)
    lines = [[tuple(p) for p in rng.uniform(0, 0.02, (int(rng.integers(2, 6)), 2))]
             for _ in range(60)]
    # Join them into one network through a common vertex so nothing is dropped.
    lines = [[(0.01, 0.01), *line] for line in lines]
    g = graph_from_lines(lines)
    lon, lat = rng.uniform(-0.005, 0.025, 500), rng.uniform(-0.005, 0.025, 500)
    s = snap_points(g, lon, lat, max_snap_m=1e9)
    x, y = g.xy
    segs = shapely.linestrings(np.stack([np.c_[x[g.src], y[g.src]], np.c_[x[g.dst], y[g.dst]]], 1))
    px, py = g.projection.forward(lon, lat)
    d = shapely.distance(shapely.points(px, py)[:, None], segs[None, :]).min(axis=1)
    assert np.abs(d - s.snap_m).max() < 1e-6


def test_inserting_points_keeps_distances_and_shares_coincident_points() -> None:
    g = graph_from_lines([[(0.0, 0.0), (0.004, 0.0), (0.004, 0.004)]])
    before = dijkstra(g.csr, indices=[0])[0]
    lon = [0.001, 0.001, 0.003, 0.0, 0.004]
    lat = [0.0001, -0.0001, 0.0, 0.0, 0.002]
    g2, nodes = insert_points(g, snap_points(g, lon, lat))
    assert nodes[0] == nodes[1]  # same place on the edge: one node
    assert nodes[3] == 0  # on an end node: that node
    assert g2.n_nodes == g.n_nodes + 3
    after = dijkstra(g2.csr, indices=[0])[0]
    assert np.allclose(after[: g.n_nodes], before)
    assert np.allclose(after[nodes], np.array([1, 1, 3, 0, 6]) * MD * 1.0, rtol=1e-6)
    assert np.isclose(g2.length_m.sum(), g.length_m.sum())


def test_inserting_twice_keeps_earlier_nodes_and_reuses_the_root() -> None:
    g = graph_from_lines([[(0.0, 0.0), (0.004, 0.0)]])
    g1, n1 = insert_points(g, snap_points(g, [0.003, 0.001], [0.0, 0.0]))
    assert n1.tolist() == [2, 3] and g1.root is g  # numbered in the order of the points
    s = snap_points(g1, [0.002, 0.001], [0.0001, 0.0])
    assert s.edge.tolist() == [0, 0]  # edges of the root: what insert_points expects
    g2, n2 = insert_points(g1, s)
    assert n2.tolist() == [4, 3] and g2.root is g  # appended; or the earlier node at that spot
    np.testing.assert_array_equal(g2.lon[:4], g1.lon)
    d = dijkstra(g2.csr, indices=[0])[0]
    np.testing.assert_allclose(d[[3, 4, 2, 1]], np.array([1, 2, 3, 4]) * MD, rtol=1e-9)
    assert g2.n_edges == 4
