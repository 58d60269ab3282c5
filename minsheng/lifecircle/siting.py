"""The siting analysis, the Django side: where k new service points of a category would cover the
most population not yet within walking distance (maximal covering location problem, solved by the
engine), on the district's current run.

Demand: the compounds of the user's scope in the chosen region that the current run does not
cover for the category (no facility within `category.distance_m` along the network), weighted by
population. Candidates: facilities of other categories (co-location), compound centroids and
vacant sites marked on the map. Demand and candidates are snapped with one engine call so they
share the graph's node numbering; the coverage matrix and the solve are the engine's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from minsheng.lifecircle import access, engine, services
from minsheng.lifecircle.models import Proposal, Run
from minsheng.places.models import FacilityCategory, Region

SOLVE_TIME_LIMIT_S = 20.0  # HiGHS stops here and the greedy fallback is compared (auto)

KINDS = {"facility": gettext_lazy("现有设施（合建）"), "compound": gettext_lazy("小区中心点"),
         "vacant": gettext_lazy("地图标注的空地")}
METHODS = {"milp": gettext_lazy("精确求解（HiGHS 混合整数规划）"),
           "greedy": gettext_lazy("贪心算法")}


class SitingError(Exception):
    """An input the analysis cannot answer; the message is shown on the page (Chinese source)."""


@dataclass
class Analysis:
    category: FacilityCategory
    region: Region
    district: Region
    run: Run
    k: int
    compounds: list[dict]  # every compound in scope and region: id, name, lng, lat, pop, region
    covered_before: np.ndarray  # bool per compound
    candidates: list[dict]  # kind, ref, name, lng, lat, region
    result: engine.SitingResult
    sites: list[dict]  # chosen candidates with covers / compounds (nearest new site)
    newly: np.ndarray  # bool per compound: newly covered
    far_candidates: int
    far_demand: int
    catchment: dict | None = None
    kinds: dict = field(default_factory=dict)

    @property
    def population(self) -> int:
        return int(sum(c["pop"] for c in self.compounds))

    def _pop(self, flags) -> int:
        return int(sum(c["pop"] for c, f in zip(self.compounds, flags, strict=True) if f))

    @property
    def before(self) -> dict:
        return self._figures(self.covered_before)

    @property
    def after(self) -> dict:
        return self._figures(self.covered_before | self.newly)

    def _figures(self, flags) -> dict:
        pop, total = self._pop(flags), self.population
        n = int(np.sum(flags))
        return {"population": pop, "compounds": n, "of": len(self.compounds),
                "population_rate": 100 * pop / total if total else 0.0,
                "compound_rate": 100 * n / len(self.compounds) if self.compounds else 0.0}

    @property
    def added(self) -> int:
        return self.after["population"] - self.before["population"]

    @property
    def added_compounds(self) -> int:
        return int(self.newly.sum())

    @property
    def demand(self) -> dict:
        gap = ~self.covered_before
        return {"compounds": int(gap.sum()), "population": self._pop(gap)}

    @property
    def method_label(self) -> str:
        return str(METHODS.get(self.result.method, self.result.method))

    @property
    def gap_percent(self) -> float:
        return 100 * self.result.gap


def candidates(user, region: Region, category: FacilityCategory, kinds: list[str],
                vacant: list[list[float]], compounds: list[dict]) -> list[dict]:
    """The candidate sites of the chosen kinds: facilities of other categories in the user's scope
    (co-location), the compounds themselves, and vacant sites marked on the map."""
    out: list[dict] = []
    if "facility" in kinds:
        for f in (access.facilities_for(user, region).exclude(category=category)
                  .order_by("pk")):
            out.append({"kind": "facility", "ref": f.pk, "lng": f.lng, "lat": f.lat,
                        "region": f.region_id,
                        "name": _("%(name)s（%(cat)s）") % {"name": f.name,
                                                          "cat": f.category.name}})
    if "compound" in kinds:
        for c in compounds:
            out.append({"kind": "compound", "ref": c["id"], "lng": c["lng"], "lat": c["lat"],
                        "region": c["region"], "name": c["name"]})
    if "vacant" in kinds:
        for i, (lng, lat) in enumerate(vacant, 1):
            out.append({"kind": "vacant", "ref": None, "lng": lng, "lat": lat, "region": None,
                        "name": _("空地 %(i)s") % {"i": i}})
    return out


def analyse(user, region: Region, district: Region, category: FacilityCategory, k: int,
            kinds: list[str], vacant: list[list[float]], method: str = "auto") -> Analysis:
    """Run the siting analysis; raises SitingError with a message for the page."""
    run = services.current_run(district)
    if run is None:
        raise SitingError(_("还没有生活圈计算结果：请先在生活圈页面计算（重新计算）。"))
    if run.network is None:
        raise SitingError(_("该区/县还没有路网：请先导入 OpenStreetMap 路网，再重新计算生活圈。"))
    qs = access.compounds_for(user, region)
    cov = services.coverage(run, qs)
    if not cov.compound_ids:
        raise SitingError(_("当前区划内没有小区，无法选址。"))
    j = [c.code for c in cov.categories].index(category.code)
    covered_before = cov.covered[:, j].copy()
    info = {r[0]: r for r in qs.values_list("pk", "name", "lng", "lat", "population",
                                            "region_id")}
    compounds = [{"id": cid, "name": info[cid][1], "lng": info[cid][2], "lat": info[cid][3],
                  "pop": int(info[cid][4]), "region": info[cid][5]} for cid in cov.compound_ids]
    demand_idx = np.flatnonzero(~covered_before)
    if len(demand_idx) == 0:
        raise SitingError(_("该类别已全覆盖，无需新增。"))
    if not kinds:
        raise SitingError(_("没有候选地点：请至少勾选一类候选地点。"))
    cands = candidates(user, region, category, kinds, vacant, compounds)
    if not cands:
        raise SitingError(_("没有候选地点：所选类别中没有任何地点（选“空地”时请先在地图上点击标注）。"))
    if k > len(cands):
        raise SitingError(_("新增网点数 k=%(k)s 大于候选地点数 %(n)s：请减少新增网点数或增加候选地点。")
                          % {"k": k, "n": len(cands)})
    try:
        graph = services.graph_for(run.network)
        demand = [compounds[i] for i in demand_idx]
        pts = demand + cands
        snapped = engine.snap_points(graph, [p["lng"] for p in pts], [p["lat"] for p in pts],
                                     max_snap_m=services.MAX_SNAP_M)
        g2, nodes = engine.insert_points(graph, snapped)
        d_nodes, c_nodes = nodes[: len(demand)], nodes[len(demand):]
        cover = engine.coverage_matrix(g2, d_nodes, c_nodes, float(category.distance_m))
        weights = np.array([c["pop"] for c in demand], dtype=float)
        res = engine.mclp(cover, weights, k, method=method, time_limit_s=SOLVE_TIME_LIMIT_S)
    except engine.EngineError as e:
        raise SitingError(str(e)) from None
    newly = np.zeros(len(compounds), dtype=bool)
    newly[demand_idx[res.covered]] = True
    sites = assign(g2, res, cands, c_nodes, d_nodes, demand, float(category.distance_m))
    poly = None
    chosen_nodes = c_nodes[res.sites]
    chosen_nodes = chosen_nodes[chosen_nodes >= 0]
    if len(chosen_nodes):
        poly = shapely.geometry.mapping(engine.isochrone(g2, chosen_nodes,
                                                         float(category.distance_m)))
    return Analysis(category=category, region=region, district=district, run=run, k=k,
                    compounds=compounds, covered_before=covered_before, candidates=cands,
                    result=res, sites=sites, newly=newly,
                    far_candidates=int((c_nodes < 0).sum()), far_demand=int((d_nodes < 0).sum()),
                    catchment=poly,
                    kinds={kd: sum(1 for c in cands if c["kind"] == kd) for kd in KINDS})


def assign(g2, res, cands, c_nodes, d_nodes, demand, radius: float) -> list[dict]:
    """The chosen sites, each with the newly covered population whose nearest new site it is
    (so the per-site figures add up to the total)."""
    chosen = [int(j) for j in res.sites]
    best = np.full(len(demand), np.inf)
    owner = np.full(len(demand), -1)
    for s, j in enumerate(chosen):
        node = int(c_nodes[j])
        if node < 0:
            continue
        reached, dist = engine.catchment(g2, node, radius)
        d_of = dict(zip(reached.tolist(), dist.tolist(), strict=True))
        for i, dn in enumerate(d_nodes.tolist()):
            d = d_of.get(dn)
            if d is not None and d <= radius and d < best[i]:
                best[i], owner[i] = d, s
    sites = []
    for s, j in enumerate(chosen):
        c = cands[j]
        mine = owner == s
        sites.append({"name": c["name"], "kind": c["kind"], "ref": c["ref"],
                      "lng": round(float(c["lng"]), 7), "lat": round(float(c["lat"]), 7),
                      "covers": int(sum(demand[i]["pop"] for i in np.flatnonzero(mine))),
                      "compounds": int(mine.sum()), "on_network": bool(c_nodes[j] >= 0),
                      "region": c["region"],
                      "compound_ids": [demand[i]["id"] for i in np.flatnonzero(mine)]})
    return sites


def default_category(cov) -> FacilityCategory | None:
    """The required category leaving the most population uncovered."""
    if cov is None or not len(cov.compound_ids):
        return None
    cv = cov.covered
    best, best_pop = None, -1.0
    for j, c in enumerate(cov.categories):
        pop = float(cov.population[~cv[:, j]].sum())
        if c.required and pop > best_pop:
            best, best_pop = c, pop
    return best


def map_data(user, region: Region, run: Run | None, category: FacilityCategory | None,
              analysis: Analysis | None = None, cov=None) -> dict:
    """What siting.js draws: compounds with the categories they lack, facilities, the result."""
    compounds = access.compounds_for(user, region)
    data: dict = {"compounds": [], "ids": [], "uncovered": {}, "facilities": [], "result": None,
                  "category": category.code if category else None}
    if run is not None:
        cov = cov or services.coverage(run, compounds)
        data["ids"] = list(cov.compound_ids)
        info = {r[0]: r[1:] for r in compounds.values_list("pk", "lng", "lat", "name",
                                                            "population")}
        data["compounds"] = [list(info[cid]) for cid in cov.compound_ids]
        cv = cov.covered
        for j, c in enumerate(cov.categories):
            data["uncovered"][c.code] = np.flatnonzero(~cv[:, j]).tolist()
    data["facilities"] = [[f.lng, f.lat, f.name, f.category_id] for f in
                          access.facilities_for(user, region).order_by("pk")]
    if analysis is not None:
        data["result"] = {"category": analysis.category.code,
                          "new": np.flatnonzero(analysis.newly).tolist(),
                          "sites": [{k: s[k] for k in ("name", "lng", "lat", "covers")}
                                    for s in analysis.sites],
                          "catchment": analysis.catchment}
    return data


def proposal_map_data(user, p: Proposal, run: Run | None) -> dict:
    """What siting.js draws for a saved proposal: its region's compounds and facilities, the
    compounds it newly covers and the walking catchment of its sites on the current network."""
    data = map_data(user, p.region, run, p.category)
    pos = {cid: i for i, cid in enumerate(data["ids"])}
    new = sorted(pos[c] for s in p.sites for c in s.get("compound_ids", []) if c in pos)
    data["result"] = {"category": p.category.code, "new": new,
                      "sites": [{k: s.get(k) for k in ("name", "lng", "lat", "covers")}
                                for s in p.sites], "catchment": None}
    if run is not None and run.network is not None and p.sites:
        try:
            graph = services.graph_for(run.network)
            snapped = engine.snap_points(graph, [s["lng"] for s in p.sites],
                                         [s["lat"] for s in p.sites],
                                         max_snap_m=services.MAX_SNAP_M)
            g2, nodes = engine.insert_points(graph, snapped)
            nodes = nodes[nodes >= 0]
            if len(nodes):
                data["result"]["catchment"] = shapely.geometry.mapping(
                    engine.isochrone(g2, nodes, float(p.category.distance_m)))
        except engine.EngineError:
            pass
    return data


def note_for(analysis: Analysis, d: dict) -> str:
    """How a proposal was found (candidates, method, optimality, time, budget), for its note."""
    kinds = "、".join(str(KINDS[kd]) for kd in d["candidates"])
    text = _("候选：%(kinds)s（%(n)s 处）；%(method)s，%(opt)s，用时 %(s).2f 秒") % {
        "kinds": kinds, "n": len(analysis.candidates), "method": analysis.method_label,
        "opt": _("最优") if analysis.result.optimal else _("与最优差距不超过 %(g).1f%%") % {
            "g": analysis.gap_percent}, "s": analysis.result.seconds}
    if d.get("k_from_budget"):
        text += _("；按预算 %(b)s 万元、单点造价 %(u)s 万元测算") % {"b": d["budget"],
                                                              "u": d["unit_cost"]}
    return text[:300]
