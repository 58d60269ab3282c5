"""The walking graph: from OpenStreetMap ways or from plain polylines.

Nodes are the OSM nodes of walkable ways (or the distinct vertices of the polylines); edges join
consecutive nodes of a way, are undirected, and carry their length in metres
(`geo.edge_length_m`: local equirectangular at the edge's mean latitude, within 1e-8 of the
haversine distance for street segments). Only the largest connected component is kept; the
others are reported in `Graph.components` (count, nodes, edges), so a planner sees a
disconnected piece of the extract instead of getting silent "unreachable" results.

Which ways are walkable is the same rule as the OSM sample builder (`minsheng.places.osm`, which
can import it from here: this module does not depend on Django): a `highway` value a pedestrian
may use (footway … primary, no motorway/trunk), not `area=yes`, not `foot=no`, not
`access=private|no` unless `foot=yes|designated|permissive`, not `service=private`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from scipy.sparse.csgraph import connected_components

from .errors import EngineError
from .geo import Projection, edge_length_m

__all__ = [
    "FOOT_ALLOWED", "NO_ACCESS", "WALK_HIGHWAYS", "ComponentReport", "Graph", "WalkWays",
    "graph_from_edges", "graph_from_lines", "graph_from_osm", "graph_from_ways", "open_osm",
    "read_walk_ways", "walk_exclusion_reason", "ways_from_lines",
]

# Highway values a pedestrian may walk along (motorway, trunk and their links are not here).
# The OSM sample builder (minsheng.places.osm) uses this same rule.
WALK_HIGHWAYS = frozenset({
    "footway", "path", "pedestrian", "steps", "living_street", "residential", "service",
    "unclassified", "tertiary", "tertiary_link", "secondary", "secondary_link", "primary",
    "primary_link", "track", "road",
})
NO_ACCESS = frozenset({"private", "no"})
FOOT_ALLOWED = frozenset({"yes", "designated", "permissive"})
FAST_ROADS = frozenset({"motorway", "motorway_link", "trunk", "trunk_link"})

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


def walk_exclusion_reason(tags: Mapping[str, str]) -> str | None:
    """None when a way with these tags is walkable, else why not: "motorway", "trunk" … for fast
    roads, "area", "private", or "other" (not a walkable highway value at all).

    Examples
    --------
    >>> walk_exclusion_reason({"highway": "footway"}) is None
    True
    >>> walk_exclusion_reason({"highway": "service", "access": "private"})
    'private'
    >>> walk_exclusion_reason({"highway": "service", "access": "private", "foot": "yes"}) is None
    True
    >>> walk_exclusion_reason({"highway": "trunk"})
    'trunk'
    """
    hw = tags.get("highway")
    if hw not in WALK_HIGHWAYS:
        return hw if hw in FAST_ROADS else "other"
    if tags.get("area") == "yes":
        return "area"
    foot = tags.get("foot")
    if foot == "no":
        return "private"
    if tags.get("access") in NO_ACCESS and foot not in FOOT_ALLOWED:
        return "private"
    if tags.get("service") == "private":
        return "private"
    return None


@dataclass
class WalkWays:
    """Parsed walkable ways, before any graph is built.

    `lon`/`lat` (WGS-84 degrees) and `node_ids` (OSM ids, or -1 for polylines) describe the
    distinct nodes; `refs` lists node indices way after way, `offsets` (length ways + 1) says
    where each way starts in `refs`. A way cut by missing node locations (a clipped extract)
    becomes several ways.
    """

    lon: FloatArray
    lat: FloatArray
    node_ids: IntArray
    refs: IntArray
    offsets: IntArray
    excluded: dict[str, int] = field(default_factory=dict)  # reason → ways left out
    missing_locations: int = 0  # way node references without a location in the file

    @property
    def ways(self) -> int:
        return len(self.offsets) - 1


@dataclass(frozen=True)
class ComponentReport:
    """The pieces of the network: the largest is kept, the others are listed here.

    `dropped_sizes` are the node counts of the dropped components, largest first;
    `dropped_lon`/`dropped_lat`/`dropped_label` are their nodes (label = index into
    `dropped_sizes`), for a map of what was left out.
    """

    components: int
    kept_nodes: int
    kept_edges: int
    dropped_nodes: int
    dropped_edges: int
    dropped_sizes: tuple[int, ...]
    dropped_lon: FloatArray
    dropped_lat: FloatArray
    dropped_label: IntArray

    @property
    def dropped_components(self) -> int:
        return len(self.dropped_sizes)

    def summary(self) -> str:
        """One line in Chinese for a planner."""
        line = f"步行路网：{self.kept_nodes} 个节点、{self.kept_edges} 条路段（最大连通部分）"
        if not self.dropped_sizes:
            return line + "，路网完全连通"
        sizes = "、".join(str(s) for s in self.dropped_sizes[:5])
        more = " 等" if len(self.dropped_sizes) > 5 else ""
        return (line + f"；另有 {self.dropped_components} 个与之不连通的小片路网（共 "
                f"{self.dropped_nodes} 个节点，各片节点数 {sizes}{more}）未参与计算")


@dataclass(eq=False)
class Graph:
    """An undirected walking graph (one connected component).

    Attributes
    ----------
    lon, lat : float64 (n_nodes,)
        WGS-84 degrees.
    src, dst : int64 (n_edges,)
        Edge end nodes; each undirected edge once.
    length_m : float64 (n_edges,)
        Edge lengths in metres (`geo.edge_length_m`, or the split share of one).
    node_ids : int64 (n_nodes,)
        OSM node id, or -1 (polyline vertices, inserted points).
    projection : Projection
        The local metric projection used for snapping and drawing.
    components : ComponentReport
        What was dropped when the graph was built.
    """

    lon: FloatArray
    lat: FloatArray
    src: IntArray
    dst: IntArray
    length_m: FloatArray
    node_ids: IntArray
    projection: Projection
    components: ComponentReport
    # Set on graphs made by `snap.insert_points`: the graph the points were inserted into (its
    # edges and snap index are reused) and, per inserted node (numbered root.n_nodes + i), the
    # root edge it lies on and its distance in metres from that edge's `src`.
    root: Graph | None = field(default=None, repr=False)
    inserted_edge: IntArray | None = field(default=None, repr=False)
    inserted_m: FloatArray | None = field(default=None, repr=False)

    @property
    def n_nodes(self) -> int:
        return len(self.lon)

    @property
    def n_edges(self) -> int:
        return len(self.src)

    @cached_property
    def csr(self) -> sp.csr_matrix:
        """Symmetric CSR adjacency (both directions), weights in metres. Use it with
        ``scipy.sparse.csgraph`` and ``directed=True``: it is already symmetric, and
        ``directed=False`` would make scipy transpose it on every call."""
        return _symmetric_csr(self.src, self.dst, self.length_m, self.n_nodes)

    @cached_property
    def xy(self) -> tuple[FloatArray, FloatArray]:
        """Node coordinates in the local projection, metres."""
        return self.projection.forward(self.lon, self.lat)

    def total_length_km(self) -> float:
        return float(self.length_m.sum()) / 1000.0


def _symmetric_csr(src: IntArray, dst: IntArray, w: FloatArray, n: int) -> sp.csr_matrix:
    # coo → csr is a counting sort in C++; there are no duplicate pairs left to be summed, and
    # explicit zero-length edges stay edges (scipy.sparse.csgraph treats them as such).
    m = sp.coo_matrix((np.concatenate([w, w]), (np.concatenate([src, dst]),
                                                np.concatenate([dst, src]))), shape=(n, n))
    return m.tocsr()


# --- reading --------------------------------------------------------------------------------

def read_walk_ways(path: str | Path) -> WalkWays:
    """The walkable ways of an OSM file (.osm XML or .osm.pbf, by name), read with pyosmium.

    Raises EngineError (Chinese) when the file is missing or not OSM data.
    """
    import osmium  # noqa: PLC0415 - heavy optional package; the rest of the engine runs without it

    path = Path(path)
    src = open_osm(path)
    index: dict[int, int] = {}
    lon: list[float] = []
    lat: list[float] = []
    refs: list[int] = []
    offsets = [0]
    excluded: Counter[str] = Counter()
    missing = 0

    def close(run: list[int]) -> None:
        if len(run) >= 2:
            refs.extend(run)
            offsets.append(len(refs))

    try:
        fp = (osmium.FileProcessor(src, osmium.osm.NODE | osmium.osm.WAY).with_locations()
              .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
              .with_filter(osmium.filter.KeyFilter("highway")))
        for w in fp:
            reason = walk_exclusion_reason(w.tags)
            if reason:
                excluded[reason] += 1
                continue
            run: list[int] = []
            for nd in w.nodes:
                loc = nd.location
                if not loc.valid():
                    missing += 1
                    close(run)
                    run = []
                    continue
                i = index.get(nd.ref)
                if i is None:
                    i = index[nd.ref] = len(lon)
                    lon.append(loc.lon)
                    lat.append(loc.lat)
                run.append(i)
            close(run)
    except RuntimeError as e:
        raise EngineError(f"无法读取“{path.name}”：它不是有效的 OpenStreetMap 文件（.osm 或 "
                          f".osm.pbf）。（osmium：{e}）") from e
    return WalkWays(
        lon=np.asarray(lon, dtype=np.float64), lat=np.asarray(lat, dtype=np.float64),
        node_ids=np.fromiter(index.keys(), dtype=np.int64, count=len(index)),
        refs=np.asarray(refs, dtype=np.int64), offsets=np.asarray(offsets, dtype=np.int64),
        excluded=dict(excluded), missing_locations=missing)


OSM_SUFFIXES = (".osm", ".pbf", ".osm.gz", ".osm.bz2", ".osc", ".o5m", ".opl")


def open_osm(path: str | Path):
    """An OpenStreetMap file for pyosmium (`osmium.io.File`): the format from the name, or, for
    odd names (an upload saved as "x.dat"), sniffed from the first bytes: XML starts with "<",
    anything else is read as PBF. The one opener of OSM files (the OSM sample builder in
    minsheng.places.osm uses it too).

    Raises EngineError (Chinese) when the file is missing or cannot be read.
    """
    import osmium  # noqa: PLC0415 - heavy optional package; the rest of the engine runs without it

    path = Path(path)
    if not path.is_file():
        raise EngineError(f"找不到 OSM 文件：{path}")
    if path.name.lower().endswith(OSM_SUFFIXES):
        return osmium.io.File(str(path))
    try:
        with path.open("rb") as f:
            head = f.read(64).lstrip()
    except OSError as e:
        raise EngineError(f"无法读取“{path.name}”：{e.strerror or e}") from e
    return osmium.io.File(str(path), "osm" if head.startswith(b"<") else "pbf")


def ways_from_lines(lines: Sequence[Sequence[Sequence[float]]], *, digits: int = 7) -> WalkWays:
    """Polylines of (lon, lat) WGS-84 positions → WalkWays.

    Vertices with the same coordinates rounded to `digits` decimals (7 ≈ 1 cm) are one node, so
    lines that share a vertex are joined there (as a GeoJSON MultiLineString of a street grid
    does at its crossings); lines that merely cross are not.

    Examples
    --------
    >>> w = ways_from_lines([[(104.0, 30.0), (104.001, 30.0)], [(104.001, 30.0), (104.001, 30.001)]])
    >>> len(w.lon), w.refs.tolist(), w.offsets.tolist()
    (3, [0, 1, 1, 2], [0, 2, 4])
    """
    counts = [len(line) for line in lines]
    if not counts or sum(counts) == 0:
        return WalkWays(np.empty(0), np.empty(0), np.empty(0, np.int64), np.empty(0, np.int64),
                        np.zeros(1, np.int64))
    flat = np.asarray([tuple(p[:2]) for line in lines for p in line], dtype=np.float64)
    if flat.ndim != 2 or flat.shape[1] != 2 or not np.isfinite(flat).all():
        raise EngineError("路网折线中有无效坐标（应为经度、纬度数字对）")
    scale = 10.0 ** digits
    key = np.round(flat * scale).astype(np.int64)
    _, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    # Number the nodes in order of first appearance (stable, readable for small inputs).
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    refs = rank[inverse]
    node_first = first[order]
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    keep = np.diff(offsets) >= 2
    if not keep.all():  # one-vertex lines carry no edge
        starts, ends = offsets[:-1][keep], offsets[1:][keep]
        refs = np.concatenate([refs[s:e] for s, e in zip(starts, ends, strict=True)] or
                              [np.empty(0, np.int64)])
        offsets = np.concatenate([[0], np.cumsum(ends - starts)]).astype(np.int64)
    return WalkWays(lon=flat[node_first, 0].copy(), lat=flat[node_first, 1].copy(),
                    node_ids=np.full(len(node_first), -1, np.int64),
                    refs=refs.astype(np.int64), offsets=offsets)


# --- building -------------------------------------------------------------------------------

def graph_from_ways(ways: WalkWays) -> Graph:
    """Build the walking graph from parsed ways: edges between consecutive way nodes, lengths in
    metres, duplicate and zero-node edges removed, largest component kept.

    Raises EngineError (Chinese) when there is no walkable way with two located nodes.
    """
    refs, off = ways.refs, ways.offsets
    if len(refs) < 2:
        raise EngineError(_no_walkable_message(ways))
    joined = np.ones(len(refs) - 1, dtype=bool)
    joined[off[1:-1] - 1] = False  # the step from one way's last node to the next way's first
    a, b = refs[:-1][joined], refs[1:][joined]
    return graph_from_edges(ways.lon, ways.lat, a, b, node_ids=ways.node_ids,
                            empty_message=_no_walkable_message(ways))


def _no_walkable_message(ways: WalkWays) -> str:
    msg = "文件中没有可步行的道路（highway=footway、residential、primary 等，且未禁止步行）"
    if ways.excluded:
        parts = "、".join(f"{k} {v}" for k, v in sorted(ways.excluded.items()))
        msg += f"；排除的道路：{parts}"
    if ways.missing_locations:
        msg += f"；{ways.missing_locations} 个道路节点缺少坐标"
    return msg + "。"


def graph_from_edges(lon: ArrayLike, lat: ArrayLike, a: ArrayLike, b: ArrayLike, *,
                     node_ids: ArrayLike | None = None, length_m: ArrayLike | None = None,
                     empty_message: str = "路网中没有任何路段。") -> Graph:
    """Graph from node coordinates (WGS-84) and edge end indices `a`, `b`.

    Lengths are `edge_length_m` (metres) unless `length_m` is given. Self-loops are dropped,
    repeated node pairs kept once (the shortest), and only the largest connected component is
    kept (nodes renumbered in their original order; the others in `Graph.components`).
    """
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    n = len(lon)
    ids = np.full(n, -1, np.int64) if node_ids is None else np.asarray(node_ids, np.int64)
    w = None if length_m is None else np.asarray(length_m, dtype=np.float64)
    loop = a == b
    if loop.any():
        a, b = a[~loop], b[~loop]
        w = None if w is None else w[~loop]
    if len(a) == 0:
        raise EngineError(empty_message)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    key = lo * n + hi
    if w is None:  # computed lengths: repeated pairs have equal lengths, keep any one
        key, first = np.unique(key, return_index=True)
        lo, hi = lo[first], hi[first]
        w = edge_length_m(lon[lo], lat[lo], lon[hi], lat[hi])
    else:  # given lengths: keep the shortest of repeated pairs
        order = np.lexsort((w, key))
        key = key[order]
        first = np.concatenate([[True], key[1:] != key[:-1]])
        key, lo, hi, w = key[first], lo[order][first], hi[order][first], w[order][first]
    # Edges are now sorted by (lo, hi): the upper triangle is a CSR matrix as it stands.
    indptr = np.concatenate([[0], np.cumsum(np.bincount(lo, minlength=n))])
    upper = sp.csr_matrix((w, hi, indptr), shape=(n, n))
    _, labels = connected_components(upper, directed=True, connection="weak")
    used = np.zeros(n, dtype=bool)
    used[lo] = True
    used[hi] = True
    labels = np.where(used, labels, -1)  # nodes on no edge are not part of the network
    sizes = np.bincount(labels[used])
    big = int(np.argmax(sizes))
    keep = labels == big
    ekeep = keep[lo]
    report = _component_report(lon, lat, labels, sizes, big, keep, ekeep)
    if not keep.all():
        new_index = np.cumsum(keep) - 1
        lon, lat, ids = lon[keep], lat[keep], ids[keep]
        lo, hi, w = new_index[lo[ekeep]], new_index[hi[ekeep]], w[ekeep]
    return Graph(
        lon=lon, lat=lat, src=lo, dst=hi, length_m=w, node_ids=ids,
        projection=Projection(0.5 * (lon.min() + lon.max()), 0.5 * (lat.min() + lat.max())),
        components=report)


def _component_report(lon: FloatArray, lat: FloatArray, labels: IntArray, sizes: IntArray, big: int, keep: NDArray[np.bool_],
                      ekeep: NDArray[np.bool_]) -> ComponentReport:
    others = np.flatnonzero((sizes > 0) & (np.arange(len(sizes)) != big))
    others = others[np.argsort(-sizes[others], kind="stable")]
    rank = np.full(len(sizes), -1, np.int64)
    rank[others] = np.arange(len(others))
    dropped = (labels >= 0) & ~keep
    return ComponentReport(
        components=len(others) + 1, kept_nodes=int(keep.sum()), kept_edges=int(ekeep.sum()),
        dropped_nodes=int(dropped.sum()), dropped_edges=int((~ekeep).sum()),
        dropped_sizes=tuple(int(s) for s in sizes[others]),
        dropped_lon=lon[dropped], dropped_lat=lat[dropped], dropped_label=rank[labels[dropped]])


def graph_from_osm(path: str | Path) -> Graph:
    """Read an OSM file (.osm or .osm.pbf) and build its walking graph (largest component)."""
    return graph_from_ways(read_walk_ways(path))


def graph_from_lines(coords_list: Sequence[Sequence[Sequence[float]]], *, digits: int = 7) -> Graph:
    """Walking graph from polylines of (lon, lat) WGS-84 positions, e.g. the coordinates of a
    GeoJSON MultiLineString (the demo district's generated StreetNetwork).

    Examples
    --------
    >>> g = graph_from_lines([[(104.0, 30.0), (104.001, 30.0)], [(104.001, 30.0), (104.001, 30.001)]])
    >>> g.n_nodes, g.n_edges, [round(x, 1) for x in g.length_m.tolist()]
    (3, 2, [96.3, 111.2])
    """
    ways = ways_from_lines(coords_list, digits=digits)
    if len(ways.refs) < 2:
        raise EngineError("路网中没有任何路段（至少需要一条有两个不同点的折线）。")
    return graph_from_ways(ways)
