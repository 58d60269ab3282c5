"""Life-circle pages: coverage of the compounds in the user's scope, gaps, the map with walking
catchments, a compound's poster, recomputation in the background with a progress bar, and the
siting analysis with its proposals. Each view parses, checks (access), calls (siting, actions,
services) and renders."""

from __future__ import annotations

import json

import shapely
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from minsheng.lib.http import download
from minsheng.lifecircle import access, actions, engine, exchange, services, siting
from minsheng.lifecircle.forms import NetworkForm, SitingForm
from minsheng.lifecircle.models import Result, Run
from minsheng.lifecircle.poster import PosterRow, poster_pdf
from minsheng.places import scope
from minsheng.places.models import FacilityCategory, Region, code_prefix
from minsheng.places.regionswitch import current_region


@login_required
def overview(request):
    district = access.district_for(request)
    if district is None:
        return render(request, "lifecircle/overview.html", {"district": None})
    run = services.current_run(district)
    pending = Run.objects.filter(region=district, state__in=[Run.State.QUEUED, Run.State.RUNNING]
                                 ).order_by("-created_at").first()
    failed = Run.objects.filter(region=district).order_by("-created_at").first()
    ctx = {"district": district, "run": run, "pending": pending,
           "failed": failed if failed and failed.state == Run.State.FAILED else None,
           "network": services.network_for(district),
           "can_recompute": access.can_recompute(request.user, district),
           "can_plan": access.can_plan(request.user, current_region(request).code)}
    if run is not None:
        region = current_region(request)
        compounds = access.compounds_for(request.user, region)
        cov = services.coverage(run, compounds)
        share = cov.share_required()
        ctx.update(cov=cov, categories=cov.by_category(), levels=cov.levels(),
                   n=len(cov.compound_ids), mean_share=100 * float(share.mean()) if len(share)
                   else 0.0)
        names = dict(compounds.values_list("pk", "name"))
        ctx["gaps"] = [(cid, names.get(cid, ""), pop, missing)
                       for cid, pop, missing in cov.gaps()[:30]]
        ctx["children"] = _children(region, compounds, cov, share)
    return render(request, "lifecircle/overview.html", ctx)


def _children(region: Region, compounds, cov, share) -> list[dict]:
    region_of = dict(compounds.values_list("pk", "region_id"))
    rows = []
    pos = {cid: i for i, cid in enumerate(cov.compound_ids)}
    l15 = cov.level_flags(15)
    for child in Region.objects.filter(parent=region).order_by("code"):
        p = code_prefix(child.code)
        idx = [pos[c] for c, r in region_of.items() if r.startswith(p) and c in pos]
        if not idx:
            continue
        pop = cov.population[idx]
        rows.append({"region": child, "compounds": len(idx), "population": int(pop.sum()),
                     "share": 100 * float(share[idx].mean()),
                     "level15": int(l15[idx].sum())})
    return rows


@login_required
@require_POST
def recompute(request):
    district = access.district_for(request)
    if district is None or not access.can_recompute(request.user, district):
        raise PermissionDenied
    if services.network_for(district) is None:
        messages.error(request, _("该区/县还没有路网：请先导入 OpenStreetMap 路网（minsheng osm_sample 文件）。"))
        return redirect("lifecircle:overview")
    actions.do_start_run(request.user, district)
    messages.info(request, _("已开始重新计算，完成后本页自动刷新。"))
    return redirect("lifecircle:overview")


@login_required
def network_upload(request):
    """One upload: the district's walking network from an OSM extract, then a recomputation,
    both in the background worker with a progress bar on the overview."""
    district = access.district_for(request)
    if district is None or not access.can_recompute(request.user, district):
        raise PermissionDenied
    form = NetworkForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        path = exchange.store_osm_upload(district, form.cleaned_data["file"])
        actions.do_start_import(request.user, district, str(path),
                                with_places=form.cleaned_data["with_places"])
        messages.info(request, _("文件已上传，正在后台导入路网并重新计算。"))
        return redirect("lifecircle:overview")
    return render(request, "web/form.html", {
        "form": form, "title": _("导入路网：%(name)s") % {"name": district.name},
        "cancel": reverse("lifecircle:overview"), "multipart": True})


@login_required
def run_status(request, pk: int):
    run = access.access_run_by_id(request.user, pk)
    return JsonResponse({"state": run.state, "progress": run.progress, "message": run.message})


@login_required
def map_data(request):
    """Compounds coloured by the share of required categories within walking distance."""
    district = access.district_for(request)
    run = services.current_run(district) if district else None
    if run is None:
        return JsonResponse({"type": "FeatureCollection", "features": []})
    region = current_region(request)
    compounds = access.compounds_for(request.user, region)
    cov = services.coverage(run, compounds)
    share = cov.share_required()
    pos = {cid: i for i, cid in enumerate(cov.compound_ids)}
    l15 = cov.level_flags(15)
    feats = []
    for c in compounds:
        i = pos.get(c.pk)
        if i is None:
            continue
        feats.append({"type": "Feature",
                      "geometry": {"type": "Point", "coordinates": [c.lng, c.lat]},
                      "properties": {"id": c.pk, "name": c.name, "share": round(float(share[i]), 3),
                                     "level15": bool(l15[i]), "population": c.population,
                                     "url": reverse("lifecircle:compound", args=[c.pk])}})
    return JsonResponse({"type": "FeatureCollection", "features": feats})


@login_required
def catchment(request, facility_id: int):
    """A facility's walking catchment (isochrone) at its category's distance, as GeoJSON."""
    f = scope.access_facility_by_id(request.user, facility_id)
    run = services.current_run(access.district_of(f.region_id))
    if run is None or run.network is None:
        raise Http404
    poly, snap_m = services.facility_catchment(run.network, f)
    if poly is None:
        return JsonResponse({"error": _("该设施离路网 %(m).0f 米，超出吸附距离。") % {
            "m": snap_m}}, status=422)
    return JsonResponse({"type": "Feature", "geometry": shapely.geometry.mapping(poly),
                         "properties": {"name": f.name, "category": f.category.label,
                                        "distance_m": f.category.distance_m}})


@login_required
def compound(request, pk: int):
    """One compound's life circle: the nearest facility of each category and walking minutes —
    the content of the poster posted on the building."""
    c = scope.access_compound_by_id(request.user, pk)
    run = services.current_run(access.district_of(c.region_id))
    rows = []
    if run is not None:
        res = Result.objects.filter(run=run, compound=c).select_related("category", "facility")
        for r in sorted(res, key=lambda r: (r.category.level, r.category.order)):
            ok = r.distance_m is not None and r.distance_m <= r.category.distance_m
            rows.append({"category": r.category, "distance": r.distance_m, "facility": r.facility,
                         "minutes": None if r.distance_m is None else
                         float(engine.minutes(r.distance_m, run.speed_m_per_min)),
                         "ok": ok, "snap": r.snap_m})
    return render(request, "lifecircle/compound.html", {
        "c": c, "run": run, "rows": rows,
        "levels": [(lv, [r for r in rows if r["category"].level == lv]) for lv in (5, 10, 15)],
        "osm": bool(run and run.network and not run.network.generated),
        "facilities": [r["facility"] for r in rows if r["ok"] and r["facility"]],
    })


@login_required
def poster(request, pk: int):
    """The compound's 15-minute life-circle poster as an A4 PDF."""
    c = scope.access_compound_by_id(request.user, pk)
    run = services.current_run(access.district_of(c.region_id))
    if run is None or run.network is None:
        raise Http404
    rows = []
    for r in Result.objects.filter(run=run, compound=c).select_related("category", "facility"):
        ok = r.distance_m is not None and r.distance_m <= r.category.distance_m
        rows.append(PosterRow(
            level=r.category.level, category=r.category.name, color=r.category.color,
            facility=r.facility.name if r.facility else None,
            lng=r.facility.lng if r.facility else None, lat=r.facility.lat if r.facility else None,
            distance_m=r.distance_m, ok=ok,
            minutes=None if r.distance_m is None else float(
                engine.minutes(r.distance_m, run.speed_m_per_min))))
    rows.sort(key=lambda r: (r.level, not r.ok, r.category))
    dlat, dlng = 0.012, 0.016
    near = [line for line in services.lines_of(run.network)
            if any(abs(x - c.lng) < dlng and abs(y - c.lat) < dlat for x, y in line)]
    source = ("© OpenStreetMap contributors" if not run.network.generated
              else "演示区路网为生成数据，不是真实道路")
    pdf = poster_pdf(
        title=f"{c.name} 15分钟生活圈", subtitle=f"{c.region.name}  {c.address}",
        lng=c.lng, lat=c.lat, rows=rows, streets=near,
        footer=f"步行距离沿路网计算，按每分钟 {run.speed_m_per_min:.0f} 米折算。{source}。"
               f"民生 Minsheng {run.finished_at:%Y-%m-%d}")
    return download(pdf, f"{c.name}生活圈地图.pdf", "application/pdf", inline=True)


# --- siting -------------------------------------------------------------------------------------

def _recent(user, district: Region) -> list:
    rows = list(access.proposals_for(user, district)[:20])
    for p in rows:
        p.added = p.covered_after - p.covered_before
    return rows


def _hidden_inputs(d: dict) -> list[tuple[str, str]]:
    """The inputs of an analysis, posted again with save=1 by the 保存方案 button."""
    out = [("category", d["category"].pk), ("k", str(d["k"])), ("method", d["method"])]
    if d.get("k_from_budget"):
        out += [("budget", str(d["budget"])), ("unit_cost", str(d["unit_cost"]))]
    out += [("candidates", c) for c in d["candidates"]]
    out.append(("vacant", json.dumps(d["vacant"])))
    return out


@login_required
def siting_page(request):
    region = current_region(request)
    access.check_plan(request.user, region)
    district = access.district_for(request)
    if district is None:
        return render(request, "lifecircle/siting.html", {"district": None})
    run = services.current_run(district)
    network = services.network_for(district)
    allowed_save = access.can_save(request.user, district)
    saving = request.method == "POST" and request.POST.get("save") == "1"
    if saving and not allowed_save:
        raise PermissionDenied
    cov = services.coverage(run, access.compounds_for(request.user, region)) if run else None
    default = siting.default_category(cov)
    form = SitingForm(request.POST or None, initial={
        "category": default, "k": 3, "candidates": ["facility", "compound"], "method": "auto"})
    analysis, error = None, None
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            analysis = siting.analyse(request.user, region, district, d["category"], d["k"],
                                      d["candidates"], d["vacant"], d["method"])
        except siting.SitingError as e:
            error = str(e)
        if analysis is not None and saving:
            p = actions.do_save_proposal(request.user, analysis,
                                         note=siting.note_for(analysis, d))
            messages.success(request, _("方案已保存。"))
            return redirect("lifecircle:proposal", pk=p.pk)
    elif request.method == "POST":
        error = _("请检查填写的内容。")
    category = default  # the map shows the chosen category's gaps
    if form.is_bound:
        category = (form.cleaned_data.get("category") if form.is_valid() else
                    FacilityCategory.objects.filter(pk=request.POST.get("category", "")).first()
                    ) or default
    data = siting.map_data(request.user, region, run, category, analysis, cov)
    return render(request, "lifecircle/siting.html", {
        "district": district, "region": region, "run": run, "network": network, "form": form,
        "analysis": analysis, "error": error, "can_save": allowed_save,
        "map_data": data, "kinds": siting.KINDS,
        "hidden": _hidden_inputs(form.cleaned_data) if analysis is not None else [],
        "proposals": _recent(request.user, district),
        "osm": bool(network and not network.generated),
    })


@login_required
def proposal(request, pk: int):
    p = access.access_proposal_by_id(request.user, pk)
    district = access.district_of(p.region.code)
    run = services.current_run(district)
    return render(request, "lifecircle/proposal.html", {
        "p": p, "district": district, "map_data": siting.proposal_map_data(request.user, p, run),
        "kinds": siting.KINDS,
        "added": p.covered_after - p.covered_before,
        "before_rate": 100 * p.covered_before / p.population if p.population else 0.0,
        "after_rate": 100 * p.covered_after / p.population if p.population else 0.0,
        "gap_percent": 100 * p.gap, "method_label": siting.METHODS.get(p.method, p.method),
        "plan": access.current_plan(district),
        "can_convert": access.can_convert(request.user, district),
        "osm": bool(run and run.network and not run.network.generated),
    })


@login_required
@require_POST
def to_project(request, pk: int):
    p = access.access_proposal_by_id(request.user, pk)
    if not access.can_convert(request.user, access.district_of(p.region.code)):
        raise PermissionDenied
    if p.project_id:
        messages.info(request, _("该方案已转为民生项目，不再重复创建。"))
        return redirect("projects:detail", pk=p.project_id)
    try:
        project, created = actions.do_proposal_to_project(request.user, p)
    except actions.ProposalError as e:
        messages.error(request, str(e))
        return redirect("lifecircle:proposal", pk=p.pk)
    if created:
        messages.success(request, _("已转为民生项目：%(name)s（不公开，确认后可在项目中设为公开）。")
                         % {"name": project.name})
    return redirect(reverse("projects:detail", args=[project.pk]))
