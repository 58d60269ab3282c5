"""The Django side of the life circle: runs the engine on a district's network, stores results,
updates one category when a facility opens or closes, and aggregates coverage for the pages.

Every figure here comes from the engine (minsheng/lifecircle/engine); nothing is typed in.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.db import transaction
from django.utils import timezone

from minsheng.lifecircle import engine
from minsheng.lifecircle.models import Result, Run
from minsheng.places.actions import do_save_street_network
from minsheng.places.models import (
    Compound,
    Facility,
    FacilityCategory,
    Region,
    StreetNetwork,
    code_prefix,
)
from minsheng.places.osm import build_sample

MAX_SNAP_M = 300.0
GRAPH_CACHE_SIZE = 4  # graphs kept per process (a real district's is a few MB)
log = logging.getLogger("minsheng.lifecircle")


def network_for(district: Region) -> StreetNetwork | None:
    """A real (OSM) network when the district has one, else the generated demo lattice."""
    nets = StreetNetwork.objects.filter(region=district)
    return nets.filter(generated=False).order_by("-created").first() or nets.order_by(
        "-created").first()


def current_run(district: Region) -> Run | None:
    return Run.objects.filter(region=district, state=Run.State.DONE).order_by("-created_at").first()


def lines_of(network: StreetNetwork) -> list:
    """The network's polylines of [lng, lat] positions, for drawing (the poster's streets); to
    walk them, use graph_for."""
    g = network.geometry
    if g["type"] == "LineString":
        return [g["coordinates"]]
    if g["type"] == "MultiLineString":
        return g["coordinates"]
    raise engine.EngineError("路网几何类型应为 LineString 或 MultiLineString")


_graphs: OrderedDict[tuple[int, str], engine.Graph] = OrderedDict()
_graphs_lock = threading.Lock()


def graph_for(network: StreetNetwork) -> engine.Graph:
    """The engine's walking graph of a stored network: the only way from a StreetNetwork to a
    graph. Built once per process and kept for the last few networks, keyed by the network's id
    and its stamp (`created`, renewed on every save by places.actions.do_save_street_network), so
    a network saved again is built again rather than served stale. Callers must not change the
    graph (the engine's functions return new graphs)."""
    key = (network.pk, network.created.isoformat() if network.created else "")
    with _graphs_lock:
        graph = _graphs.get(key)
        if graph is not None:
            _graphs.move_to_end(key)
            return graph
    graph = engine.graph_from_lines(lines_of(network))
    with _graphs_lock:
        _graphs[key] = graph
        while len(_graphs) > GRAPH_CACHE_SIZE:
            _graphs.popitem(last=False)
    return graph


def facility_catchment(network: StreetNetwork, facility: Facility):
    """A facility's walking catchment (a shapely polygon) at its category's distance along the
    network, and how far the facility is from the network; None for the polygon when that is
    beyond MAX_SNAP_M."""
    graph = graph_for(network)
    snapped = engine.snap_points(graph, [facility.lng], [facility.lat], max_snap_m=MAX_SNAP_M)
    g2, nodes = engine.insert_points(graph, snapped)
    snap_m = float(snapped.snap_m[0])
    if nodes[0] < 0:
        return None, snap_m
    return engine.isochrone(g2, int(nodes[0]), float(facility.category.distance_m)), snap_m


def _largest_cutoff() -> float:
    return float(max(FacilityCategory.objects.values_list("distance_m", flat=True), default=1000))


def _step(run: Run, progress: int, message: str) -> None:
    Run.objects.filter(pk=run.pk).update(progress=progress, message=message,
                                         state=Run.State.RUNNING)


def compute(run_id: int) -> None:
    """Task: build the graph, snap, run every category, store the results."""
    run = Run.objects.select_related("region", "network").get(pk=run_id)
    t0 = time.monotonic()
    try:
        _compute(run, t0)
    except Exception as e:  # the run records why it failed for the page; the log has the trace
        log.exception("life-circle run %s failed", run.pk)
        Run.objects.filter(pk=run.pk).update(state=Run.State.FAILED, message=str(e)[:300],
                                             finished_at=timezone.now())


def _compute(run: Run, t0: float) -> None:
    if run.network is None:
        raise engine.EngineError("该区/县还没有路网：请先导入 OpenStreetMap 路网")
    _step(run, 5, "构建步行路网")
    graph = graph_for(run.network)
    prefix = code_prefix(run.region.code)
    compounds = list(Compound.objects.filter(region__code__startswith=prefix).order_by("pk")
                     .values_list("pk", "lng", "lat"))
    facilities = list(Facility.objects.filter(region__code__startswith=prefix).order_by("pk")
                      .values_list("pk", "lng", "lat", "category_id"))
    categories = list(FacilityCategory.objects.values_list("code", flat=True))
    if not compounds:
        raise engine.EngineError("该区/县没有登记小区，无法计算生活圈")
    _step(run, 30, f"吸附 {len(compounds)} 个小区和 {len(facilities)} 个设施到路网，逐类计算步行距离")
    access = engine.compute_access(
        graph, [c[1] for c in compounds], [c[2] for c in compounds],
        [f[1] for f in facilities], [f[2] for f in facilities], [f[3] for f in facilities],
        categories=categories, cutoff_m=_largest_cutoff(), max_snap_m=MAX_SNAP_M)
    _step(run, 80, "保存结果")
    fac_ids = np.array([f[0] for f in facilities] or [0], dtype=np.int64)
    rows = []
    for i, (cid, _lng, _lat) in enumerate(compounds):
        for j, cat in enumerate(access.categories):
            d = float(access.distance_m[i, j])
            fi = int(access.facility[i, j])
            ok = np.isfinite(d)
            rows.append(Result(run=run, compound_id=cid, category_id=cat,
                               distance_m=round(d, 2) if ok else None,
                               facility_id=int(fac_ids[fi]) if ok and fi >= 0 else None,
                               snap_m=round(float(access.compound_snap_m[i]), 2)))
    far_ci = [int(i) for i in np.flatnonzero(~access.compound_attached)]
    far_fi = [int(i) for i in np.flatnonzero(~access.facility_attached)]
    c_names = dict(Compound.objects.filter(pk__in=[compounds[i][0] for i in far_ci])
                   .values_list("pk", "name"))
    f_names = dict(Facility.objects.filter(pk__in=[facilities[i][0] for i in far_fi])
                   .values_list("pk", "name"))
    far_c = [{"id": compounds[i][0], "name": c_names.get(compounds[i][0], ""),
              "snap_m": round(float(access.compound_snap_m[i]), 1)} for i in far_ci]
    far_f = [{"id": facilities[i][0], "name": f_names.get(facilities[i][0], ""),
              "snap_m": round(float(access.facility_snap_m[i]), 1)} for i in far_fi]
    comp = graph.components
    with transaction.atomic():
        Result.objects.bulk_create(rows, batch_size=2000)
        Run.objects.filter(pk=run.pk).update(
            state=Run.State.DONE, progress=100, message="完成", finished_at=timezone.now(),
            stats={
                "nodes": int(graph.n_nodes), "edges": int(len(graph.src)),
                "km": round(float(graph.total_length_km()), 1),
                "components": comp.summary(), "compounds": len(compounds),
                # the same line's numbers, for the page to say in the reader's language
                "component_counts": {"kept_nodes": int(comp.kept_nodes),
                                     "kept_edges": int(comp.kept_edges),
                                     "dropped_components": int(comp.dropped_components),
                                     "dropped_nodes": int(comp.dropped_nodes)},
                "facilities": len(facilities), "far_compounds": far_c, "far_facilities": far_f,
                "empty_categories": access.empty_categories(),
                "seconds": round(time.monotonic() - t0, 2),
                "network": run.network.name, "generated": run.network.generated,
            })
        # Older results of this district are superseded.
        Result.objects.filter(run__region=run.region).exclude(run=run).delete()


def update_category(district_code: str, category: str) -> bool:
    """Task: a facility of `category` opened, moved or closed: recompute that one column of the
    current run (one bounded pass) instead of everything."""
    district = Region.objects.get(code=district_code)
    run = current_run(district)
    if run is None or run.network is None:
        return False
    graph = graph_for(run.network)
    prefix = code_prefix(district.code)
    compounds = list(Compound.objects.filter(region__code__startswith=prefix).order_by("pk")
                     .values_list("pk", "lng", "lat"))
    facilities = list(Facility.objects.filter(region__code__startswith=prefix,
                                              category_id=category).order_by("pk")
                      .values_list("pk", "lng", "lat"))
    access = engine.compute_access(
        graph, [c[1] for c in compounds], [c[2] for c in compounds],
        [f[1] for f in facilities], [f[2] for f in facilities], [category] * len(facilities),
        categories=[category], cutoff_m=_largest_cutoff(), max_snap_m=MAX_SNAP_M)
    with transaction.atomic():
        Result.objects.filter(run=run, category_id=category).delete()
        Result.objects.bulk_create([
            Result(run=run, compound_id=cid, category_id=category,
                   distance_m=round(float(access.distance_m[i, 0]), 2)
                   if np.isfinite(access.distance_m[i, 0]) else None,
                   facility_id=facilities[int(access.facility[i, 0])][0]
                   if np.isfinite(access.distance_m[i, 0]) else None,
                   snap_m=round(float(access.compound_snap_m[i]), 2))
            for i, (cid, _x, _y) in enumerate(compounds)])
    return True


@dataclass
class Coverage:
    """Coverage of a set of compounds: per category and per level, by compounds and population."""

    categories: list[FacilityCategory]
    compound_ids: list[int]
    population: np.ndarray
    distance: np.ndarray  # (compounds, categories), inf where none
    threshold: np.ndarray  # per category

    @property
    def covered(self) -> np.ndarray:
        return engine.covered(self.distance, self.threshold)

    @property
    def required(self) -> np.ndarray:
        return np.array([c.required for c in self.categories], dtype=bool)

    def by_category(self) -> list[dict]:
        cov = self.covered
        pop = self.population
        total_pop = pop.sum() or 1
        out = []
        for j, c in enumerate(self.categories):
            out.append({"category": c, "compounds": int(cov[:, j].sum()),
                        "compound_rate": 100 * cov[:, j].mean() if len(cov) else 0.0,
                        "population_rate": 100 * pop[cov[:, j]].sum() / total_pop})
        return out

    def level_flags(self, level: int) -> np.ndarray:
        """Compounds covered at this level (the engine's rule, engine.level_covered)."""
        return engine.level_covered(self.covered, [c.level for c in self.categories],
                                    self.required, level)

    def levels(self) -> list[dict]:
        pop = self.population
        total_pop = pop.sum() or 1
        out = []
        for level in (5, 10, 15):
            f = self.level_flags(level)
            out.append({"level": level, "compounds": int(f.sum()), "of": len(f),
                        "compound_rate": 100 * f.mean() if len(f) else 0.0,
                        "population_rate": 100 * pop[f].sum() / total_pop})
        return out

    def share_required(self) -> np.ndarray:
        """Per compound: the share of required categories within their distance (for colours)."""
        req = np.array([c.required for c in self.categories])
        return self.covered[:, req].mean(axis=1) if req.any() else np.ones(len(self.compound_ids))

    def gaps(self) -> list[tuple[int, int, list[FacilityCategory]]]:
        """Compounds missing required categories, largest population first."""
        cov = self.covered
        out = []
        for i, cid in enumerate(self.compound_ids):
            missing = [c for j, c in enumerate(self.categories) if c.required and not cov[i, j]]
            if missing:
                out.append((cid, int(self.population[i]), missing))
        return sorted(out, key=lambda x: (-x[1], -len(x[2])))


def coverage(run: Run, compounds) -> Coverage:
    """Coverage of the given compounds (a scoped queryset) from a run's stored results."""
    cats = list(FacilityCategory.objects.order_by("order", "code"))
    idx = {c.code: j for j, c in enumerate(cats)}
    comp = list(compounds.order_by("pk").values_list("pk", "population"))
    pos = {cid: i for i, (cid, _p) in enumerate(comp)}
    dist = np.full((len(comp), len(cats)), np.inf)
    for cid, cat, d in Result.objects.filter(run=run, compound_id__in=pos).values_list(
            "compound_id", "category_id", "distance_m"):
        if d is not None and cat in idx:
            dist[pos[cid], idx[cat]] = d
    return Coverage(cats, [c for c, _ in comp], np.array([p for _, p in comp], dtype=float),
                    dist, np.array([c.distance_m for c in cats], dtype=float))


def ensure_computed(district: Region) -> Run | None:
    """Compute now (in this process) when the district has a network but no result yet: the demo
    uses this so its pages have figures at once; later runs go through the worker queue."""
    run = current_run(district)
    if run is not None or network_for(district) is None:
        return run
    run = Run.objects.create(region=district, network=network_for(district),
                             message="初次计算")
    compute(run.pk)
    return current_run(district)


def import_and_compute(run_id: int, path: str, with_places: bool) -> None:
    """Task (queued by actions.do_start_import): import the network, then recompute."""
    run = Run.objects.select_related("region", "created_by").get(pk=run_id)
    t0 = time.monotonic()
    try:
        _step(run, 2, "读取 OpenStreetMap 文件")
        if with_places:
            build_sample(Path(path), district_code=run.region.code,
                         progress=lambda m: _step(run, 10, m[:300]), user=run.created_by)
        else:
            ways = engine.read_walk_ways(path)
            if ways.ways == 0:
                raise engine.EngineError("文件中没有可步行的道路")
            lines = [[[round(float(ways.lon[i]), 6), round(float(ways.lat[i]), 6)]
                      for i in ways.refs[ways.offsets[k]:ways.offsets[k + 1]]]
                     for k in range(ways.ways)]
            do_save_street_network(
                run.region, lines, name=f"{run.region.name}步行道路网（OpenStreetMap）",
                source=f"OpenStreetMap（© OpenStreetMap contributors，ODbL）：{Path(path).name}",
                user=run.created_by)
        Run.objects.filter(pk=run.pk).update(network=network_for(run.region))
        run.refresh_from_db()
        _compute(run, t0)
    except Exception as e:  # recorded on the run for the page; the log has the trace
        log.exception("life-circle import %s failed", run.pk)
        Run.objects.filter(pk=run.pk).update(state=Run.State.FAILED, message=str(e)[:300],
                                             finished_at=timezone.now())
