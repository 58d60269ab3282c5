"""Life-circle pages: coverage of the compounds in the user's scope, gaps, the map with walking
catchments, a compound's poster, and recomputation in the background with a progress bar."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from minsheng.lifecircle import engine, services
from minsheng.lifecircle.models import Result, Run
from minsheng.places import scope
from minsheng.places.models import Region, code_prefix
from minsheng.web.regionswitch import current_region


def _district(request) -> Region | None:
    region = current_region(request)
    if region is None or len(code_prefix(region.code)) < 6:
        return None
    return Region.objects.filter(code=region.code[:6].ljust(12, "0")).first()


def can_recompute(user, district: Region) -> bool:
    return scope.can_edit(user, district.code)


@login_required
def overview(request):
    district = _district(request)
    if district is None:
        return render(request, "lifecircle/overview.html", {"district": None})
    run = services.current_run(district)
    pending = Run.objects.filter(region=district, state__in=[Run.State.QUEUED, Run.State.RUNNING]
                                 ).order_by("-created_at").first()
    failed = Run.objects.filter(region=district).order_by("-created_at").first()
    ctx = {"district": district, "run": run, "pending": pending,
           "failed": failed if failed and failed.state == Run.State.FAILED else None,
           "network": services.network_for(district),
           "can_recompute": can_recompute(request.user, district)}
    if run is not None:
        region = current_region(request)
        compounds = scope.compounds_for(request.user).filter(
            region__code__startswith=code_prefix(region.code))
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
    district = _district(request)
    if district is None or not can_recompute(request.user, district):
        raise PermissionDenied
    if services.network_for(district) is None:
        messages.error(request, _("该区/县还没有路网：请先导入 OpenStreetMap 路网（minsheng osm_sample 文件）。"))
        return redirect("lifecircle:overview")
    services.start_run(district, request.user)
    messages.info(request, _("已开始重新计算，完成后本页自动刷新。"))
    return redirect("lifecircle:overview")


class NetworkForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("OpenStreetMap 文件（.osm / .osm.pbf）"))
    with_places = forms.BooleanField(
        label=gettext_lazy("同时导入文件中的小区（有名称的居住区）和设施"), required=False,
        help_text=gettext_lazy("用于没有登记小区和设施的区县；已登记的数据不会被删除。"))

    def clean_file(self):
        f = self.cleaned_data["file"]
        if not f.name.lower().endswith((".osm", ".osm.pbf", ".pbf", ".osm.bz2", ".osm.gz")):
            raise forms.ValidationError(_("请上传 OpenStreetMap 文件（.osm 或 .osm.pbf）。"))
        return f


@login_required
def network_upload(request):
    """One upload: the district's walking network from an OSM extract, then a recomputation,
    both in the background worker with a progress bar on the overview."""
    district = _district(request)
    if district is None or not can_recompute(request.user, district):
        raise PermissionDenied
    form = NetworkForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        import uuid
        from pathlib import Path

        from django.conf import settings

        f = form.cleaned_data["file"]
        folder = Path(settings.MEDIA_ROOT) / "osm"
        folder.mkdir(parents=True, exist_ok=True)
        suffix = ".osm.pbf" if f.name.lower().endswith("pbf") else Path(f.name).suffix or ".osm"
        if f.name.lower().endswith((".osm.bz2", ".osm.gz")):
            suffix = ".osm." + f.name.rsplit(".", 1)[-1]
        path = folder / f"{district.code}-{uuid.uuid4().hex[:8]}{suffix}"
        with path.open("wb") as out:
            for chunk in f.chunks():
                out.write(chunk)
        services.start_import(district, str(path), with_places=form.cleaned_data["with_places"],
                              user=request.user)
        messages.info(request, _("文件已上传，正在后台导入路网并重新计算。"))
        return redirect("lifecircle:overview")
    return render(request, "web/form.html", {
        "form": form, "title": _("导入路网：%(name)s") % {"name": district.name},
        "cancel": reverse("lifecircle:overview"), "multipart": True})


@login_required
def run_status(request, pk: int):
    run = Run.objects.filter(pk=pk).select_related("region").first()
    if run is None or not scope.scope_of(request.user).reads(run.region.code[:6]) and not \
            scope.scope_of(request.user).everything:
        raise Http404
    return JsonResponse({"state": run.state, "progress": run.progress, "message": run.message})


@login_required
def map_data(request):
    """Compounds coloured by the share of required categories within walking distance."""
    district = _district(request)
    run = services.current_run(district) if district else None
    if run is None:
        return JsonResponse({"type": "FeatureCollection", "features": []})
    region = current_region(request)
    compounds = scope.compounds_for(request.user).filter(
        region__code__startswith=code_prefix(region.code))
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
    district = Region.objects.get(code=f.region_id[:6].ljust(12, "0"))
    run = services.current_run(district)
    if run is None or run.network is None:
        raise Http404
    graph = engine.graph_from_lines(services._lines(run.network))
    snapped = engine.snap_points(graph, [f.lng], [f.lat], max_snap_m=services.MAX_SNAP_M)
    g2, nodes = engine.insert_points(graph, snapped)
    if nodes[0] < 0:
        return JsonResponse({"error": _("该设施离路网 %(m).0f 米，超出吸附距离。") % {
            "m": float(snapped.snap_m[0])}}, status=422)
    poly = engine.isochrone(g2, int(nodes[0]), float(f.category.distance_m))
    import shapely

    return JsonResponse({"type": "Feature", "geometry": shapely.geometry.mapping(poly),
                         "properties": {"name": f.name, "category": f.category.name,
                                        "distance_m": f.category.distance_m}})


@login_required
def compound(request, pk: int):
    """One compound's life circle: the nearest facility of each category and walking minutes —
    the content of the poster posted on the building."""
    c = scope.access_compound_by_id(request.user, pk)
    district = Region.objects.get(code=c.region_id[:6].ljust(12, "0"))
    run = services.current_run(district)
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
    from django.http import HttpResponse

    from minsheng.lifecircle.poster import PosterRow, poster_pdf

    c = scope.access_compound_by_id(request.user, pk)
    district = Region.objects.get(code=c.region_id[:6].ljust(12, "0"))
    run = services.current_run(district)
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
    near = [line for line in services._lines(run.network)
            if any(abs(x - c.lng) < dlng and abs(y - c.lat) < dlat for x, y in line)]
    source = ("© OpenStreetMap contributors" if not run.network.generated
              else "演示区路网为生成数据，不是真实道路")
    pdf = poster_pdf(
        title=f"{c.name} 15分钟生活圈", subtitle=f"{c.region.name}  {c.address}",
        lng=c.lng, lat=c.lat, rows=rows, streets=near,
        footer=f"步行距离沿路网计算，按每分钟 {run.speed_m_per_min:.0f} 米折算。{source}。"
               f"民生 Minsheng {run.finished_at:%Y-%m-%d}")
    resp = HttpResponse(pdf, content_type="application/pdf")
    from urllib.parse import quote

    resp["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(c.name + '生活圈地图.pdf')}"
    return resp
