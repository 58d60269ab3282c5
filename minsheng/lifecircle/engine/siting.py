"""Siting: where k new service points would cover the most uncovered population.

The maximal covering location problem (Church & ReVelle 1974):

    maximise   Σ_i w_i y_i
    subject to y_i ≤ Σ_{j covers i} x_j     for every demand point i
               Σ_j x_j = k
               x_j ∈ {0, 1},  0 ≤ y_i ≤ 1

where candidate j covers demand point i when their network distance is within the radius
(`coverage_matrix`). The model is built straight from the sparse coverage matrix — one row per
demand point with a nonzero per covering candidate, never a dense demand × candidate table —
after dropping demand points nobody can cover and merging demand points with identical
covering sets (their weights add up). It is solved exactly with HiGHS (`highspy`).

`greedy` adds, k times, the candidate covering the most still-uncovered weight; `mclp` reports
its objective with the gap to the optimum when known, else to HiGHS's LP-relaxation bound.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from scipy.sparse.csgraph import dijkstra

from .errors import EngineError
from .graph import Graph

__all__ = ["SitingResult", "coverage_matrix", "greedy", "mclp"]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
DIJKSTRA_CELLS = 20_000_000  # float64 cells per bounded multi-row Dijkstra block (~160 MB)


@dataclass(frozen=True)
class SitingResult:
    """A siting proposal.

    sites : chosen candidate indices (k of them, best first for greedy, ascending for MILP);
    objective : covered weight (population); covered : per demand point;
    bound : an upper bound on the optimum (the optimum itself when `optimal`);
    gap : (bound - objective) / bound, 0..1 (0 when bound is 0);
    method : "milp" or "greedy"; seconds : wall time of the solve.
    """

    sites: IntArray
    objective: float
    covered: NDArray[np.bool_]
    bound: float
    gap: float
    optimal: bool
    method: str
    seconds: float
    status: str = ""


def coverage_matrix(network: Graph, demand_nodes: ArrayLike, candidate_nodes: ArrayLike,
                    radius_m: float) -> sp.csr_matrix:
    """Boolean (n_demand, n_candidates) CSR: candidate j covers demand i when their network
    distance is ≤ radius_m metres. Nodes are in `network` (-1: not on it, covers nothing).

    Runs bounded Dijkstra passes from the unique nodes of the smaller side, in blocks.
    """
    dn = np.asarray(demand_nodes, dtype=np.int64)
    cn = np.asarray(candidate_nodes, dtype=np.int64)
    from_demand = len(np.unique(cn[cn >= 0])) > len(np.unique(dn[dn >= 0]))
    rows_nodes, cols_nodes = (dn, cn) if from_demand else (cn, dn)  # Dijkstra from rows_nodes
    ur, r_inv = np.unique(rows_nodes, return_inverse=True)
    uc, c_inv = np.unique(cols_nodes, return_inverse=True)
    r_ok, c_ok = ur >= 0, uc >= 0
    n = network.n_nodes
    block = max(1, DIJKSTRA_CELLS // max(n, 1))
    src = np.flatnonzero(r_ok)
    tgt = np.flatnonzero(c_ok)
    ii, jj = [], []
    for s in range(0, len(src), block):
        rows = src[s:s + block]
        d = dijkstra(network.csr, directed=True, indices=ur[rows], limit=float(radius_m))
        d = np.atleast_2d(d)[:, uc[tgt]]
        a, b = np.nonzero(d <= radius_m)
        ii.append(rows[a])
        jj.append(tgt[b])
    i = np.concatenate(ii) if ii else np.empty(0, np.int64)
    j = np.concatenate(jj) if jj else np.empty(0, np.int64)
    small = sp.csr_matrix((np.ones(len(i), dtype=bool), (i, j)), shape=(len(ur), len(uc)))
    full = small[r_inv.ravel()][:, c_inv.ravel()]  # back to one row/column per point
    out = full if from_demand else full.T
    return sp.csr_matrix(out, dtype=bool)


def _validate(cover: sp.spmatrix | ArrayLike, weights: ArrayLike, k: int
              ) -> tuple[sp.csr_matrix, FloatArray]:
    a = sp.csr_matrix(cover, dtype=bool)
    w = np.asarray(weights, dtype=np.float64)
    n_d, n_c = a.shape
    if n_d == 0:
        raise EngineError("没有需要覆盖的需求点（未覆盖的小区）")
    if n_c == 0:
        raise EngineError("没有候选站点")
    if w.shape != (n_d,):
        raise EngineError(f"权重（人口）个数 {w.size} 与需求点个数 {n_d} 不一致")
    if not np.isfinite(w).all() or (w < 0).any():
        raise EngineError("权重（人口）必须是非负数")
    if int(k) != k or k < 1:
        raise EngineError(f"要选的站点数 k 必须是正整数（现在是 {k}）")
    if k > n_c:
        raise EngineError(f"要选的站点数 k={k} 大于候选站点数 {n_c}")
    return a, w


def _reduce(a: sp.csr_matrix, w: FloatArray) -> tuple[sp.csr_matrix, FloatArray]:
    """Drop demand rows that nobody covers or that weigh nothing; merge identical rows."""
    keep = (np.diff(a.indptr) > 0) & (w > 0)
    a, w = a[keep], w[keep]
    if a.shape[0] == 0:
        return a, w
    rng = np.random.default_rng(20261123)  # a fixed hash of each row's covering set
    sig = a.astype(np.float64) @ rng.random((a.shape[1], 2))
    _, first, inv = np.unique(np.round(sig, 9), axis=0, return_index=True, return_inverse=True)
    merged = np.bincount(inv.ravel(), weights=w, minlength=len(first))
    return a[first], merged


def greedy(cover: sp.spmatrix | ArrayLike, weights: ArrayLike, k: int) -> tuple[IntArray, float]:
    """Greedy MCLP: k times, the candidate adding the most uncovered weight (ties: lowest
    index). Returns (sites in order chosen, covered weight)."""
    a, w = _validate(cover, weights, k)
    at = a.T.tocsr().astype(np.float64)
    left = w.copy()
    chosen: list[int] = []
    taken = np.zeros(a.shape[1], dtype=bool)
    for _ in range(int(k)):
        gain = at @ left
        gain[taken] = -1.0
        j = int(np.argmax(gain))
        chosen.append(j)
        taken[j] = True
        left[at.indices[at.indptr[j]:at.indptr[j + 1]]] = 0.0
    return np.asarray(chosen, dtype=np.int64), float(w.sum() - left.sum())


def _covered_by(a: sp.csr_matrix, sites: IntArray) -> NDArray[np.bool_]:
    return np.asarray(a[:, sites].sum(axis=1)).ravel() > 0


def _highs():
    import highspy

    class QuietHighs(highspy.Highs):
        def enableCallbacks(self) -> None:
            self.silent()  # HiGHS logs its banner when callbacks are first enabled
            super().enableCallbacks()

    return highspy, QuietHighs()


def _solve_milp(a: sp.csr_matrix, w: FloatArray, k: int, *, integer: bool,
                time_limit_s: float) -> tuple[FloatArray, float, float, str, bool]:
    """HiGHS on the sparse model. Returns (x values, objective, dual bound, status, optimal)."""
    highspy, h = _highs()
    n_d, n_c = a.shape
    # Columns: x_0..x_{n_c-1} (sites), then y_0..y_{n_d-1} (covered demand).
    rows = sp.hstack([-a.astype(np.float64), sp.identity(n_d, format="csr")], format="csr")
    ones = sp.csr_matrix(np.concatenate([np.ones(n_c), np.zeros(n_d)])[None, :])
    m = sp.vstack([rows, ones], format="csr")
    m.eliminate_zeros()
    lp = highspy.HighsLp()
    lp.num_col_ = n_c + n_d
    lp.num_row_ = n_d + 1
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.col_cost_ = np.concatenate([np.zeros(n_c), w])
    lp.col_lower_ = np.zeros(n_c + n_d)
    lp.col_upper_ = np.ones(n_c + n_d)
    lp.row_lower_ = np.concatenate([np.full(n_d, -highspy.kHighsInf), [float(k)]])
    lp.row_upper_ = np.concatenate([np.zeros(n_d), [float(k)]])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.num_col_ = n_c + n_d
    lp.a_matrix_.num_row_ = n_d + 1
    lp.a_matrix_.start_ = m.indptr.astype(np.int32)
    lp.a_matrix_.index_ = m.indices.astype(np.int32)
    lp.a_matrix_.value_ = m.data
    if integer:
        lp.integrality_ = ([highspy.HighsVarType.kInteger] * n_c
                           + [highspy.HighsVarType.kContinuous] * n_d)
    h.passModel(lp)
    h.setOptionValue("time_limit", float(time_limit_s))
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("threads", 1)
    h.run()
    status = h.getModelStatus()
    info = h.getInfo()
    x = np.asarray(h.getSolution().col_value[:n_c], dtype=np.float64)
    optimal = status == highspy.HighsModelStatus.kOptimal
    obj = float(info.objective_function_value)
    bound = float(info.mip_dual_bound) if integer else obj
    if integer and optimal:
        bound = obj
    return x, obj, bound, h.modelStatusToString(status), optimal


def _gap(objective: float, bound: float) -> float:
    return 0.0 if bound <= 0 else max(0.0, (bound - objective) / bound)


def mclp(cover: sp.spmatrix | ArrayLike, weights: ArrayLike, k: int, *,
         method: str = "auto", time_limit_s: float = 60.0) -> SitingResult:
    """Choose k candidates (columns of `cover`) maximising the covered weight.

    method "milp": exact with HiGHS (within `time_limit_s`; if stopped early, the incumbent
    and the gap to HiGHS's bound); "greedy": the greedy heuristic, its gap measured against
    the LP-relaxation bound; "auto": "milp", falling back to greedy (whichever covers more)
    when the time limit stops HiGHS.

    Examples
    --------
    >>> cover = [[1, 0, 0], [1, 1, 0], [0, 1, 1], [0, 0, 1]]
    >>> r = mclp(cover, [10, 1, 1, 10], 2)
    >>> r.sites.tolist(), r.objective, r.optimal
    ([0, 2], 22.0, True)
    """
    if method not in {"auto", "milp", "greedy"}:
        raise EngineError(f"未知的求解方法：{method}（应为 auto、milp 或 greedy）")
    t0 = time.perf_counter()
    a, w = _validate(cover, weights, k)
    ra, rw = _reduce(a, w)
    if method == "greedy":
        sites, obj = greedy(a, w, k)
        bound = _solve_milp(ra, rw, int(k), integer=False, time_limit_s=time_limit_s)[1] \
            if ra.shape[0] else 0.0
        bound = max(bound, obj)
        return SitingResult(sites, obj, _covered_by(a, sites), bound, _gap(obj, bound),
                            optimal=_gap(obj, bound) == 0.0, method="greedy",
                            seconds=time.perf_counter() - t0, status="greedy")
    if ra.shape[0] == 0:  # nothing coverable: any k sites do
        sites = np.arange(int(k), dtype=np.int64)
        return SitingResult(sites, 0.0, np.zeros(a.shape[0], bool), 0.0, 0.0, True, "milp",
                            time.perf_counter() - t0, "nothing to cover")
    x, obj, bound, status, optimal = _solve_milp(ra, rw, int(k), integer=True,
                                                 time_limit_s=time_limit_s)
    sites = np.sort(np.argsort(-x, kind="stable")[: int(k)]).astype(np.int64)
    obj = float(w[_covered_by(a, sites)].sum())  # recount on the original demand
    method_used = "milp"
    if not optimal and method == "auto":
        g_sites, g_obj = greedy(a, w, k)
        if g_obj > obj:
            sites, obj, method_used = g_sites, g_obj, "greedy"
    bound = max(bound, obj)
    return SitingResult(sites, obj, _covered_by(a, sites), bound, _gap(obj, bound),
                        optimal and method_used == "milp", method_used,
                        time.perf_counter() - t0, status)
