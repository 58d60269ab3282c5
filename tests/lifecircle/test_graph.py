"""Walking graph: OSM reading, the walk filter, lines, components."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from minsheng.lifecircle.engine import (
    EngineError,
    graph_from_edges,
    graph_from_lines,
    graph_from_osm,
    haversine_m,
    open_osm,
    read_walk_ways,
    walk_exclusion_reason,
)
from minsheng.lifecircle.engine.geo import EARTH_RADIUS_M, edge_length_m
from minsheng.places import osm

from .osmfile import grid, write_osm, write_pbf

M_PER_MILLIDEGREE = EARTH_RADIUS_M * np.pi / 180 * 1e-3  # 111.195 m along the equator


def test_the_osm_sample_builder_uses_the_engines_walk_rule() -> None:
    # one rule for which ways are walkable: the sample builder's streets are the engine's network
    assert osm._walkable is walk_exclusion_reason
    cases = {
        "footway": None, "motorway": "motorway", "trunk_link": "trunk_link", "cycleway": "other",
    }
    for hw, reason in cases.items():
        assert walk_exclusion_reason({"highway": hw}) == reason, hw
    assert walk_exclusion_reason({"highway": "residential", "area": "yes"}) == "area"
    assert walk_exclusion_reason({"highway": "service", "access": "no"}) == "private"
    assert walk_exclusion_reason({"highway": "service", "access": "private",
                                  "foot": "permissive"}) is None
    assert walk_exclusion_reason({"highway": "path", "foot": "no"}) == "private"
    assert walk_exclusion_reason({"building": "yes"}) == "other"


def test_edge_lengths_are_haversine_to_a_hundredth_of_a_millimetre() -> None:
    rng = np.random.default_rng(1)
    lon, lat = rng.uniform(73, 135, 1000), rng.uniform(18, 53, 1000)
    dlon, dlat = rng.uniform(-0.01, 0.01, 1000), rng.uniform(-0.01, 0.01, 1000)
    d = edge_length_m(lon, lat, lon + dlon, lat + dlat)
    assert np.abs(d - haversine_m(lon, lat, lon + dlon, lat + dlat)).max() < 1e-5


def test_it_reads_an_osm_file_and_filters_ways(tmp_path: Path) -> None:
    nodes, ways = grid(3, lon0=0.0, lat0=0.0)
    nodes |= {50: (0.010, 0.0), 51: (0.011, 0.0), 60: (0.002, 0.003)}
    ways += [
        (300, [3, 50], {"highway": "motorway"}),  # left out: motorway
        (301, [50, 51], {"highway": "footway"}),  # a separate piece
        (302, [9, 60], {"highway": "service", "access": "private"}),  # left out: private
    ]
    path = write_osm(tmp_path / "t.osm", nodes, ways)
    w = read_walk_ways(path)
    assert w.excluded == {"motorway": 1, "private": 1}
    g = graph_from_osm(path)
    assert (g.n_nodes, g.n_edges) == (9, 12)
    assert sorted(g.node_ids.tolist()) == list(range(1, 10))
    assert np.allclose(np.sort(g.length_m), M_PER_MILLIDEGREE, rtol=1e-6)
    rep = g.components
    assert (rep.components, rep.dropped_components, rep.dropped_nodes, rep.dropped_edges) \
        == (2, 1, 2, 1)
    assert sorted(rep.dropped_lon.round(3).tolist()) == [0.010, 0.011]
    assert "1 个与之不连通" in rep.summary()


def test_pbf_and_xml_give_the_same_graph(tmp_path: Path) -> None:
    nodes, ways = grid(4)
    a = graph_from_osm(write_osm(tmp_path / "g.osm", nodes, ways))
    b = graph_from_osm(write_pbf(tmp_path / "g.osm.pbf", nodes, ways))
    assert (a.n_nodes, a.n_edges) == (b.n_nodes, b.n_edges) == (16, 24)
    assert np.allclose(np.sort(a.length_m), np.sort(b.length_m))


def test_a_way_with_missing_node_locations_is_cut_there(tmp_path: Path) -> None:
    nodes = {1: (0.0, 0.0), 2: (0.001, 0.0), 4: (0.003, 0.0), 5: (0.004, 0.0)}
    path = write_osm(tmp_path / "cut.osm", nodes, [(1, [1, 2, 3, 4, 5], {"highway": "path"})])
    w = read_walk_ways(path)
    assert w.missing_locations == 1 and w.ways == 2
    g = graph_from_osm(path)
    assert g.n_nodes == 2 and g.components.dropped_nodes == 2


def test_no_walkable_ways_is_a_clear_error(tmp_path: Path) -> None:
    nodes = {1: (0.0, 0.0), 2: (0.001, 0.0)}
    path = write_osm(tmp_path / "m.osm", nodes, [(1, [1, 2], {"highway": "motorway"})])
    with pytest.raises(EngineError, match="没有可步行的道路.*motorway 1"):
        graph_from_osm(path)


def test_a_file_that_is_not_osm_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.osm"
    bad.write_text("this is not xml", encoding="utf-8")
    with pytest.raises(EngineError, match="不是有效的 OpenStreetMap 文件"):
        graph_from_osm(bad)
    with pytest.raises(EngineError, match="找不到 OSM 文件"):
        graph_from_osm(tmp_path / "missing.osm")


def test_lines_join_at_shared_vertices_only() -> None:
    g = graph_from_lines([
        [(0.0, 0.0), (0.001, 0.0), (0.002, 0.0)],
        [(0.001, 0.0), (0.001, 0.001)],  # shares (0.001, 0) → joined
        [(0.0015, -0.001), (0.0015, 0.001)],  # crosses without a shared vertex → separate
    ])
    assert (g.n_nodes, g.n_edges) == (4, 3)
    assert g.components.dropped_sizes == (2,)
    with pytest.raises(EngineError):
        graph_from_lines([])
    with pytest.raises(EngineError):
        graph_from_lines([[(0.0, 0.0)]])


def test_repeated_pairs_and_self_loops_are_dropped() -> None:
    lon, lat = [0.0, 0.001, 0.002], [0.0, 0.0, 0.0]
    g = graph_from_edges(lon, lat, [0, 1, 1, 2, 2], [1, 0, 2, 1, 2],
                         length_m=[5.0, 4.0, 7.0, 7.0, 1.0])
    assert g.n_edges == 2
    assert sorted(g.length_m.tolist()) == [4.0, 7.0]  # the shortest of 0-1 kept
    assert (g.csr != g.csr.T).nnz == 0


def test_open_osm_sniffs_xml_and_pbf_behind_odd_names(tmp_path: Path) -> None:
    nodes, ways = grid(3, lon0=0.0, lat0=0.0)
    xml = write_osm(tmp_path / "t.osm", nodes, ways).rename(tmp_path / "upload-1.dat")
    pbf = write_pbf(tmp_path / "t.osm.pbf", nodes, ways).rename(tmp_path / "upload-2.bin")
    a, b = graph_from_osm(xml), graph_from_osm(pbf)
    assert a.n_nodes == b.n_nodes == 9 and a.n_edges == b.n_edges == 12
    assert open_osm(tmp_path / "upload-1.dat") is not None


def test_open_osm_refuses_a_missing_file_in_chinese(tmp_path: Path) -> None:
    with pytest.raises(EngineError, match="找不到 OSM 文件"):
        open_osm(tmp_path / "missing.osm")
    with pytest.raises(EngineError, match="找不到 OSM 文件"):
        open_osm(tmp_path)  # a folder is not a file


def test_the_osm_sample_builder_opens_files_with_the_engine(tmp_path: Path) -> None:
    # one opener: the sample builder's error for a missing file is the engine's, as an OSMError
    with pytest.raises(osm.OSMError, match="找不到 OSM 文件"):
        osm.read_extract(tmp_path / "missing.osm", [])
