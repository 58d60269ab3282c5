"""The engine on the real 成都 extract (../shared/data; skipped where absent), checked against an
independent shortest-path computation: a plain heapq Dijkstra over a graph the test builds itself."""

from __future__ import annotations

import heapq
from collections import defaultdict
from pathlib import Path

import numpy as np
import osmium
import pytest

from minsheng.lifecircle.engine import Graph, compute_access, haversine_m, isochrone
from minsheng.lifecircle.engine.graph import walk_exclusion_reason

pytestmark = pytest.mark.shared_data

Adjacency = dict[int, list[tuple[int, float]]]


def heap_dijkstra(adj: Adjacency, sources: list[int], cutoff: float) -> dict[int, float]:
    """Multi-source Dijkstra with a binary heap, bounded by `cutoff` (inclusive)."""
    best: dict[int, float] = {}
    heap = [(0.0, s) for s in set(sources)]
    heapq.heapify(heap)
    while heap:
        d, u = heapq.heappop(heap)
        if u in best:
            continue
        best[u] = d
        for v, w in adj.get(u, ()):
            nd = d + w
            if nd <= cutoff and v not in best:
                heapq.heappush(heap, (nd, v))
    return best


def own_osm_graph(path: Path) -> tuple[Adjacency, dict[int, tuple[float, float]]]:
    """The walking network read independently: osmium ways, haversine lengths, all pieces."""
    adj: Adjacency = defaultdict(list)
    loc: dict[int, tuple[float, float]] = {}
    fp = osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY).with_locations()
    for o in fp:
        if not o.is_way() or "highway" not in o.tags or walk_exclusion_reason(o.tags):
            continue
        nodes = [(n.ref, n.lon, n.lat) for n in o.nodes]
        for (a, x1, y1), (b, x2, y2) in zip(nodes, nodes[1:], strict=False):
            if a == b:
                continue
            w = float(haversine_m(x1, y1, x2, y2))
            adj[a].append((b, w))
            adj[b].append((a, w))
            loc[a], loc[b] = (x1, y1), (x2, y2)
    return adj, loc


def test_the_network_and_its_pieces(chengdu_graph: Graph) -> None:
    g = chengdu_graph
    assert g.n_nodes == 8516 and g.n_edges == 9928
    assert 795 < g.total_length_km() < 810
    rep = g.components
    assert rep.dropped_components == 40 and rep.dropped_nodes == 330
    assert rep.dropped_sizes[0] == 47 and len(rep.dropped_lon) == 330
    assert "40 个与之不连通" in rep.summary()


def test_distances_between_osm_nodes_equal_an_independent_dijkstra(
        chengdu_path: Path, chengdu_graph: Graph) -> None:
    g = chengdu_graph
    adj, _ = own_osm_graph(chengdu_path)
    rng = np.random.default_rng(2018)
    comp = rng.choice(g.n_nodes, 150, replace=False)
    fac = rng.choice(g.n_nodes, 60, replace=False)
    cats = np.array(["school", "clinic", "market", "park"])[np.arange(60) % 4]
    cut = {"school": 1000.0, "clinic": 1000.0, "market": 500.0, "park": 300.0}
    a = compute_access(g, g.lon[comp], g.lat[comp], g.lon[fac], g.lat[fac], cats,
                       categories=list(cut), cutoff_m=cut)
    assert (a.compound_snap_m < 1e-6).all() and (a.facility_snap_m < 1e-6).all()
    checked = 0
    for col, c in enumerate(a.categories):
        mine = fac[cats == c]
        best = heap_dijkstra(adj, [int(g.node_ids[i]) for i in mine], cut[c])
        expect = np.array([best.get(int(g.node_ids[i]), np.inf) for i in comp])
        # haversine here, equirectangular edges in the engine: equal to 1e-8 relative
        np.testing.assert_allclose(a.distance_m[:, col], expect, rtol=1e-7, atol=1e-6)
        checked += int(np.isfinite(expect).sum())
    assert checked > 60


@pytest.fixture(scope="module")
def real_access(chengdu_graph: Graph, chengdu_places):
    ex = chengdu_places
    res, pois = ex.residential, ex.pois
    return compute_access(
        chengdu_graph, [p.lng for p in res], [p.lat for p in res],
        [p.lng for p in pois], [p.lat for p in pois], [p.category for p in pois],
        cutoff_m={"kindergarten": 300.0, "primary_school": 500.0, "market": 500.0,
                  "park": 500.0, "secondary_school": 1000.0, "health_centre": 1000.0})


def test_real_compounds_and_facilities_match_an_independent_dijkstra(real_access) -> None:
    a = real_access
    assert len(a.compound_node) == 178 and len(a.facility_node) == 270
    net = a.network
    adj: Adjacency = defaultdict(list)
    for u, v, w in zip(net.src.tolist(), net.dst.tolist(), net.length_m.tolist(), strict=True):
        adj[u].append((v, w))
        adj[v].append((u, w))
    for c in ("secondary_school", "health_centre", "primary_school", "park", "kindergarten"):
        col = a.column(c)
        fac = np.flatnonzero((a.facility_category == col) & a.facility_attached)
        best = heap_dijkstra(adj, a.facility_node[fac].tolist(), float(a.cutoff_m[col]))
        on = a.compound_attached
        expect = np.array([best.get(int(n), np.inf) for n in a.compound_node[on]])
        np.testing.assert_allclose(a.distance_m[on, col], expect, rtol=0, atol=1e-6)
        # the facility named is at that distance
        f = a.facility[on, col]
        ok = f >= 0
        back = np.array([heap_dijkstra(adj, [int(a.facility_node[i])], 2000.0)
                        .get(int(n), np.inf) for i, n in zip(f[ok][:20], a.compound_node[on][ok][:20],
                                                              strict=True)])
        np.testing.assert_allclose(back, a.distance_m[on, col][ok][:20], atol=1e-6)
    assert np.isfinite(a.distance_m[:, a.column("secondary_school")]).mean() > 0.3


def test_real_points_far_off_the_network_are_reported(real_access) -> None:
    a = real_access
    far = ~a.compound_attached
    assert (a.compound_snap_m[far] > a.max_snap_m).all()
    assert (a.compound_snap_m[~far] <= a.max_snap_m).all()
    b, upd = a.with_facility(104.20, 30.69, "park")  # ~7 km east of the extract
    assert not b.facility_attached[-1] and b.facility_snap_m[-1] > 5000
    assert len(upd.changed) == 0


def test_closing_and_opening_real_facilities_equals_a_full_recompute(
        real_access, chengdu_graph: Graph, chengdu_places) -> None:
    a = real_access
    col = a.column("secondary_school")
    used = np.unique(a.facility[:, col][a.facility[:, col] >= 0])[:3]
    b = a
    for f in used:
        b, _ = b.without_facility(int(f))
    b, _ = b.with_facility(104.085, 30.69, "secondary_school")
    pois = [p for i, p in enumerate(chengdu_places.pois) if i not in set(used.tolist())]
    res = chengdu_places.residential
    full = compute_access(
        chengdu_graph, [p.lng for p in res], [p.lat for p in res],
        [p.lng for p in pois] + [104.085], [p.lat for p in pois] + [30.69],
        [p.category for p in pois] + ["secondary_school"],
        categories=a.categories, cutoff_m=dict(zip(a.categories, a.cutoff_m, strict=True)))
    np.testing.assert_allclose(b.distance_m, full.distance_m, atol=1e-6)


def test_a_real_isochrone(real_access) -> None:
    a = real_access
    col = a.column("secondary_school")
    f = int(np.flatnonzero((a.facility_category == col) & a.facility_attached)[0])
    poly = isochrone(a.network, a.facility_node[f], 1000.0)
    assert poly.is_valid and 0.2e-4 < poly.area < 6e-4  # deg²: ~0.25–7 km² at 30.7°N
