"""Maximal covering location: exact (HiGHS) against brute force, greedy and its gap."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from minsheng.lifecircle.engine import (
    EngineError,
    coverage_matrix,
    graph_from_lines,
    greedy,
    mclp,
)


def _instance(seed: int, n_d: int = 40, n_c: int = 12, density: float = 0.15):
    rng = np.random.default_rng(seed)
    a = rng.random((n_d, n_c)) < density
    w = rng.integers(1, 1000, n_d).astype(float)
    return a, w


def _brute_force(a: np.ndarray, w: np.ndarray, k: int) -> float:
    return max(w[a[:, list(s)].any(axis=1)].sum() for s in combinations(range(a.shape[1]), k))


@pytest.mark.parametrize("seed", range(6))
def test_exact_equals_brute_force(seed: int) -> None:
    a, w = _instance(seed)
    for k in (1, 3, 5):
        r = mclp(sp.csr_matrix(a), w, k, method="milp")
        assert r.optimal and r.method == "milp" and r.gap == 0
        assert len(r.sites) == k == len(set(r.sites.tolist()))
        assert r.objective == pytest.approx(_brute_force(a, w, k))
        assert r.objective == pytest.approx(w[a[:, r.sites].any(axis=1)].sum())
        assert r.covered.tolist() == a[:, r.sites].any(axis=1).tolist()


def test_greedy_reports_its_gap_to_the_bound() -> None:
    # The classic trap: greedy takes the big middle site, two side sites cover more.
    a = np.array([[1, 1, 0], [1, 1, 0], [1, 0, 1], [1, 0, 1], [0, 1, 0], [0, 0, 1]], bool)
    w = np.array([10, 10, 10, 10, 9, 9], float)
    sites, obj = greedy(a, w, 2)
    assert sites.tolist()[0] == 0 and obj == 49
    exact = mclp(a, w, 2, method="milp")
    assert exact.objective == 58 and sorted(exact.sites.tolist()) == [1, 2]
    g = mclp(a, w, 2, method="greedy")
    assert g.method == "greedy" and g.objective == 49 and not g.optimal
    assert g.bound >= exact.objective  # the LP bound is above the optimum
    assert g.gap == pytest.approx((g.bound - 49) / g.bound) and g.gap > 0


@pytest.mark.parametrize("seed", range(4))
def test_greedy_gap_is_honest_on_random_instances(seed: int) -> None:
    a, w = _instance(seed + 10, n_d=200, n_c=40, density=0.05)
    g = mclp(a, w, 6, method="greedy")
    opt = mclp(a, w, 6, method="milp").objective
    assert g.objective <= opt + 1e-9 <= g.bound + 1e-6


def test_bad_siting_input_is_answered_in_chinese() -> None:
    a, w = _instance(0)
    with pytest.raises(EngineError, match="大于候选站点数 12"):
        mclp(a, w, 13)
    with pytest.raises(EngineError, match="正整数"):
        mclp(a, w, 0)
    with pytest.raises(EngineError, match="没有候选站点"):
        mclp(np.zeros((3, 0), bool), [1, 1, 1], 1)
    with pytest.raises(EngineError, match="没有需要覆盖的需求点"):
        mclp(np.zeros((0, 3), bool), [], 1)
    with pytest.raises(EngineError, match="不一致"):
        mclp(a, w[:-1], 1)
    with pytest.raises(EngineError, match="非负"):
        mclp(a, -w, 1)
    with pytest.raises(EngineError, match="求解方法"):
        mclp(a, w, 1, method="magic")


def test_nothing_to_cover_gives_zero() -> None:
    r = mclp(np.zeros((3, 4), bool), [5, 5, 5], 2)
    assert r.objective == 0 and len(r.sites) == 2


def test_coverage_matrix_matches_a_dense_distance_table() -> None:
    n = 8
    pts = [[(i * 0.001, j * 0.001) for j in range(n)] for i in range(n)]
    g = graph_from_lines(pts + [[pts[i][j] for i in range(n)] for j in range(n)])
    rng = np.random.default_rng(3)
    demand = rng.integers(0, g.n_nodes, 30)
    cand = np.append(rng.integers(0, g.n_nodes, 9), -1)  # one candidate not on the network
    m = coverage_matrix(g, demand, cand, 250.0)
    d = dijkstra(g.csr, indices=demand)[:, cand[:-1]]
    assert m.shape == (30, 10)
    assert np.array_equal(m.toarray()[:, :-1], d <= 250.0)
    assert m[:, -1].nnz == 0
    flipped = coverage_matrix(g, demand[:5], cand, 250.0)  # fewer demand: passes from demand
    assert np.array_equal(flipped.toarray(), m.toarray()[:5])
