"""The places pages: region switcher, map, compounds, facilities, organisations, regions and grids.
Every queryset comes from places/scope.py; the region switcher only narrows it."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.db.models import Count, Q
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from minsheng.accounts.masking import can_unmask, mask, personal_values
from minsheng.accounts.roles import EXPORT
from minsheng.lib.validators import InputChecked
from minsheng.places import actions, hooks, scope
from minsheng.places.coords import haversine_m
from minsheng.places.models import (
    Compound,
    FacilityCategory,
    Organisation,
    Region,
    code_prefix,
)
from minsheng.places.regionswitch import SESSION_KEY, current_prefix, current_region, narrow


def _page(request, qs, per_page: int = 30):
    return Paginator(qs, per_page).get_page(request.GET.get("page"))


@login_required
@require_POST
def switch_region(request):
    code = request.POST.get("region", "")
    s = scope.scope_of(request.user)
    if not Region.objects.filter(code=code).exists() or not (s.everything or s.reads(code)):
        messages.error(request, _("无权查看该区划。"))
    else:
        request.session[SESSION_KEY] = code
    nxt = request.POST.get("next") or reverse("web:home")
    if not url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        nxt = reverse("web:home")
    return redirect(_with_region(nxt, request.session.get(SESSION_KEY, "")))


def _with_region(url: str, code: str) -> str:
    """A page that names its region in the address (?region=, the indicator pages) follows a
    switch: its old ?region= is replaced by the region switched to."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if not code or not any(k == "region" for k, _v in query):
        return url
    query = [(k, code if k == "region" else v) for k, v in query]
    return urlunsplit(parts._replace(query=urlencode(query)))


@login_required
def map_view(request):
    region = current_region(request)
    categories = FacilityCategory.objects.filter(
        pk__in=narrow(request, scope.facilities_for(request.user)).values("category_id")
    )
    return render(request, "places/map.html", {"region": region, "categories": categories})


def _feature(geometry, props):
    return {"type": "Feature", "geometry": geometry, "properties": props}


@login_required
def map_data(request, layer: str):
    """GeoJSON layers for the map, each limited to the user's scope and the chosen region."""
    user = request.user
    features = []
    prefix = current_prefix(request)
    if layer == "regions":
        regions = scope.regions_for(user).filter(boundary__isnull=False)
        level = request.GET.get("level", "street")
        regions = regions.filter(level=level, code__startswith=prefix) if prefix else regions.filter(
            level=level)
        for r in regions:
            features.append(_feature(r.boundary, {"code": r.code, "name": r.name, "level": r.level,
                                                  "generated": r.geometry_generated}))
    elif layer == "compounds":
        for c in narrow(request, scope.compounds_for(user)):
            geom = c.boundary or {"type": "Point", "coordinates": [c.lng, c.lat]}
            features.append(_feature(geom, {
                "id": c.id, "name": c.name, "status": c.property_status,
                "status_label": c.get_property_status_display(), "households": c.households,
                "population": c.population, "lat": c.lat, "lng": c.lng,
                "url": reverse("places:compound", args=[c.id]), "osm": bool(c.osm_id),
            }))
    elif layer == "facilities":
        for f in narrow(request, scope.facilities_for(user)):
            features.append(_feature({"type": "Point", "coordinates": [f.lng, f.lat]}, {
                "id": f.id, "name": f.name, "category": f.category_id,
                "category_label": f.category.label, "color": f.category.color,
                "signed": f.signed_service_point, "url": reverse("places:facility", args=[f.id]),
                "osm": bool(f.osm_id),
            }))
    elif layer == "grids":
        for g in narrow(request, scope.grids_for(user)).filter(boundary__isnull=False):
            features.append(_feature(g.boundary, {"id": g.id, "name": str(g)}))
    elif layer == "streets":
        for n in scope.networks_for(user).filter(region__code__startswith=prefix[:6]):
            features.append(_feature(n.geometry, {"name": n.name, "source": n.source,
                                                  "generated": n.generated}))
    else:
        raise Http404
    return JsonResponse({"type": "FeatureCollection", "features": features})


class CompoundFilterForm(InputChecked, forms.Form):
    q = forms.CharField(label=gettext_lazy("搜索"), required=False)
    community = forms.ChoiceField(label=gettext_lazy("社区/村"), required=False)
    status = forms.ChoiceField(
        label=gettext_lazy("物业管理状态"), required=False,
        choices=[("", gettext_lazy("全部"))] + list(Compound.PropertyStatus.choices))
    old = forms.ChoiceField(label=gettext_lazy("老旧小区"), required=False, choices=[
        ("", gettext_lazy("全部")), ("1", gettext_lazy("是")), ("0", gettext_lazy("否"))])
    renovation = forms.ChoiceField(
        label=gettext_lazy("改造类别"), required=False,
        choices=[("", gettext_lazy("全部"))] + [c for c in Compound.Renovation.choices if c[0]])


@login_required
def compound_list(request):
    qs = narrow(request, scope.compounds_for(request.user))
    form = CompoundFilterForm(request.GET or None)
    communities = Region.objects.filter(
        code__in=qs.values("region_id"), level=Region.Level.COMMUNITY).order_by("code")
    form.fields["community"].choices = [("", _("全部"))] + [(r.code, r.name) for r in communities]
    if form.is_valid():
        d = form.cleaned_data
        if d["q"]:
            qs = qs.filter(Q(name__icontains=d["q"]) | Q(address__icontains=d["q"]))
        if d["community"]:
            qs = qs.filter(region_id=d["community"])
        if d["status"]:
            qs = qs.filter(property_status=d["status"])
        if d["old"]:
            qs = qs.filter(is_old=d["old"] == "1")
        if d["renovation"]:
            qs = qs.filter(renovation_class=d["renovation"])
    return render(request, "places/compound_list.html", {
        "form": form, "page": _page(request, qs.order_by("region_id", "name")),
        "total": qs.count(), "can_export": scope.scope_of(request.user).has_right(EXPORT),
        "can_add": scope.editable_regions_for(request.user).exists(),
        "query": request.GET.urlencode(),
    })


@login_required
def compound_detail(request, pk: int):
    c = scope.access_compound_by_id(request.user, pk)
    personal = personal_values(request.user, c)
    return render(request, "places/compound_detail.html", {
        "c": c, "personal": personal, "revealed": False,
        "can_reveal": can_unmask(request.user, c.region_id) and any(personal.values()),
        "can_edit": scope.can_edit(request.user, c.region_id),
        "facilities_near": _near(request, c), **_compound_links(request.user, c),
    })


def _compound_links(user, c: Compound) -> dict:
    """Which of the compound page's links the user may follow (its community, its company)."""
    return {
        "region_link": scope.regions_for(user).filter(code=c.region_id).exists(),
        "company_link": c.property_company_id is not None and scope.organisations_for(
            user).filter(pk=c.property_company_id).exists()}


def _near(request, c: Compound, radius_m: float = 500.0):
    """Facilities within a straight-line radius (the life circle computes walking distance)."""
    dlat = radius_m / 111000
    dlng = dlat * 1.4
    qs = scope.facilities_for(request.user).filter(
        lat__range=(c.lat - dlat, c.lat + dlat), lng__range=(c.lng - dlng, c.lng + dlng))
    out = [(round(haversine_m(c.lng, c.lat, f.lng, f.lat)), f) for f in qs]
    return sorted([x for x in out if x[0] <= radius_m], key=lambda x: x[0])[:20]


@login_required
@require_POST
def compound_reveal(request, pk: int):
    """Shows the personal fields once, and writes the access to the audit log."""
    c = scope.access_compound_by_id(request.user, pk)
    if not can_unmask(request.user, c.region_id):
        raise PermissionDenied
    personal = personal_values(request.user, c, unmask=True, request=request)
    return render(request, "places/compound_detail.html", {
        "c": c, "personal": personal, "revealed": True, "can_reveal": False,
        "can_edit": scope.can_edit(request.user, c.region_id), "facilities_near": _near(request, c),
        **_compound_links(request.user, c),
    })


class CompoundForm(InputChecked, forms.ModelForm):
    class Meta:
        model = Compound
        fields = [
            "name", "region", "grid", "address", "lat", "lng", "year_built", "buildings",
            "households", "population", "property_status", "property_company", "committee",
            "committee_head", "committee_head_phone", "head_is_party_secretary", "is_old",
            "renovation_class", "smart_safety",
        ]
        help_texts = {"lat": gettext_lazy("WGS-84（GPS）坐标；高德/百度坐标请用导入功能并选择坐标系")}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = scope.editable_regions_for(user).filter(
            level=Region.Level.COMMUNITY)
        self.fields["grid"].queryset = scope.grids_for(user)
        self.fields["property_company"].queryset = scope.organisations_for(user).filter(
            kind=Organisation.Kind.PROPERTY_COMPANY)
        # the stored phone is shown masked (never in clear without an audited reveal, which is
        # on the compound's page); it is replaced only by a whole new number
        self.stored_phone = self.instance.committee_head_phone if self.instance.pk else ""
        if self.stored_phone:
            self.initial["committee_head_phone"] = mask(self.stored_phone)
            self.fields["committee_head_phone"].help_text = _(
                "已打码显示。不修改则保留原号码；如需更换，请填写完整的新号码。"
                "查看完整号码请到小区页面点击“显示完整号码”（将记入审计日志）。")

    def clean_committee_head_phone(self):
        value = (self.cleaned_data.get("committee_head_phone") or "").strip()
        if "*" not in value:
            return value
        if self.stored_phone and value == mask(self.stored_phone):
            return self.stored_phone  # the masked value sent back unchanged
        raise ValidationError(_("请填写完整的新号码，或保留打码的原号码不变。"))

    def clean(self):
        d = super().clean()
        if d.get("property_status") == Compound.PropertyStatus.COMPANY and not d.get(
                "property_company"):
            self.add_error("property_company", _("物业管理状态为“物业公司”时须填写物业服务企业。"))
        grid, region = d.get("grid"), d.get("region")
        if grid and region and grid.region_id != region.code:
            self.add_error("grid", _("网格不属于该小区所在的社区。"))
        # what other apps' records hold over the compound (governance: registry, committees)
        if self.instance.pk:
            for field, problems in hooks.compound_problems(self.instance, d).items():
                if field in self.fields and field not in self.errors:
                    for message in problems:
                        self.add_error(field, message)
        return d


@login_required
def compound_edit(request, pk: int | None = None):
    instance = scope.access_compound_by_id(request.user, pk) if pk else None
    if instance is not None and not scope.can_edit(request.user, instance.region_id):
        raise PermissionDenied
    if instance is None and not scope.editable_regions_for(request.user).exists():
        raise PermissionDenied
    form = CompoundForm(request.POST or None, instance=instance, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            obj = actions.do_save_compound(request.user, form.cleaned_data, compound=instance,
                                           source="form", request=request)
        except IntegrityError:
            form.add_error("name", _("该社区内已有同名小区。"))
        else:
            messages.success(request, _("已保存。"))
            return redirect("places:compound", pk=obj.pk)
    return render(request, "web/form.html", {
        "form": form, "title": _("编辑小区") if instance else _("登记小区"),
        "cancel": reverse("places:compound", args=[pk]) if pk else reverse("places:compounds"),
    })


@login_required
def facility_list(request):
    qs = narrow(request, scope.facilities_for(request.user))
    q = request.GET.get("q", "").strip()
    cat = request.GET.get("category", "")
    signed = request.GET.get("signed", "")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(address__icontains=q))
    if cat:
        qs = qs.filter(category_id=cat)
    if signed in ("1", "0"):
        qs = qs.filter(signed_service_point=signed == "1")
    return render(request, "places/facility_list.html", {
        "page": _page(request, qs.order_by("category__order", "name")), "total": qs.count(),
        "categories": FacilityCategory.objects.all(), "q": q, "cat": cat, "signed": signed,
        "can_export": scope.scope_of(request.user).has_right(EXPORT),
        "query": request.GET.urlencode(),
    })


@login_required
def facility_detail(request, pk: int):
    f = scope.access_facility_by_id(request.user, pk)
    return render(request, "places/facility_detail.html", {
        "f": f, "can_edit": scope.can_edit(request.user, f.region_id)})


@login_required
def organisation_list(request):
    qs = narrow(request, scope.organisations_for(request.user))
    kind = request.GET.get("kind", "")
    q = request.GET.get("q", "").strip()
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(name__icontains=q)
    return render(request, "places/organisation_list.html", {
        "page": _page(request, qs.order_by("kind", "region_id", "name")), "total": qs.count(),
        "kinds": Organisation.Kind.choices, "kind": kind, "q": q,
        "can_export": scope.scope_of(request.user).has_right(EXPORT),
        "query": request.GET.urlencode(),
    })


@login_required
def organisation_detail(request, pk: int):
    o = scope.access_organisation_by_id(request.user, pk)
    return render(request, "places/organisation_detail.html", {
        "o": o, "personal": personal_values(request.user, o),
        "compounds": scope.compounds_for(request.user).filter(property_company=o)[:100],
    })


@login_required
def region_detail(request, code: str):
    r = scope.access_region_by_code(request.user, code)
    p = code_prefix(r.code)
    compounds = scope.compounds_for(request.user).filter(region__code__startswith=p)
    facilities = scope.facilities_for(request.user).filter(region__code__startswith=p)
    children = []
    for child in scope.regions_for(request.user).filter(parent=r).order_by("code"):
        cp = code_prefix(child.code)
        children.append({
            "region": child, "compounds": compounds.filter(region__code__startswith=cp).count(),
            "facilities": facilities.filter(region__code__startswith=cp).count(),
        })
    return render(request, "places/region_detail.html", {
        "r": r, "ancestors": r.ancestors(), "children": children,
        "compounds": compounds.count(), "facilities": facilities.count(),
        "grids": scope.grids_for(request.user).filter(region__code__startswith=p).count(),
    })


@login_required
def grid_list(request):
    qs = narrow(request, scope.grids_for(request.user)).annotate(n=Count("compound"))
    return render(request, "places/grid_list.html", {
        "page": _page(request, qs.order_by("region_id", "name"), 50), "total": qs.count(),
        "can_export": scope.scope_of(request.user).has_right(EXPORT)})
