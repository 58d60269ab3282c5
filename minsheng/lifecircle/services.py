"""The Django side of the life circle: runs the engine on a district's network, stores results,
updates one category when a facility opens or closes, and aggregates coverage for the pages.

Every figure here comes from the engine (minsheng/lifecircle/engine); nothing is typed in.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
from django.db import transaction
from django.utils import timezone

from minsheng.lifecircle import engine
from minsheng.lifecircle.models import Result, Run
from minsheng.places.models import (
    Compound,
    Facility,
    FacilityCategory,
    Region,
    StreetNetwork,
    code_prefix,
)

MAX_SNAP_M = 300.0
log = logging.getLogger("minsheng.lifecircle")


def network_for(district: Region) -> StreetNetwork | None:
    """A real (OSM) network when the district has one, else the generated demo lattice."""
    nets = StreetNetwork.objects.filter(region=district)
    return nets.filter(generated=False).order_by("-created").first() or nets.order_by(
        "-created").first()


def current_run(district: Region) -> Run | None:
    return Run.objects.filter(region=district, state=Run.State.DONE).order_by("-created_at").first()


def _lines(net: StreetNetwork) -> list:
    g = net.geometry
    if g["type"] == "LineString":
        return [g["coordinates"]]
    if g["type"] == "MultiLineString":
        return g["coordinates"]
    raise engine.EngineError("路网几何类型应为 LineString 或 MultiLineString")


def _largest_cutoff() -> float:
    return float(max(FacilityCategory.objects.values_list("distance_m", flat=True), default=1000))


def start_run(district: Region, user=None) -> Run:
    """Queue a recomputation (the worker cluster runs it; tests run it inline)."""
    from django_q.tasks import async_task

    run = Run.objects.create(region=district, network=network_for(district), created_by=user,
                             message="排队等待计算")
    async_task("minsheng.lifecircle.services.compute", run.pk, task_name=f"lifecircle-{run.pk}")
    run.refresh_from_db()
    return run


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
    graph = engine.graph_from_lines(_lines(run.network))
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
    graph = engine.graph_from_lines(_lines(run.network))
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
        """Compounds that have every required category of this level within its distance."""
        req = np.array([c.required and c.level == level for c in self.categories])
        if not req.any():
            return np.ones(len(self.compound_ids), dtype=bool)
        return self.covered[:, req].all(axis=1)

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


def start_import(district: Region, path: str, *, with_places: bool, user=None) -> Run:
    """Queue: import an OSM extract's walking network (and, if asked, its compounds and
    facilities as a sample area) into the district, then recompute the life circle."""
    from django_q.tasks import async_task

    run = Run.objects.create(region=district, network=network_for(district), created_by=user,
                             message="排队等待导入路网")
    async_task("minsheng.lifecircle.services.import_and_compute", run.pk, path, with_places,
               task_name=f"lifecircle-import-{run.pk}")
    run.refresh_from_db()
    return run


def import_and_compute(run_id: int, path: str, with_places: bool) -> None:
    from pathlib import Path

    run = Run.objects.select_related("region").get(pk=run_id)
    t0 = time.monotonic()
    try:
        _step(run, 2, "读取 OpenStreetMap 文件")
        if with_places:
            from minsheng.places.osm import build_sample

            build_sample(Path(path), district_code=run.region.code,
                         progress=lambda m: _step(run, 10, m[:300]))
        else:
            ways = engine.read_walk_ways(path)
            if ways.ways == 0:
                raise engine.EngineError("文件中没有可步行的道路")
            lines = [[[round(float(ways.lon[i]), 6), round(float(ways.lat[i]), 6)]
                      for i in ways.refs[ways.offsets[k]:ways.offsets[k + 1]]]
                     for k in range(ways.ways)]
            StreetNetwork.objects.update_or_create(
                region=run.region, generated=False,
                defaults={"name": f"{run.region.name}步行道路网（OpenStreetMap）",
                          "source": f"OpenStreetMap（© OpenStreetMap contributors，ODbL）："
                                    f"{Path(path).name}"[:200],
                          "geometry": {"type": "MultiLineString", "coordinates": lines}})
        Run.objects.filter(pk=run.pk).update(network=network_for(run.region))
        run.refresh_from_db()
        _compute(run, t0)
    except Exception as e:  # recorded on the run for the page; the log has the trace
        log.exception("life-circle import %s failed", run.pk)
        Run.objects.filter(pk=run.pk).update(state=Run.State.FAILED, message=str(e)[:300],
                                             finished_at=timezone.now())
