"""Snapping points (compounds, facilities, candidate sites) onto the walking graph.

A point is snapped to the nearest point *on an edge* (not merely the nearest node), found
exactly with a `scipy.spatial.cKDTree` over sample points laid along every edge in the local
metric projection (see `geo`): with samples at most `s` metres apart along each edge, the
nearest edge has a sample within (distance to the nearest sample) + s/2, so a ball query of
that radius returns every candidate edge and the exact point-to-segment distance decides.

The snapped position then becomes a node of the graph (`insert_points` splits the edge, the two
parts keeping their share of its length), so walking distances are exact network distances
between the snapped positions — including two points on the same street segment. Snap
distances (`snap_m`) are reported separately and are *not* added to the network distance.

Points farther than `max_snap_m` from every edge are not attached: they are reported with their
snap distance (`Snapped.attached` is False, the node is -1) instead of being silently tied to a
distant street.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.spatial import cKDTree

from .errors import EngineError
from .graph import Graph

__all__ = ["DEFAULT_MAX_SNAP_M", "SnapIndex", "Snapped", "attach_points", "build_snap_index",
           "insert_points", "snap_points"]

DEFAULT_MAX_SNAP_M = 300.0  # metres; a point farther from every street is reported, not attached
SAMPLE_SPACING_M = 80.0  # metres between KD-tree samples along an edge
CANDIDATE_SAMPLES = 16  # nearest samples looked at before falling back to a ball query
INSERT_TOLERANCE_M = 0.01  # points within 1 cm of a node (or of each other) share that node

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


@dataclass(eq=False)
class SnapIndex:
    """KD-tree over samples along the edges of one graph (projected metres)."""

    tree: cKDTree
    sample_edge: IntArray  # edge of each sample
    half_gap: float  # farthest any point of an edge is from its nearest sample, metres
    ax: FloatArray
    ay: FloatArray
    bx: FloatArray
    by: FloatArray


@dataclass(frozen=True)
class Snapped:
    """Where points meet the graph.

    edge : int64, the nearest edge — of `graph.root` when the graph has inserted points, as
    `insert_points` expects; t : float64, position on it from `src` (0) to `dst` (1);
    snap_m : metres from the point to the network; lon, lat : the snapped position (WGS-84);
    attached : snap_m <= max_snap_m.
    """

    edge: IntArray
    t: FloatArray
    snap_m: FloatArray
    lon: FloatArray
    lat: FloatArray
    max_snap_m: float

    @property
    def attached(self) -> NDArray[np.bool_]:
        return self.snap_m <= self.max_snap_m

    def __len__(self) -> int:
        return len(self.edge)


def build_snap_index(graph: Graph, spacing_m: float = SAMPLE_SPACING_M) -> SnapIndex:
    """The KD-tree used by `snap_points`; built once per graph (`Graph.snap_index` caches it)."""
    x, y = graph.xy
    ax, ay, bx, by = x[graph.src], y[graph.src], x[graph.dst], y[graph.dst]
    seg = np.hypot(bx - ax, by - ay)
    count = np.maximum(1, np.ceil(seg / spacing_m)).astype(np.int64)
    # Most street segments are short: one sample at the middle. Long ones: `count` samples at
    # the middles of `count` equal parts.
    long = np.flatnonzero(count > 1)
    lc = count[long]
    edge_l = np.repeat(long, lc)
    start = np.concatenate([[0], np.cumsum(lc)[:-1]])
    f = (np.arange(len(edge_l)) - np.repeat(start, lc) + 0.5) / count[edge_l]
    short = np.flatnonzero(count == 1)
    edge = np.concatenate([short, edge_l])
    pts = np.empty((len(edge), 2))
    pts[: len(short), 0] = 0.5 * (ax[short] + bx[short])
    pts[: len(short), 1] = 0.5 * (ay[short] + by[short])
    pts[len(short):, 0] = ax[edge_l] + f * (bx[edge_l] - ax[edge_l])
    pts[len(short):, 1] = ay[edge_l] + f * (by[edge_l] - ay[edge_l])
    tree = cKDTree(pts, leafsize=32, balanced_tree=False, compact_nodes=False)
    half_gap = float((seg / (2 * count)).max()) if len(seg) else 0.0
    return SnapIndex(tree, edge, half_gap, ax, ay, bx, by)


def _index(graph: Graph) -> SnapIndex:
    idx = graph.__dict__.get("_snap_index")
    if idx is None:
        idx = graph.__dict__["_snap_index"] = build_snap_index(graph)
    return idx


def _segment(px: FloatArray, py: FloatArray, ax: FloatArray, ay: FloatArray, bx: FloatArray,
             by: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Position t (0..1) of the nearest point of segment AB to P, and the distance, element-wise."""
    dx, dy = bx - ax, by - ay
    ll = dx * dx + dy * dy
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(ll > 0, ((px - ax) * dx + (py - ay) * dy) / ll, 0.0)
    t = np.clip(t, 0.0, 1.0)
    return t, np.hypot(ax + t * dx - px, ay + t * dy - py)


def _candidates(idx: SnapIndex, pts: FloatArray) -> tuple[IntArray, IntArray]:
    """(point, edge) pairs that include every point's nearest edge.

    The nearest edge has a sample within r0 + half_gap of the point (r0: distance to the
    nearest sample). The K nearest samples usually reach that far; the few points where they
    do not get a ball query of exactly that radius.
    """
    n = len(pts)
    k = min(CANDIDATE_SAMPLES, idx.tree.n)
    dist, nb = idx.tree.query(pts, k=k, workers=-1)
    dist, nb = dist.reshape(n, k), nb.reshape(n, k)
    radius = dist[:, 0] + idx.half_gap + 1e-6
    short = (dist[:, -1] < radius) & (k < idx.tree.n)  # the ball may hold more samples
    keep = dist <= radius[:, None]
    keep[short] = False
    pid = np.repeat(np.arange(n), k).reshape(n, k)[keep]
    samples = nb[keep]
    if short.any():
        which = np.flatnonzero(short)
        balls = idx.tree.query_ball_point(pts[which], radius[which], return_sorted=False,
                                          workers=-1)
        lens = np.fromiter((len(b) for b in balls), dtype=np.int64, count=len(which))
        flat = np.fromiter(chain.from_iterable(balls), dtype=np.int64, count=int(lens.sum()))
        pid = np.concatenate([pid, np.repeat(which, lens)])
        samples = np.concatenate([samples, flat])
    return pid, idx.sample_edge[samples]


def snap_points(graph: Graph, lon: ArrayLike, lat: ArrayLike, *,
                max_snap_m: float = DEFAULT_MAX_SNAP_M) -> Snapped:
    """Snap WGS-84 points to the nearest point on an edge of `graph`.

    Examples
    --------
    >>> from minsheng.lifecircle.engine.graph import graph_from_lines
    >>> g = graph_from_lines([[(104.0, 30.0), (104.002, 30.0)]])
    >>> s = snap_points(g, [104.001], [30.0005])
    >>> round(float(s.t[0]), 3), round(float(s.snap_m[0]), 1), bool(s.attached[0])
    (0.5, 55.6, True)
    """
    lon = np.atleast_1d(np.asarray(lon, dtype=np.float64))
    lat = np.atleast_1d(np.asarray(lat, dtype=np.float64))
    if lon.shape != lat.shape:
        raise EngineError("经度和纬度的个数不一致")
    if not (np.isfinite(lon).all() and np.isfinite(lat).all()):
        raise EngineError("点的坐标中有无效值（空值或非数字）")
    n = len(lon)
    if n == 0:
        e = np.empty(0)
        return Snapped(np.empty(0, np.int64), e, e, e, e, float(max_snap_m))
    graph = graph.root or graph  # same streets; edges and index of the graph points went into
    idx = _index(graph)
    px, py = graph.projection.forward(lon, lat)
    pid, e = _candidates(idx, np.column_stack([px, py]))
    t, d = _segment(px[pid], py[pid], idx.ax[e], idx.ay[e], idx.bx[e], idx.by[e])
    order = np.lexsort((e, d, pid))  # nearest first; ties to the lowest edge id
    best = order[np.concatenate([[0], np.flatnonzero(np.diff(pid[order])) + 1])]
    edge, t, d = e[best], t[best], d[best]
    s, g = graph.src[edge], graph.dst[edge]
    slon = graph.lon[s] + t * (graph.lon[g] - graph.lon[s])
    slat = graph.lat[s] + t * (graph.lat[g] - graph.lat[s])
    return Snapped(edge, t, d, slon, slat, float(max_snap_m))


def insert_points(graph: Graph, snapped: Snapped, *, tol_m: float = INSERT_TOLERANCE_M
                  ) -> tuple[Graph, IntArray]:
    """A new graph in which every attached snapped point is a node, and each point's node.

    An edge holding points is replaced by a chain through them; the parts keep their share of
    the edge's length, so network distances between old nodes do not change. Node numbers of
    `graph` stay valid; new nodes are appended in the order of the points. Points within
    `tol_m` of an end node use it; points within `tol_m` of each other on an edge share one
    node. Unattached points get node -1. Inserting into a graph that already has inserted
    points rebuilds from its `root` (O(edges), no new snap index), keeping all earlier nodes.
    """
    n = len(snapped)
    nodes = np.full(n, -1, dtype=np.int64)
    which = np.flatnonzero(snapped.attached)
    if len(which) == 0:
        return graph, nodes
    root = graph.root or graph
    e = snapped.edge[which]
    s = snapped.t[which] * root.length_m[e]
    if graph.root is not None:
        e = np.concatenate([graph.inserted_edge, e])
        s = np.concatenate([graph.inserted_m, s])
    out, all_nodes = _insert(root, e, s, tol_m)
    nodes[which] = all_nodes[len(all_nodes) - len(which):]
    return out, nodes


def _insert(root: Graph, e: IntArray, s: FloatArray, tol_m: float) -> tuple[Graph, IntArray]:
    """Points at offset `s` metres along root edges `e` → (graph with them as nodes, nodes)."""
    length = root.length_m[e]
    nodes = np.empty(len(e), dtype=np.int64)
    at_src = s <= tol_m
    at_dst = ~at_src & (length - s <= tol_m)
    nodes[at_src] = root.src[e[at_src]]
    nodes[at_dst] = root.dst[e[at_dst]]
    mid = np.flatnonzero(~(at_src | at_dst))
    if len(mid) == 0:
        return root, nodes
    em, sm = e[mid], s[mid]
    q = np.round(sm / tol_m).astype(np.int64)
    order = np.lexsort((q, em))
    em, sm, q, pm = em[order], sm[order], q[order], mid[order]
    new = np.concatenate([[True], (em[1:] != em[:-1]) | (q[1:] != q[:-1])])
    group = np.cumsum(new) - 1  # each point's new node, in (edge, offset) order
    first_seen = np.full(int(group[-1]) + 1, len(e), dtype=np.int64)
    np.minimum.at(first_seen, group, pm)
    rank = np.empty_like(first_seen)  # new nodes are numbered in the order of the points
    rank[np.argsort(first_seen, kind="stable")] = np.arange(len(first_seen))
    n0 = root.n_nodes
    nodes[pm] = n0 + rank[group]
    ke, ks = em[new], sm[new]  # one entry per new node, sorted by edge then offset
    m = len(ke)
    ids = n0 + rank
    first = np.concatenate([[True], ke[1:] != ke[:-1]])
    last = np.concatenate([ke[1:] != ke[:-1], [True]])
    prev_node = np.where(first, root.src[ke], np.concatenate([[0], ids[:-1]]))
    prev_s = np.where(first, 0.0, np.concatenate([[0.0], ks[:-1]]))
    split = np.zeros(root.n_edges, dtype=bool)
    split[ke] = True
    t_new = ks / root.length_m[ke]
    s0, s1 = root.src[ke], root.dst[ke]
    lon_new = np.empty(m)
    lat_new = np.empty(m)
    lon_new[rank] = root.lon[s0] + t_new * (root.lon[s1] - root.lon[s0])
    lat_new[rank] = root.lat[s0] + t_new * (root.lat[s1] - root.lat[s0])
    by_node = np.argsort(rank)
    out = Graph(
        lon=np.concatenate([root.lon, lon_new]), lat=np.concatenate([root.lat, lat_new]),
        src=np.concatenate([root.src[~split], prev_node, ids[last]]),
        dst=np.concatenate([root.dst[~split], ids, root.dst[ke[last]]]),
        length_m=np.concatenate([root.length_m[~split], ks - prev_s,
                                 root.length_m[ke[last]] - ks[last]]),
        node_ids=np.concatenate([root.node_ids, np.full(m, -1, np.int64)]),
        projection=root.projection, components=root.components,
        root=root, inserted_edge=ke[by_node], inserted_m=ks[by_node])
    return out, nodes


def attach_points(graph: Graph, lon: ArrayLike, lat: ArrayLike, *,
                  max_snap_m: float = DEFAULT_MAX_SNAP_M) -> tuple[Graph, IntArray, Snapped]:
    """`snap_points` then `insert_points`: (new graph, node per point or -1, the snap)."""
    snapped = snap_points(graph, lon, lat, max_snap_m=max_snap_m)
    new, nodes = insert_points(graph, snapped)
    return new, nodes, snapped
