"""Siting benchmark (issue 5, "Speed"): the maximal covering location problem on the real 成都
network — spopt's MCLP (PuLP + CBC, dense model) against Minsheng's exact MCLP (sparse model,
HiGHS) on the same instance, plus Minsheng's greedy fallback and its gap.

    .venv/bin/python bench/siting_bench.py                 # 2,000 demand × 500 candidates × 10
    .venv/bin/python bench/siting_bench.py --seeds 1,2,3 --radius 500

The instance: demand points and candidate sites are network nodes drawn with a fixed seed;
weights (population) are integers 50–3,000; a candidate covers a demand point when their walking
distance along the network is ≤ the radius (500 m, the 10-minute level). Both solvers get the
same dense network-distance matrix (demand × candidates; "none within 2 × radius" = 1e6 m).
Timed: spopt `MCLP.from_cost_matrix` + `solve(PULP_CBC_CMD)`; Minsheng `csr_matrix(cost <=
radius)` + `mclp(method="milp")` (and, apart, `coverage_matrix` straight from the network).
spopt and PuLP are imported lazily: if missing, that baseline is reported as skipped.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from minsheng.lifecircle.engine import coverage_matrix, graph_from_osm, mclp  # noqa: E402

SHARED = Path(os.environ.get("MINSHENG_SHARED_DIR", ROOT.parent / "shared")) / "data"
OSM = SHARED / "chengdu-central-2018.osm"
FAR = 1e6  # metres: "not within reach" in the dense matrix


def instance(g, n_demand: int, n_cand: int, radius: float, seed: int):  # noqa: ANN001, ANN201
    rng = np.random.default_rng(seed)
    demand = rng.choice(g.n_nodes, n_demand, replace=False)
    cand = rng.choice(g.n_nodes, n_cand, replace=False)
    weights = rng.integers(50, 3001, n_demand).astype(np.float64)
    d = dijkstra(g.csr, directed=True, indices=cand, limit=2 * radius)[:, demand].T
    cost = np.where(np.isfinite(d), d, FAR)
    return demand, cand, weights, cost


def run_spopt(cost: np.ndarray, weights: np.ndarray, radius: float, k: int) -> dict:
    try:
        import pulp
        from spopt.locate import MCLP
    except ImportError as e:
        return {"missing": f"spopt/pulp not installed ({e}); pip install spopt pulp"}
    t0 = time.perf_counter()
    model = MCLP.from_cost_matrix(cost, weights, service_radius=radius, p_facilities=k,
                                  name="mclp")
    t1 = time.perf_counter()
    model = model.solve(pulp.PULP_CBC_CMD(msg=False))
    t2 = time.perf_counter()
    obj = float(pulp.value(model.problem.objective))
    return {"seconds": t2 - t0, "build_s": t1 - t0, "solve_s": t2 - t1, "objective": obj,
            "status": pulp.LpStatus[model.problem.status]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--demand", type=int, default=2000)
    ap.add_argument("--candidates", type=int, default=500)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--radius", type=float, default=500.0)
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--osm", type=Path, default=OSM)
    args = ap.parse_args()
    if not args.osm.exists():
        print(f"skipped: the 成都 extract is not at {args.osm} (../shared/ is absent)")
        return
    print(f"# siting_bench  {time.strftime('%Y-%m-%d')}  {os.cpu_count()} cores, "
          f"Python {platform.python_version()}; {args.demand} demand × {args.candidates} "
          f"candidates × {args.k} sites, radius {args.radius:.0f} m")
    g = graph_from_osm(args.osm)
    print("| seed | covering pairs | spopt s (build + solve) | spopt objective | Minsheng exact s | "
          "Minsheng objective | speed-up | from network s | greedy objective | greedy gap "
          "to optimum | greedy gap to LP bound (reported) | greedy s |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    speedups = []
    for seed in (int(s) for s in args.seeds.split(",")):
        demand, cand, w, cost = instance(g, args.demand, args.candidates, args.radius, seed)
        sp_res = run_spopt(cost, w, args.radius, args.k)
        t0 = time.perf_counter()
        cover = sp.csr_matrix(cost <= args.radius)
        exact = mclp(cover, w, args.k, method="milp")
        t_exact = time.perf_counter() - t0
        t0 = time.perf_counter()
        net_cover = coverage_matrix(g, demand, cand, args.radius)
        net_exact = mclp(net_cover, w, args.k, method="milp")
        t_net = time.perf_counter() - t0
        assert abs(net_exact.objective - exact.objective) < 1e-6
        t0 = time.perf_counter()
        gr = mclp(cover, w, args.k, method="greedy")
        t_greedy = time.perf_counter() - t0
        gap_opt = (exact.objective - gr.objective) / exact.objective
        if "missing" in sp_res:
            sp_cells = f"{sp_res['missing']} | | "
            ratio = ""
        else:
            same = abs(sp_res["objective"] - exact.objective) <= 1e-6 * exact.objective
            sp_cells = (f"{sp_res['seconds']:.2f} ({sp_res['build_s']:.2f} + "
                        f"{sp_res['solve_s']:.2f}) | {sp_res['objective']:.0f} "
                        f"{'(same)' if same else '(DIFFERENT)'} | ")
            speedups.append(sp_res["seconds"] / t_exact)
            ratio = f"{speedups[-1]:.0f}×"
        print(f"| {seed} | {cover.nnz} | {sp_cells}{t_exact:.3f} | {exact.objective:.0f} "
              f"({'optimal' if exact.optimal else exact.status}) | {ratio} | {t_net:.3f} | "
              f"{gr.objective:.0f} | {100 * gap_opt:.2f} % | {100 * gr.gap:.2f} % | "
              f"{t_greedy:.3f} |", flush=True)
    if speedups:
        print(f"\nmedian speed-up of Minsheng's exact MCLP over spopt: "
              f"{statistics.median(speedups):.0f}×")


if __name__ == "__main__":
    main()
