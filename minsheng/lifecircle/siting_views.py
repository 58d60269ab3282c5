"""Siting pages: where k new service points of a category would cover the most population not yet
within walking distance (maximal covering location problem, solved by the engine), proposals
saved from them, and a proposal turned into a livelihood project.

Demand: the compounds of the user's scope in the chosen region that the current run does not
cover for the category (no facility within `category.distance_m` along the network), weighted by
population. Candidates: facilities of other categories (co-location), compound centroids and
vacant sites marked on the map. Demand and candidates are snapped with one engine call so they
share the graph's node numbering; the coverage matrix and the solve are the engine's.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import shapely
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from minsheng.accounts.roles import MANAGE_PROJECTS, Role
from minsheng.lifecircle import engine, services
from minsheng.lifecircle.models import Proposal, Run
from minsheng.lifecircle.views import _district
from minsheng.places import scope
from minsheng.places.models import (
    Compound,
    Facility,
    FacilityCategory,
    Organisation,
    Region,
    code_prefix,
)
from minsheng.web.regionswitch import current_region

MAX_K = 50
MAX_VACANT = 200
SOLVE_TIME_LIMIT_S = 20.0  # HiGHS stops here and the greedy fallback is compared (auto)

# Roles that plan services and may run the analysis; residents, grid workers, property managers
# and mediators have no planning role.
PLANNING_ROLES = frozenset({Role.DISTRICT_ADMIN, Role.DEPARTMENT_STAFF, Role.STREET_STAFF,
                            Role.COMMUNITY_STAFF, Role.VIEWER})

KINDS = {"facility": gettext_lazy("现有设施（合建）"), "compound": gettext_lazy("小区中心点"),
         "vacant": gettext_lazy("地图标注的空地")}
METHODS = {"milp": gettext_lazy("精确求解（HiGHS 混合整数规划）"),
           "greedy": gettext_lazy("贪心算法")}

# Facility-category group → project area (projects.models.Area).
AREA_OF_GROUP = {"养老": "elderly", "教育": "education", "医疗卫生": "health", "文化": "culture",
                 "体育": "culture", "绿地": "environment", "公共管理": "urban", "商业": "urban",
                 "便民商业": "urban"}
# Project area → words in the name of the department that usually leads it.
DEPARTMENT_HINT = {"elderly": ("民政",), "education": ("教育",), "health": ("卫生", "卫健"),
                   "culture": ("文化", "体育", "文旅"), "environment": ("园林", "城市管理", "住房"),
                   "urban": ("住房", "城乡建设", "商务")}


class SitingError(Exception):
    """An input the analysis cannot answer; the message is shown on the page (Chinese source)."""


def can_plan(user, code: str) -> bool:
    """May run the siting analysis / read proposals for region `code` (a planning role there)."""
    s = scope.scope_of(user)
    if s.everything:
        return True
    return any(g.role in PLANNING_ROLES and code.startswith(g.prefix) for g in s.grants)


def can_save(user, district: Region) -> bool:
    return scope.can_edit(user, district.code)


def _district_of(region: Region) -> Region:
    return Region.objects.get(code=region.code[:6].ljust(12, "0"))


# --- the form ---------------------------------------------------------------------------------

class CategoryField(forms.ModelChoiceField):
    def label_from_instance(self, obj: FacilityCategory) -> str:
        return _("%(name)s（%(m)s 米，%(lv)s 分钟圈）") % {"name": obj.name, "m": obj.distance_m,
                                                        "lv": obj.level}


class SitingForm(forms.Form):
    category = CategoryField(FacilityCategory.objects.order_by("order", "code"),
                             label=gettext_lazy("设施类别"), empty_label=None)
    k = forms.IntegerField(
        label=gettext_lazy("新增网点数"), min_value=1, max_value=MAX_K, required=False,
        error_messages={"min_value": gettext_lazy("新增网点数至少为 1。"),
                        "max_value": gettext_lazy("新增网点数最多为 %(limit_value)s。"),
                        "invalid": gettext_lazy("新增网点数应为整数。")})
    budget = forms.DecimalField(
        label=gettext_lazy("预算（万元）"), min_value=Decimal(0), max_digits=12, decimal_places=2,
        required=False, error_messages={"invalid": gettext_lazy("预算应为数字。"),
                                        "min_value": gettext_lazy("预算不能为负数。")})
    unit_cost = forms.DecimalField(
        label=gettext_lazy("单点造价（万元）"), min_value=Decimal("0.01"), max_digits=12,
        decimal_places=2, required=False,
        error_messages={"invalid": gettext_lazy("单点造价应为数字。"),
                        "min_value": gettext_lazy("单点造价应大于 0。")})
    candidates = forms.MultipleChoiceField(
        label=gettext_lazy("候选地点"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=[("facility", gettext_lazy("其他类别的现有设施（合建）")),
                 ("compound", gettext_lazy("小区中心点")),
                 ("vacant", gettext_lazy("地图上标注的空地"))])
    vacant = forms.CharField(required=False, widget=forms.HiddenInput)
    method = forms.ChoiceField(
        label=gettext_lazy("求解方法"), initial="auto",
        choices=[("auto", gettext_lazy("自动（精确求解，超时改用贪心）")),
                 ("milp", gettext_lazy("精确求解（HiGHS）")), ("greedy", gettext_lazy("贪心算法"))])

    def clean_vacant(self) -> list[list[float]]:
        raw = (self.cleaned_data.get("vacant") or "").strip()
        if not raw:
            return []
        try:
            pts = json.loads(raw)
        except ValueError:
            raise forms.ValidationError(_("空地坐标格式有误，应为 [[经度, 纬度], …]。")) from None
        if not isinstance(pts, list) or len(pts) > MAX_VACANT:
            raise forms.ValidationError(
                _("空地坐标应为 [[经度, 纬度], …]，最多 %(n)s 处。") % {"n": MAX_VACANT})
        out = []
        for p in pts:
            ok = isinstance(p, list | tuple) and len(p) == 2 and all(
                isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                for v in p)
            if not ok or not (-180 <= p[0] <= 180 and -90 <= p[1] <= 90):
                raise forms.ValidationError(_("空地坐标有误：%(p)s") % {"p": json.dumps(p)[:60]})
            out.append([round(float(p[0]), 7), round(float(p[1]), 7)])
        return out

    def clean(self):
        d = super().clean()
        budget, unit = d.get("budget"), d.get("unit_cost")
        if self.errors:
            return d
        if budget is not None:
            if unit is None:
                self.add_error("unit_cost", _("按预算测算时请填写单点造价。"))
                return d
            n = int(budget // unit)
            if n < 1:
                self.add_error("budget", _("预算 %(b)s 万元不足以建设一处（单点造价 %(u)s 万元）。")
                               % {"b": budget, "u": unit})
            elif n > MAX_K:
                self.add_error("budget", _("按预算可建 %(n)s 处，超过一次最多 %(max)s 处，请减少预算或"
                                           "提高单点造价。") % {"n": n, "max": MAX_K})
            else:
                d["k"] = n
                d["k_from_budget"] = True
        elif d.get("k") is None:
            self.add_error("k", _("请填写新增网点数，或填写预算和单点造价。"))
        return d


# --- the analysis -----------------------------------------------------------------------------

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


def _scoped_compounds(user, region: Region):
    return scope.compounds_for(user).filter(region__code__startswith=code_prefix(region.code))


def _candidates(user, region: Region, category: FacilityCategory, kinds: list[str],
                vacant: list[list[float]], compounds: list[dict]) -> list[dict]:
    prefix = code_prefix(region.code)
    out: list[dict] = []
    if "facility" in kinds:
        for f in (scope.facilities_for(user).filter(region__code__startswith=prefix)
                  .exclude(category=category).order_by("pk")):
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
    qs = _scoped_compounds(user, region)
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
    cands = _candidates(user, region, category, kinds, vacant, compounds)
    if not cands:
        raise SitingError(_("没有候选地点：所选类别中没有任何地点（选“空地”时请先在地图上点击标注）。"))
    if k > len(cands):
        raise SitingError(_("新增网点数 k=%(k)s 大于候选地点数 %(n)s：请减少新增网点数或增加候选地点。")
                          % {"k": k, "n": len(cands)})
    try:
        graph = engine.graph_from_lines(services._lines(run.network))
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
    sites = _assign(g2, res, cands, c_nodes, d_nodes, demand, float(category.distance_m))
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


def _assign(g2, res, cands, c_nodes, d_nodes, demand, radius: float) -> list[dict]:
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


def _default_category(cov) -> FacilityCategory | None:
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


def _map_data(user, region: Region, run: Run | None, category: FacilityCategory | None,
              analysis: Analysis | None = None, cov=None) -> dict:
    """What siting.js draws: compounds with the categories they lack, facilities, the result."""
    prefix = code_prefix(region.code)
    compounds = _scoped_compounds(user, region)
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
                          scope.facilities_for(user).filter(region__code__startswith=prefix)
                          .order_by("pk")]
    if analysis is not None:
        data["result"] = {"category": analysis.category.code,
                          "new": np.flatnonzero(analysis.newly).tolist(),
                          "sites": [{k: s[k] for k in ("name", "lng", "lat", "covers")}
                                    for s in analysis.sites],
                          "catchment": analysis.catchment}
    return data


def _require_planner(request) -> tuple[Region | None, Region | None]:
    region = current_region(request)
    district = _district(request)
    if region is not None and not can_plan(request.user, region.code):
        raise PermissionDenied
    if region is None and not scope.scope_of(request.user).everything and not any(
            g.role in PLANNING_ROLES for g in scope.scope_of(request.user).grants):
        raise PermissionDenied
    return region, district


def _recent(user, district: Region):
    s = scope.scope_of(user)
    rows = list(Proposal.objects.filter(s.region_q("region__code"),
                                        region__code__startswith=code_prefix(district.code))
                .select_related("category", "region", "created_by", "project")[:20])
    for p in rows:
        p.added = p.covered_after - p.covered_before
    return rows


# --- pages ------------------------------------------------------------------------------------

@login_required
def siting(request):
    region, district = _require_planner(request)
    if district is None:
        return render(request, "lifecircle/siting.html", {"district": None})
    run = services.current_run(district)
    network = services.network_for(district)
    allowed_save = can_save(request.user, district)
    saving = request.method == "POST" and request.POST.get("save") == "1"
    if saving and not allowed_save:
        raise PermissionDenied
    cov = services.coverage(run, _scoped_compounds(request.user, region)) if run else None
    default = _default_category(cov)
    form = SitingForm(request.POST or None, initial={
        "category": default, "k": 3, "candidates": ["facility", "compound"], "method": "auto"})
    analysis, error = None, None
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            analysis = analyse(request.user, region, district, d["category"], d["k"],
                               d["candidates"], d["vacant"], d["method"])
        except SitingError as e:
            error = str(e)
        if analysis is not None and saving:
            p = _save(request.user, analysis, d)
            messages.success(request, _("方案已保存。"))
            return redirect("lifecircle:proposal", pk=p.pk)
    elif request.method == "POST":
        error = _("请检查填写的内容。")
    category = default  # the map shows the chosen category's gaps
    if form.is_bound:
        category = (form.cleaned_data.get("category") if form.is_valid() else
                    FacilityCategory.objects.filter(pk=request.POST.get("category", "")).first()
                    ) or default
    data = _map_data(request.user, region, run, category, analysis, cov)
    return render(request, "lifecircle/siting.html", {
        "district": district, "region": region, "run": run, "network": network, "form": form,
        "analysis": analysis, "error": error, "can_save": allowed_save,
        "map_data": data, "kinds": KINDS,
        "hidden": _hidden_inputs(form.cleaned_data) if analysis is not None else [],
        "proposals": _recent(request.user, district),
        "osm": bool(network and not network.generated),
    })


def _hidden_inputs(d: dict) -> list[tuple[str, str]]:
    """The inputs of an analysis, posted again with save=1 by the 保存方案 button."""
    out = [("category", d["category"].pk), ("k", str(d["k"])), ("method", d["method"])]
    if d.get("k_from_budget"):
        out += [("budget", str(d["budget"])), ("unit_cost", str(d["unit_cost"]))]
    out += [("candidates", c) for c in d["candidates"]]
    out.append(("vacant", json.dumps(d["vacant"])))
    return out


def _note(analysis: Analysis, d: dict) -> str:
    kinds = "、".join(str(KINDS[kd]) for kd in d["candidates"])
    text = _("候选：%(kinds)s（%(n)s 处）；%(method)s，%(opt)s，用时 %(s).2f 秒") % {
        "kinds": kinds, "n": len(analysis.candidates), "method": analysis.method_label,
        "opt": _("最优") if analysis.result.optimal else _("与最优差距不超过 %(g).1f%%") % {
            "g": analysis.gap_percent}, "s": analysis.result.seconds}
    if d.get("k_from_budget"):
        text += _("；按预算 %(b)s 万元、单点造价 %(u)s 万元测算") % {"b": d["budget"],
                                                              "u": d["unit_cost"]}
    return text[:300]


def _save(user, a: Analysis, d: dict) -> Proposal:
    return Proposal.objects.create(
        run=a.run, region=a.region, category=a.category, k=a.k, method=a.result.method,
        sites=[{k: s[k] for k in ("name", "lng", "lat", "kind", "ref", "covers", "compounds",
                                  "region", "compound_ids")} for s in a.sites],
        covered_before=a.before["population"], covered_after=a.after["population"],
        population=a.population, gap=float(a.result.gap), note=_note(a, d), created_by=user)


def _access_proposal(user, pk: int) -> Proposal:
    p = Proposal.objects.select_related("region", "category", "run", "project",
                                        "created_by").filter(pk=pk).first()
    if p is None or not scope.scope_of(user).reads(p.region.code):
        raise Http404
    if not can_plan(user, p.region.code):
        raise PermissionDenied
    return p


@login_required
def proposal(request, pk: int):
    p = _access_proposal(request.user, pk)
    district = _district_of(p.region)
    run = services.current_run(district)
    data = _map_data(request.user, p.region, run, p.category)
    pos = {cid: i for i, cid in enumerate(data["ids"])}
    new = sorted(pos[c] for s in p.sites for c in s.get("compound_ids", []) if c in pos)
    data["result"] = {"category": p.category.code, "new": new,
                      "sites": [{k: s.get(k) for k in ("name", "lng", "lat", "covers")}
                                for s in p.sites], "catchment": None}
    if run is not None and run.network is not None and p.sites:
        try:
            graph = engine.graph_from_lines(services._lines(run.network))
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
    plan = _current_plan(district)
    return render(request, "lifecircle/proposal.html", {
        "p": p, "district": district, "map_data": data, "kinds": KINDS,
        "added": p.covered_after - p.covered_before,
        "before_rate": 100 * p.covered_before / p.population if p.population else 0.0,
        "after_rate": 100 * p.covered_after / p.population if p.population else 0.0,
        "gap_percent": 100 * p.gap, "method_label": METHODS.get(p.method, p.method),
        "plan": plan,
        "can_convert": scope.scope_of(request.user).has_right(MANAGE_PROJECTS, district.code),
        "osm": bool(run and run.network and not run.network.generated),
    })


# --- proposal → project -----------------------------------------------------------------------

def _current_plan(district: Region):
    from minsheng.projects.models import Plan
    from minsheng.projects.services import today

    return Plan.objects.filter(region=district, year=today().year).first()


def _lead_department(district: Region, area: str) -> Organisation | None:
    deps = Organisation.objects.filter(kind=Organisation.Kind.DEPARTMENT,
                                       region=district).order_by("pk")
    for word in DEPARTMENT_HINT.get(area, ()):
        hit = deps.filter(name__contains=word).first()
        if hit is not None:
            return hit
    return deps.first()


def _site_place(site: dict, district: Region) -> tuple[Region, Compound | None, Facility | None]:
    """Where a proposed site's sub-item belongs: the candidate's own place when it is a compound
    or facility, else the community of the nearest compound (or the district)."""
    compound = facility = None
    if site.get("kind") == "compound" and site.get("ref"):
        compound = Compound.objects.filter(pk=site["ref"]).select_related("region").first()
        if compound is not None:
            return compound.region, compound, None
    if site.get("kind") == "facility" and site.get("ref"):
        facility = Facility.objects.filter(pk=site["ref"]).select_related("region").first()
    prefix = code_prefix(district.code)
    near = list(Compound.objects.filter(region__code__startswith=prefix)
                .values_list("lng", "lat", "region_id"))
    if near:
        lng, lat = float(site["lng"]), float(site["lat"])
        d = engine.haversine_m(np.array([n[0] for n in near]), np.array([n[1] for n in near]),
                               lng, lat)
        region = Region.objects.get(code=near[int(np.argmin(d))][2])
        return region, compound, facility
    return district, compound, facility


@login_required
@require_POST
def to_project(request, pk: int):
    from minsheng.projects.access import can_manage
    from minsheng.projects.models import Milestone, Project
    from minsheng.projects.services import do_add_sub_item, today

    p = _access_proposal(request.user, pk)
    district = _district_of(p.region)
    if not scope.scope_of(request.user).has_right(MANAGE_PROJECTS, district.code):
        raise PermissionDenied
    if p.project_id:
        messages.info(request, _("该方案已转为民生项目，不再重复创建。"))
        return redirect("projects:detail", pk=p.project_id)
    plan = _current_plan(district)
    if plan is None:
        messages.error(request, _("%(d)s还没有 %(y)s 年度民生计划，无法转为项目：请先在“民生项目”中建立本年度计划。")
                       % {"d": district.name, "y": today().year})
        return redirect("lifecircle:proposal", pk=p.pk)
    if not can_manage(request.user, plan):
        raise PermissionDenied
    area = AREA_OF_GROUP.get(p.category.group, "other")
    lead = _lead_department(district, area)
    if lead is None:
        messages.error(request, _("%(d)s没有登记职能部门，无法指定牵头单位：请先在组织机构中添加。")
                       % {"d": district.name})
        return redirect("lifecircle:proposal", pk=p.pk)
    added = p.covered_after - p.covered_before
    name = _("新增%(cat)s%(k)s处（生活圈补缺）") % {"cat": p.category.name, "k": p.k}
    if Project.objects.filter(plan=plan, name=name).exists():
        name = _("%(name)s（方案 %(pk)s）") % {"name": name, "pk": p.pk}
    start = today()
    end = dt.date(plan.year, 12, 31)
    with transaction.atomic():
        locked = Proposal.objects.select_for_update().get(pk=p.pk)
        if locked.project_id:  # converted meanwhile
            return redirect("projects:detail", pk=locked.project_id)
        project = Project.objects.create(
            plan=plan, name=name[:200], area=area, lead_department=lead,
            target=(_("新增%(cat)s%(k)s处，新增覆盖人口%(n)s人") % {
                "cat": p.category.name, "k": p.k, "n": added})[:300],
            target_quantity=Decimal(p.k), target_unit=_("处"), start_date=start,
            end_date=max(end, start), is_public=False,
            description=_("由生活圈选址方案 #%(pk)s 生成：%(note)s") % {"pk": p.pk, "note": p.note})
        Milestone.objects.create(project=project, name=_("建成投用"), planned_date=project.end_date,
                                 weight=Decimal(100))
        for s in p.sites:
            region, compound, facility = _site_place(s, district)
            do_add_sub_item(project, name=str(s.get("name") or _("新增网点"))[:200],
                            region=region, compound=compound, facility=facility)
        locked.project = project
        locked.save(update_fields=["project"])
    messages.success(request, _("已转为民生项目：%(name)s（不公开，确认后可在项目中设为公开）。")
                     % {"name": project.name})
    return redirect(reverse("projects:detail", args=[project.pk]))
