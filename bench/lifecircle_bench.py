"""Life-circle access benchmark (issue 5, "Speed"): Minsheng's engine against pandana, networkx
and the bare scipy kernel, on the real 成都 network and tiled copies of it.

    .venv/bin/python bench/lifecircle_bench.py                  # 1×1, 2×5, 3×6, 5×8 tiles
    .venv/bin/python bench/lifecircle_bench.py --scale          # + 10×12 tiles (~1M nodes), 20 cats
    .venv/bin/python bench/lifecircle_bench.py --tiles 2x5 --methods minsheng,kernel

What runs, per network (10 categories, 1,000 m cut-off, same points for every method):

- minsheng   engine end to end: `graph_from_ways` on the parsed (tiled) ways, then
             `compute_access` (snapping every compound and facility onto the edges, inserting
             them, one bounded multi-source pass per category naming the nearest facility);
- minsheng2  the same with `workers=2` (categories shared between two forked processes);
- kernel     the bare `scipy.sparse.csgraph.dijkstra(indices=…, min_only=True, limit=1000)`
             per category on the prebuilt graph (distances only), and "kernel+src" with
             `return_predecessors=True` (what is needed to know *which* facility);
- networkx   `nx.Graph` from the edge list + `multi_source_dijkstra_path_length(cutoff=1000)`;
- pandana    `Network(...)` + `precompute(1000)` + `get_node_ids` + `set_pois`/`nearest_pois`.

The network: the walkable ways of ../shared/data/chengdu-central-2018.osm (pyosmium, Minsheng's
walk filter), tiled nx × ny by translating copies by the extract's extent and stitching
neighbouring copies with 8 short ways across each shared border. Compounds: the 178 named
residential areas; facilities: the catalogue POIs of the 10 (20) most common categories — all
moved to their nearest network node, so that pandana (which snaps to nodes) measures the same
distances; copied into every tile.

Each method runs in its own fresh process (`--worker`), which prepares its inputs, then resets
the kernel's peak-RSS counter (/proc/self/clear_refs) and reports the fastest of `--repeat`
runs and the peak RSS growth of the first run (VmHWM − RSS before; counts C/C++ memory too,
unlike tracemalloc; later runs would reuse pages freed by the first). Baselines are imported
lazily: a missing package is reported, not fatal. Fixed seeds; no randomness in the data.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from minsheng.lifecircle.engine import (  # noqa: E402
    WalkWays,
    compute_access,
    graph_from_ways,
    insert_points,
    nearest_facility,
    read_walk_ways,
    snap_points,
)

SHARED = Path(os.environ.get("MINSHENG_SHARED_DIR", ROOT.parent / "shared")) / "data"
OSM = SHARED / "chengdu-central-2018.osm"
CUTOFF = 1000.0
STITCH = 8
METHODS = ["kernel", "minsheng", "minsheng2", "networkx", "pandana"]
BASELINE_PACKAGES = {"networkx": "networkx", "pandana": "pandana"}


# --- data -----------------------------------------------------------------------------------

def _rules():  # noqa: ANN202
    import json as _json
    import re

    from minsheng.places.osm import Rule

    cats = _json.loads((ROOT / "minsheng/places/fixtures/facility_categories.json").read_text())
    rules = []
    for c in sorted(cats, key=lambda c: (c["fields"]["order"], c["pk"])):
        for raw in c["fields"].get("osm_tags") or []:
            raw = dict(raw)
            pattern = raw.pop("name~", None)
            if raw or pattern:
                rules.append(Rule(c["pk"], {k: str(v) for k, v in raw.items()},
                                  re.compile(pattern) if pattern else None))
    return rules


def prepare(path: Path, out: Path) -> dict:
    """Parse the extract once: ways + real places moved to their nearest node (saved as .npz)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minsheng.settings")
    import django

    django.setup()  # only to import the OSM sample builder's reader; no database is used
    from scipy.spatial import cKDTree

    from minsheng.places.osm import read_extract

    t = time.perf_counter()
    ways = read_walk_ways(path)
    parse_s = time.perf_counter() - t
    g = graph_from_ways(ways)
    ex = read_extract(path, _rules())
    tree = cKDTree(np.column_stack(g.projection.forward(g.lon, g.lat)))

    def to_nodes(lon: list[float], lat: list[float]) -> np.ndarray:
        return tree.query(np.column_stack(g.projection.forward(lon, lat)))[1]

    comp = to_nodes([p.lng for p in ex.residential], [p.lat for p in ex.residential])
    fac = to_nodes([p.lng for p in ex.pois], [p.lat for p in ex.pois])
    cats = np.array([p.category for p in ex.pois])
    ids, counts = np.unique(cats, return_counts=True)
    order = ids[np.lexsort((ids, -counts))]  # most common first
    # Stitch candidates: the nodes of the largest component, as indices into the ways' nodes.
    by_id = np.argsort(ways.node_ids)
    main = by_id[np.searchsorted(ways.node_ids[by_id], g.node_ids)]
    np.savez(out, lon=ways.lon, lat=ways.lat, node_ids=ways.node_ids, refs=ways.refs,
             offsets=ways.offsets, main=main, comp_lon=g.lon[comp], comp_lat=g.lat[comp],
             fac_lon=g.lon[fac], fac_lat=g.lat[fac], fac_cat=cats, cat_order=order,
             parse_s=parse_s)
    return {"parse_s": parse_s, "nodes": g.n_nodes, "edges": g.n_edges,
            "compounds": len(comp), "pois": len(fac),
            "categories": {str(c): int(n) for c, n in zip(ids, counts, strict=True)}}


def tile(data: dict, nx: int, ny: int, n_cats: int) -> dict:
    """The tiled ways and points (WGS-84), tile after tile."""
    lon, lat = data["lon"], data["lat"]
    dx = (lon.max() - lon.min()) * 1.002
    dy = (lat.max() - lat.min()) * 1.002
    n, nr = len(lon), len(data["refs"])
    main = data["main"]
    ml, mt = lon[main], lat[main]
    east, west = main[np.argsort(-ml)[:STITCH]], main[np.argsort(ml)[:STITCH]]
    north, south = main[np.argsort(-mt)[:STITCH]], main[np.argsort(mt)[:STITCH]]
    east, west = east[np.argsort(lat[east])], west[np.argsort(lat[west])]
    north, south = north[np.argsort(lon[north])], south[np.argsort(lon[south])]
    t_lon, t_lat, t_ids, t_refs, t_off = [], [], [], [], [np.zeros(1, np.int64)]
    stitches = []
    cats = data["cat_order"][:n_cats]
    sel = np.isin(data["fac_cat"], cats)
    c_lon, c_lat, f_lon, f_lat, f_cat = [], [], [], [], []
    for iy in range(ny):
        for ix in range(nx):
            i = iy * nx + ix
            t_lon.append(lon + ix * dx)
            t_lat.append(lat + iy * dy)
            t_ids.append(data["node_ids"] + i * 10**12)
            t_refs.append(data["refs"] + i * n)
            t_off.append(data["offsets"][1:] + i * nr)
            if ix + 1 < nx:
                stitches += list(zip(east + i * n, west + (i + 1) * n, strict=True))
            if iy + 1 < ny:
                stitches += list(zip(north + i * n, south + (i + nx) * n, strict=True))
            c_lon.append(data["comp_lon"] + ix * dx)
            c_lat.append(data["comp_lat"] + iy * dy)
            f_lon.append(data["fac_lon"][sel] + ix * dx)
            f_lat.append(data["fac_lat"][sel] + iy * dy)
            f_cat.append(data["fac_cat"][sel])
    s = np.asarray(stitches, dtype=np.int64).reshape(-1)
    base = nr * nx * ny
    ways = WalkWays(
        lon=np.concatenate(t_lon), lat=np.concatenate(t_lat), node_ids=np.concatenate(t_ids),
        refs=np.concatenate([*t_refs, s]),
        offsets=np.concatenate([*t_off, base + 2 * np.arange(1, len(s) // 2 + 1)]))
    return {"ways": ways, "c_lon": np.concatenate(c_lon), "c_lat": np.concatenate(c_lat),
            "f_lon": np.concatenate(f_lon), "f_lat": np.concatenate(f_lat),
            "f_cat": np.concatenate(f_cat), "cats": [str(c) for c in cats]}


# --- measuring ------------------------------------------------------------------------------

def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _hwm_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM"):
                return int(line.split()[1]) / 1024
    return float("nan")


class Meter:
    """Wall time and peak RSS growth of a block (Linux /proc; peak counter reset on entry)."""

    def __enter__(self) -> Meter:
        import gc

        gc.collect()
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")  # reset VmHWM to the current RSS
            self.exact = True
        except OSError:
            self.exact = False
        self.rss0 = _rss_mb()
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.t0
        self.peak_mb = max(0.0, _hwm_mb() - self.rss0)


def _node_of_points(g, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:  # noqa: ANN001
    s = snap_points(g, lon, lat, max_snap_m=1.0)
    return np.where(s.t < 0.5, g.src[s.edge], g.dst[s.edge])


def run_method(method: str, t: dict, repeat: int) -> dict:
    cats = t["cats"]
    f_cat = t["f_cat"]
    out: dict = {"method": method}
    best = first = None
    dist = None
    for _ in range(repeat):
        if method in ("minsheng", "minsheng2"):
            workers = 2 if method == "minsheng2" else 1
            with Meter() as m:
                g = graph_from_ways(t["ways"])
                a = compute_access(g, t["c_lon"], t["c_lat"], t["f_lon"], t["f_lat"], f_cat,
                                   categories=cats, cutoff_m=CUTOFF, workers=workers)
            dist = a.distance_m
            out.update(nodes=g.n_nodes, edges=g.n_edges,
                       snapped=int(a.compound_attached.sum() + a.facility_attached.sum()))
        elif method == "kernel":
            from scipy.sparse.csgraph import dijkstra

            g = graph_from_ways(t["ways"])
            csr = g.csr
            cn = _node_of_points(g, t["c_lon"], t["c_lat"])
            fn = _node_of_points(g, t["f_lon"], t["f_lat"])
            sources = [np.unique(fn[f_cat == c]) for c in cats]
            with Meter() as m:
                d = [dijkstra(csr, directed=True, indices=s, min_only=True, limit=CUTOFF)
                     for s in sources]
            with Meter() as m2:
                for s in sources:
                    dijkstra(csr, directed=True, indices=s, min_only=True, limit=CUTOFF,
                             return_predecessors=True)
            out["with_sources_s"] = min(out.get("with_sources_s", np.inf), m2.seconds)
            dist = np.column_stack([x[cn] for x in d])
        elif method == "networkx":
            import networkx as nx

            g = graph_from_ways(t["ways"])
            cn = _node_of_points(g, t["c_lon"], t["c_lat"])
            fn = _node_of_points(g, t["f_lon"], t["f_lat"])
            edges = list(zip(g.src.tolist(), g.dst.tolist(), g.length_m.tolist(), strict=True))
            with Meter() as m:
                G = nx.Graph()
                G.add_weighted_edges_from(edges)
                tq = time.perf_counter()
                res = [nx.multi_source_dijkstra_path_length(G, set(fn[f_cat == c].tolist()),
                                                            cutoff=CUTOFF) for c in cats]
                out["query_s"] = time.perf_counter() - tq
            dist = np.array([[r.get(int(n), np.inf) for r in res] for n in cn])
        elif method == "pandana":
            import pandana
            import pandas as pd

            g = graph_from_ways(t["ways"])
            x, y = g.xy
            nodes = pd.DataFrame({"x": x, "y": y})
            edges = pd.DataFrame({"from": g.src, "to": g.dst, "w": g.length_m})
            c_xy = g.projection.forward(t["c_lon"], t["c_lat"])
            f_xy = g.projection.forward(t["f_lon"], t["f_lat"])
            with Meter() as m:
                net = pandana.Network(nodes["x"], nodes["y"], edges["from"], edges["to"],
                                      edges[["w"]], twoway=True)
                net.precompute(CUTOFF)
                cn = net.get_node_ids(pd.Series(c_xy[0]), pd.Series(c_xy[1])).to_numpy()
                cols = []
                for c in cats:
                    sel = f_cat == c
                    net.set_pois(c, CUTOFF, 1, pd.Series(f_xy[0][sel]), pd.Series(f_xy[1][sel]))
                    r = net.nearest_pois(CUTOFF, c, num_pois=1)
                    cols.append(r[1].to_numpy()[cn])
            d = np.column_stack(cols).astype(np.float64)
            d[d >= CUTOFF] = np.inf  # pandana fills "none within" with the distance itself
            dist = d
        else:
            raise SystemExit(f"unknown method {method}")
        if first is None:
            first = m  # memory: the first run in this fresh process (later runs reuse freed pages)
        if best is None or m.seconds < best.seconds:
            best = m
    out.update(seconds=best.seconds, peak_mb=first.peak_mb, exact_peak=first.exact)
    return out, dist


def worker(args: argparse.Namespace) -> None:
    pkg = BASELINE_PACKAGES.get(args.worker)
    if pkg:
        try:
            __import__(pkg)
        except ImportError as e:
            print(json.dumps({"method": args.worker, "missing": f"{pkg} not installed ({e})"}))
            return
    data = dict(np.load(args.data))
    nx_, ny_ = (int(v) for v in args.tiles.split("x"))
    t = tile(data, nx_, ny_, args.categories)
    out, dist = run_method(args.worker, t, args.repeat)
    np.save(args.out, dist)
    out.update(tiles=args.tiles, categories=len(t["cats"]), compounds=len(t["c_lon"]),
               facilities=len(t["f_lon"]))
    print(json.dumps(out))


# --- driver ---------------------------------------------------------------------------------

def _diff(a: np.ndarray, b: np.ndarray) -> tuple[float, int]:
    """Max |a - b| where both are finite, and the count of finite/inf disagreements."""
    fa, fb = np.isfinite(a), np.isfinite(b)
    both = fa & fb
    mx = float(np.abs(a[both] - b[both]).max()) if both.any() else 0.0
    return mx, int((fa != fb).sum())


def run_size(tiles: str, methods: list[str], data_path: Path, tmp: Path, n_cats: int,
             repeat: int) -> dict[str, dict]:
    results: dict[str, dict] = {}
    for method in methods:
        out_path = tmp / f"{method}-{tiles}.npy"
        cmd = [sys.executable, __file__, "--worker", method, "--tiles", tiles, "--data",
               str(data_path), "--out", str(out_path), "--categories", str(n_cats),
               "--repeat", str(repeat)]
        p = subprocess.run(cmd, capture_output=True, text=True, check=False)
        line = [x for x in p.stdout.splitlines() if x.startswith("{")]
        if p.returncode or not line:
            results[method] = {"error": (p.stderr or p.stdout).strip().splitlines()[-1:]}
            continue
        r = json.loads(line[-1])
        if "missing" not in r:
            r["dist"] = np.load(out_path)
        results[method] = r
    return results


def _fmt_table(size_results: list[tuple[str, dict[str, dict]]]) -> str:
    lines = ["| tiles | nodes | method | time s | peak RSS +MB | max Δ vs networkx m | "
             "max Δ vs pandana m | vs kernel |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for tiles, res in size_results:
        ref_nx = res.get("networkx", {}).get("dist")
        ref_pd = res.get("pandana", {}).get("dist")
        kern = res.get("kernel", {}).get("seconds")
        nodes = next((r.get("nodes") for r in res.values() if r.get("nodes")), "")
        for method, r in res.items():
            if "missing" in r or "error" in r:
                lines.append(f"| {tiles} | {nodes} | {method} | {r.get('missing') or r.get('error')}"
                             " | | | | |")
                continue
            d = r["dist"]
            dn = "" if ref_nx is None else "{:.2g} ({})".format(*_diff(d, ref_nx))
            dp = "" if ref_pd is None else "{:.3f} ({})".format(*_diff(d, ref_pd))
            ratio = "" if not kern else f"{r['seconds'] / kern:.2f}×"
            lines.append(f"| {tiles} | {nodes} | {method} | {r['seconds']:.3f} | "
                         f"{r['peak_mb']:.0f} | {dn} | {dp} | {ratio} |")
            if method == "kernel":
                lines.append(f"| {tiles} | {nodes} | kernel+src | {r['with_sources_s']:.3f} | "
                             f" | | | {r['with_sources_s'] / kern:.2f}× |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tiles", default="1x1,2x5,3x6,5x8")
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--categories", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3, help="runs per method; the fastest counts")
    ap.add_argument("--scale", action="store_true",
                    help="also the 10×12-tile (~1M nodes), 20-category run (engine and kernel)")
    ap.add_argument("--osm", type=Path, default=OSM)
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--data", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args)
        return
    if not args.osm.exists():
        print(f"skipped: the 成都 extract is not at {args.osm} (../shared/ is absent)")
        return
    print(f"# lifecircle_bench  {time.strftime('%Y-%m-%d')}  {platform.processor() or platform.machine()}"
          f", {os.cpu_count()} cores, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory(prefix="minsheng-bench-") as d:
        tmp = Path(d)
        data_path = tmp / "data.npz"
        info = prepare(args.osm, data_path)
        print(f"parsed {args.osm.name} in {info['parse_s']:.2f} s: {info['nodes']} nodes, "
              f"{info['edges']} edges; {info['compounds']} compounds, {info['pois']} POIs")
        for method, pkg in BASELINE_PACKAGES.items():
            try:
                __import__(pkg)
            except ImportError:
                print(f"note: baseline {method} skipped: `{pkg}` is not installed "
                      f"(pip install {pkg})")
        sizes = []
        for tiles in args.tiles.split(","):
            res = run_size(tiles, args.methods.split(","), data_path, tmp, args.categories,
                           args.repeat)
            sizes.append((tiles, res))
            print(_fmt_table([(tiles, res)]).split("\n", 2)[2], flush=True)
        print()
        print(_fmt_table(sizes))
        if args.scale:
            print("\n# scale: 10×12 tiles, 20 categories")
            res = run_size("10x12", ["kernel", "minsheng", "minsheng2"], data_path, tmp, 20, 1)
            print(_fmt_table([("10x12", res)]))
            phases(tile(dict(np.load(data_path)), 10, 12, 20))


def phases(t: dict) -> None:
    """The engine's phases on one network: build, snap+insert, queries (one process)."""
    t0 = time.perf_counter()
    g = graph_from_ways(t["ways"])
    t1 = time.perf_counter()
    lon = np.concatenate([t["c_lon"], t["f_lon"]])
    lat = np.concatenate([t["c_lat"], t["f_lat"]])
    s = snap_points(g, lon, lat)
    net, nodes = insert_points(g, s)
    csr = net.csr
    t2 = time.perf_counter()
    nc = len(t["c_lon"])
    for c in t["cats"]:
        nearest_facility(csr, nodes[nc:][t["f_cat"] == c], nodes[:nc], CUTOFF)
    t3 = time.perf_counter()
    print(f"phases: {g.n_nodes} nodes, {len(t['cats'])} categories: build {t1 - t0:.2f} s, "
          f"snap+insert {t2 - t1:.2f} s, queries {t3 - t2:.2f} s (one process), "
          f"total {t3 - t0:.2f} s")


if __name__ == "__main__":
    main()
