"""Catchments: the part of the network within walking distance of one facility, and an
isochrone polygon of it for drawing on a map.

The polygon is the reached network — whole edges, and the reachable part of edges cut by the
distance — buffered by `buffer_m` metres in the local projection, then simplified and returned
in WGS-84 (lon, lat). It shows where one can walk to; it is a drawing, the figures come from
the distances.
"""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from scipy.sparse.csgraph import dijkstra

from .errors import EngineError
from .graph import Graph

__all__ = ["catchment", "isochrone", "reached_segments"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def catchment(network: Graph, node: int | ArrayLike, cutoff_m: float
              ) -> tuple[IntArray, FloatArray]:
    """Nodes within `cutoff_m` metres of `node` (or of the nearest of several nodes), with their
    distances in metres, nearest first."""
    nodes = np.atleast_1d(np.asarray(node, dtype=np.int64))
    if len(nodes) == 0 or (nodes < 0).any() or (nodes >= network.n_nodes).any():
        raise EngineError("设施不在路网上，无法计算其步行范围")
    d = dijkstra(network.csr, directed=True, indices=np.unique(nodes), min_only=True,
                 limit=float(cutoff_m))
    reached = np.flatnonzero(np.isfinite(d))
    order = np.argsort(d[reached], kind="stable")
    return reached[order], d[reached][order]


def reached_segments(network: Graph, dist: FloatArray, cutoff_m: float) -> FloatArray:
    """The reached pieces of edges as segments (m, 2, 2) in projected metres, given every node's
    distance (inf where not reached)."""
    u, v, length = network.src, network.dst, network.length_m
    r = float(cutoff_m)
    ru = r - dist[u]  # how far along the edge one gets from u (negative or -inf: not at all)
    rv = r - dist[v]
    whole = (ru >= length) | (rv >= length) | (np.isfinite(ru) & np.isfinite(rv)
                                                & (ru + rv >= length))
    part_u = ~whole & (ru > 0)
    part_v = ~whole & (rv > 0)
    x, y = network.xy

    def seg(edges: IntArray, f0: FloatArray, f1: FloatArray) -> FloatArray:
        ax, ay, bx, by = x[u[edges]], y[u[edges]], x[v[edges]], y[v[edges]]
        p0 = np.column_stack([ax + f0 * (bx - ax), ay + f0 * (by - ay)])
        p1 = np.column_stack([ax + f1 * (bx - ax), ay + f1 * (by - ay)])
        return np.stack([p0, p1], axis=1)

    ew, eu, ev = np.flatnonzero(whole), np.flatnonzero(part_u), np.flatnonzero(part_v)
    with np.errstate(invalid="ignore", divide="ignore"):
        fu = np.where(length[eu] > 0, ru[eu] / length[eu], 1.0)
        fv = np.where(length[ev] > 0, 1.0 - rv[ev] / length[ev], 0.0)
    return np.concatenate([
        seg(ew, np.zeros(len(ew)), np.ones(len(ew))),
        seg(eu, np.zeros(len(eu)), fu),
        seg(ev, fv, np.ones(len(ev))),
    ])


def isochrone(network: Graph, node: int | ArrayLike, cutoff_m: float, *, buffer_m: float = 25.0,
              simplify_m: float = 5.0) -> shapely.Geometry:
    """Walking isochrone polygon (WGS-84 lon/lat) of the network within `cutoff_m` metres of
    `node` (a facility's node in `Access.network`)."""
    nodes = np.atleast_1d(np.asarray(node, dtype=np.int64))
    reached, d = catchment(network, nodes, cutoff_m)
    dist = np.full(network.n_nodes, np.inf)
    dist[reached] = d
    segs = reached_segments(network, dist, cutoff_m)
    x, y = network.xy
    parts = [shapely.points(x[nodes], y[nodes])]
    if len(segs):
        parts.append(shapely.linestrings(segs))
    geom = shapely.buffer(shapely.geometrycollections(np.concatenate(parts)), buffer_m,
                          quad_segs=4)
    if simplify_m > 0:
        geom = shapely.simplify(geom, simplify_m)
    proj = network.projection
    return shapely.transform(geom, lambda c: np.column_stack(proj.inverse(c[:, 0], c[:, 1])))
