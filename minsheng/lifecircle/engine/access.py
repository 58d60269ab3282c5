"""Walking access: for every compound, the network distance to the nearest facility of each
category, and which facility that is.

One bounded multi-source shortest-path pass per category (`nearest_sources`:
``scipy.sparse.csgraph.dijkstra(indices=facility nodes, min_only=True, limit=cutoff)``) gives
every node its distance to the nearest facility of the category and the source it came from.

Conventions (used by the pages and the analyst command alike):

- distances are metres along the network between the *snapped* positions (see `snap`); the
  compound's and the facility's snap distances are reported apart and not added in;
- ``inf``: no facility of the category within the category's cut-off (the search stops there);
- ``nan``: the compound itself is not on the network (farther than `max_snap_m`);
- facility index -1: none. Ties between facilities on the same node go to the lowest index;
- minutes are distance / walking speed, a label only (the levels are keyed on metres).

`Access` also updates one category incrementally when a facility is added (one bounded
single-source pass, keep the minimum) or removed (recompute only the compounds whose nearest it
was, from the facilities within twice the cut-off of it).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from .errors import EngineError
from .graph import Graph
from .snap import DEFAULT_MAX_SNAP_M, insert_points, snap_points

__all__ = [
    "DEFAULT_CUTOFF_M", "DEFAULT_LEVEL_DISTANCE_M", "DEFAULT_SPEED_M_PER_MIN", "Access", "Update",
    "compute_access", "minutes", "nearest_facility", "nearest_sources",
]

# GB 50180-2018 table 3.0.4: 5/10/15-minute life circles = 300/500/1000 m walking distance.
DEFAULT_LEVEL_DISTANCE_M: dict[int, float] = {5: 300.0, 10: 500.0, 15: 1000.0}
DEFAULT_CUTOFF_M = 1000.0  # a category with no configured distance: the 15-minute level's
DEFAULT_SPEED_M_PER_MIN = 1000.0 / 15.0  # 4 km/h: the 15-minute circle's 1,000 m in 15 minutes

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


def minutes(distance_m: ArrayLike, speed_m_per_min: float = DEFAULT_SPEED_M_PER_MIN) -> FloatArray:
    """Walking minutes for distances in metres (inf/nan pass through).

    >>> minutes([0.0, 500.0, 1000.0]).round(1).tolist()
    [0.0, 7.5, 15.0]
    """
    if speed_m_per_min <= 0:
        raise EngineError("步行速度必须大于 0（米/分钟）")
    return np.asarray(distance_m, dtype=np.float64) / speed_m_per_min


def nearest_sources(csr: csr_matrix, source_nodes: ArrayLike, cutoff_m: float
                    ) -> tuple[FloatArray, IntArray]:
    """The kernel: one bounded multi-source Dijkstra over the whole graph.

    Returns, for every node, the distance in metres to the nearest source node (inf beyond
    `cutoff_m`) and that source node (-1 where none). `csr` must be symmetric (`Graph.csr`).
    """
    n = csr.shape[0]
    src = np.unique(np.asarray(source_nodes, dtype=np.int64))
    if len(src) == 0:
        return np.full(n, np.inf), np.full(n, -1, np.int64)
    dist, _, sources = dijkstra(csr, directed=True, indices=src, min_only=True,
                                limit=float(cutoff_m), return_predecessors=True)
    sources = sources.astype(np.int64)
    sources[sources < 0] = -1
    return dist, sources


def _owner(n_nodes: int, facility_nodes: IntArray, ids: IntArray) -> IntArray:
    """node → facility index (lowest index where several share a node), -1 elsewhere."""
    owner = np.full(n_nodes, -1, np.int64)
    owner[facility_nodes[::-1]] = ids[::-1]
    return owner


def _lift(ids: IntArray, which: IntArray) -> IntArray:
    """Indices into a subset (`which`, -1 = none) → indices into the whole (`ids[which]`)."""
    out = np.full(len(which), -1, np.int64)
    ok = which >= 0
    out[ok] = ids[which[ok]]
    return out


def nearest_facility(csr: csr_matrix, facility_nodes: ArrayLike, target_nodes: ArrayLike,
                     cutoff_m: float) -> tuple[FloatArray, IntArray]:
    """Distance (metres) from each target node to the nearest facility, and its index.

    `facility_nodes[i]` is facility i's node (-1: not on the network, ignored). Targets with
    node -1 get nan and -1; targets with no facility within `cutoff_m` get inf and -1.
    """
    fac = np.asarray(facility_nodes, dtype=np.int64)
    tgt = np.asarray(target_nodes, dtype=np.int64)
    ok = fac >= 0
    dist, source = nearest_sources(csr, fac[ok], cutoff_m)
    owner = _owner(csr.shape[0], fac[ok], np.flatnonzero(ok))
    on = tgt >= 0
    d = np.full(len(tgt), np.nan)
    which = np.full(len(tgt), -1, np.int64)
    d[on] = dist[tgt[on]]
    s = source[tgt[on]]
    which[on] = np.where(s >= 0, owner[np.maximum(s, 0)], -1)
    return d, which


@dataclass(frozen=True)
class Update:
    """What an incremental change did: the facility's index and the compounds whose distance
    or nearest facility changed (indices into the compounds)."""

    facility: int
    category: str
    changed: IntArray


@dataclass(frozen=True)
class Access:
    """Walking access of compounds to facilities, per category (columns in `categories` order).

    distance_m, facility : (n_compounds, n_categories) float64 metres / int64 facility index.
    compound_node, facility_node : node in `network` (-1: farther than `max_snap_m`).
    compound_snap_m, facility_snap_m : metres from the point to the network (always given).
    facility_category : index into `categories`; facility_active : False once removed.
    """

    network: Graph
    categories: tuple[str, ...]
    cutoff_m: FloatArray
    max_snap_m: float
    compound_node: IntArray
    compound_snap_m: FloatArray
    facility_node: IntArray
    facility_snap_m: FloatArray
    facility_category: IntArray
    facility_active: BoolArray
    distance_m: FloatArray
    facility: IntArray

    @property
    def compound_attached(self) -> BoolArray:
        return self.compound_node >= 0

    @property
    def facility_attached(self) -> BoolArray:
        return self.facility_node >= 0

    def column(self, category: str) -> int:
        try:
            return self.categories.index(category)
        except ValueError:
            raise EngineError(f"没有这个设施类别：{category}") from None

    def minutes(self, speed_m_per_min: float = DEFAULT_SPEED_M_PER_MIN) -> FloatArray:
        return minutes(self.distance_m, speed_m_per_min)

    def empty_categories(self) -> list[str]:
        """Categories with no active facility on the network (every compound uncovered)."""
        live = self.facility_active & self.facility_attached
        counts = np.bincount(self.facility_category[live], minlength=len(self.categories))
        return [c for c, k in zip(self.categories, counts, strict=True) if k == 0]

    def door_to_door_m(self) -> FloatArray:
        """distance_m plus both snap distances (compound's and its nearest facility's)."""
        fac = np.where(self.facility >= 0, self.facility, 0)
        extra = self.compound_snap_m[:, None] + np.where(self.facility >= 0,
                                                         self.facility_snap_m[fac], 0.0)
        return self.distance_m + extra

    # --- incremental updates ---------------------------------------------------------------

    def _facilities_of(self, col: int) -> IntArray:
        return np.flatnonzero((self.facility_category == col) & self.facility_active
                              & self.facility_attached)

    def with_facility(self, lon: float, lat: float, category: str) -> tuple[Access, Update]:
        """Add one facility (WGS-84) of an existing category; only that category's column is
        updated, by one bounded single-source pass from the new facility. Its index is the
        next one (n_facilities). A facility farther than `max_snap_m` is added unattached."""
        col = self.column(category)
        snapped = snap_points(self.network, [lon], [lat], max_snap_m=self.max_snap_m)
        network, node = insert_points(self.network, snapped)
        idx = len(self.facility_node)
        new = replace(
            self, network=network,
            facility_node=np.append(self.facility_node, node[0]),
            facility_snap_m=np.append(self.facility_snap_m, snapped.snap_m[0]),
            facility_category=np.append(self.facility_category, col),
            facility_active=np.append(self.facility_active, True))
        if node[0] < 0:
            return new, Update(idx, category, np.empty(0, np.int64))
        cutoff = float(self.cutoff_m[col])
        d = dijkstra(network.csr, directed=True, indices=int(node[0]), limit=cutoff)
        on = self.compound_node >= 0
        cand = np.full(len(on), np.inf)
        cand[on] = d[self.compound_node[on]]
        better = cand < self.distance_m[:, col]  # equal distance: the existing (lower) index stays
        dist, fac = self.distance_m.copy(), self.facility.copy()
        dist[better, col] = cand[better]
        fac[better, col] = idx
        return replace(new, distance_m=dist, facility=fac), Update(idx, category,
                                                                   np.flatnonzero(better))

    def without_facility(self, index: int) -> tuple[Access, Update]:
        """Remove (close) facility `index`. Only the compounds whose nearest facility it was are
        recomputed, from the same-category facilities within twice the cut-off of it (any
        facility within the cut-off of such a compound is). Indices of the others stay."""
        if not 0 <= index < len(self.facility_node):
            raise EngineError(f"没有编号为 {index} 的设施")
        if not self.facility_active[index]:
            raise EngineError(f"设施 {index} 已经移除")
        col = int(self.facility_category[index])
        active = self.facility_active.copy()
        active[index] = False
        new = replace(self, facility_active=active)
        affected = np.flatnonzero(self.facility[:, col] == index)
        category = self.categories[col]
        if len(affected) == 0:
            return new, Update(index, category, affected)
        cutoff = float(self.cutoff_m[col])
        csr = self.network.csr
        near = dijkstra(csr, directed=True, indices=int(self.facility_node[index]),
                        limit=2 * cutoff)
        others = new._facilities_of(col)
        others = others[np.isfinite(near[self.facility_node[others]])]
        d, which = nearest_facility(csr, self.facility_node[others],
                                    self.compound_node[affected], cutoff)
        which = _lift(others, which)
        dist, fac = self.distance_m.copy(), self.facility.copy()
        dist[affected, col] = d
        fac[affected, col] = which
        return replace(new, distance_m=dist, facility=fac), Update(index, category, affected)


def _cutoffs(categories: Sequence[str], cutoff_m: Mapping[str, float] | float) -> FloatArray:
    if isinstance(cutoff_m, Mapping):
        out = np.array([float(cutoff_m.get(c, DEFAULT_CUTOFF_M)) for c in categories])
    else:
        out = np.full(len(categories), float(cutoff_m))
    if (~np.isfinite(out) | (out <= 0)).any():
        raise EngineError("每个类别的步行距离上限必须是大于 0 的米数")
    return out


def compute_access(network: Graph, compound_lon: ArrayLike, compound_lat: ArrayLike,
                   facility_lon: ArrayLike, facility_lat: ArrayLike,
                   facility_category: Sequence[str], *,
                   categories: Sequence[str] | None = None,
                   cutoff_m: Mapping[str, float] | float = DEFAULT_CUTOFF_M,
                   max_snap_m: float = DEFAULT_MAX_SNAP_M, workers: int = 1) -> Access:
    """The one engine call behind the pages and the analyst command.

    Snaps compounds and facilities (WGS-84) onto `network` in one go, inserts the snapped
    positions as nodes, and runs one bounded multi-source pass per category.

    Parameters
    ----------
    categories : the columns, in order; default: the facility categories in order of first
        appearance. A listed category with no facility gives an all-inf column (see
        `Access.empty_categories`).
    cutoff_m : metres per category (unknown codes: 1,000 m), or one number for all.
    max_snap_m : points farther from the network are reported, not attached.
    workers : processes sharing the categories (forked; 1 = this process only). Worth it for
        large networks with many categories, not for a district.

    Examples
    --------
    >>> from minsheng.lifecircle.engine.graph import graph_from_lines
    >>> g = graph_from_lines([[(104.0, 30.0), (104.01, 30.0)]])
    >>> a = compute_access(g, [104.0], [30.0], [104.004, 104.02], [30.0, 30.0],
    ...                    ["school", "clinic"], cutoff_m={"school": 500, "clinic": 1000})
    >>> a.categories, a.distance_m.round(1).tolist(), a.facility.tolist()
    (('school', 'clinic'), [[385.2, inf]], [[0, -1]])
    >>> a.facility_attached.tolist(), a.empty_categories()
    ([True, False], ['clinic'])
    """
    clon = np.atleast_1d(np.asarray(compound_lon, dtype=np.float64))
    clat = np.atleast_1d(np.asarray(compound_lat, dtype=np.float64))
    flon = np.atleast_1d(np.asarray(facility_lon, dtype=np.float64))
    flat = np.atleast_1d(np.asarray(facility_lat, dtype=np.float64))
    fcat = [str(c) for c in facility_category]
    if len(clon) == 0:
        raise EngineError("没有小区（居住区）：无法计算生活圈")
    if not (len(flon) == len(flat) == len(fcat)):
        raise EngineError("设施的经度、纬度和类别个数不一致")
    cats = tuple(dict.fromkeys(fcat)) if categories is None else tuple(dict.fromkeys(categories))
    if not cats:
        raise EngineError("没有设施类别：无法计算生活圈")
    col_of = {c: i for i, c in enumerate(cats)}
    unknown = sorted({c for c in fcat if c not in col_of})
    if unknown:
        raise EngineError(f"设施类别不在计算范围内：{'、'.join(unknown)}")
    cut = _cutoffs(cats, cutoff_m)
    snapped = snap_points(network, np.concatenate([clon, flon]), np.concatenate([clat, flat]),
                          max_snap_m=max_snap_m)
    net, nodes = insert_points(network, snapped)
    nc = len(clon)
    fac_cat = np.array([col_of[c] for c in fcat], dtype=np.int64)
    access = Access(
        network=net, categories=cats, cutoff_m=cut, max_snap_m=float(max_snap_m),
        compound_node=nodes[:nc], compound_snap_m=snapped.snap_m[:nc],
        facility_node=nodes[nc:], facility_snap_m=snapped.snap_m[nc:],
        facility_category=fac_cat, facility_active=np.ones(len(fcat), dtype=bool),
        distance_m=np.empty((nc, len(cats))), facility=np.empty((nc, len(cats)), np.int64))
    jobs = [access._facilities_of(col) for col in range(len(cats))]
    results = _run_columns(net.csr, [access.facility_node[ids] for ids in jobs],
                           access.compound_node, cut, workers)
    for col, (ids, (d, which)) in enumerate(zip(jobs, results, strict=True)):
        access.distance_m[:, col] = d
        access.facility[:, col] = _lift(ids, which)
    return access


_FORKED: tuple[csr_matrix, IntArray] | None = None  # what forked workers read (copy-on-write)


def _forked_column(facility_nodes: IntArray, cutoff_m: float) -> tuple[FloatArray, IntArray]:
    if _FORKED is None:  # only reachable if called outside _run_columns
        raise RuntimeError("_forked_column runs only in a worker forked by _run_columns")
    csr, targets = _FORKED
    return nearest_facility(csr, facility_nodes, targets, cutoff_m)


def _run_columns(csr: csr_matrix, facility_nodes: list[IntArray], targets: IntArray,
                 cutoff: FloatArray, workers: int) -> list[tuple[FloatArray, IntArray]]:
    """One bounded multi-source pass per category; with workers > 1 the categories are shared
    among forked processes (POSIX only; scipy's Dijkstra holds the GIL, so threads do not help)."""
    workers = max(1, min(int(workers), len(facility_nodes)))
    if workers == 1 or "fork" not in multiprocessing.get_all_start_methods():
        return [nearest_facility(csr, f, targets, float(c))
                for f, c in zip(facility_nodes, cutoff, strict=True)]
    global _FORKED
    _FORKED = (csr, targets)
    try:
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
            futures = [pool.submit(_forked_column, f, float(c))
                       for f, c in zip(facility_nodes, cutoff, strict=True)]
            return [f.result() for f in futures]
    finally:
        _FORKED = None
