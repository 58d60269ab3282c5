"""The shell's pages: log-in, the home page and the health check. The places pages are in
places/views.py; every queryset comes from places/scope.py."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from minsheng.accounts.roles import (
    APPROVE_DATA,
    EDIT_PLACES,
    ENTER_DATA,
    MANAGE_PROJECTS,
    PLAN_SERVICES,
    REPORT_PROGRESS,
    SERVE_COMPOUNDS,
    VIEW_INDICATORS,
)
from minsheng.cases.access import can_patrol, can_see_stats, has_queue, is_case_staff
from minsheng.indicators import access as indicator_access
from minsheng.indicators import services as indicators
from minsheng.places import scope
from minsheng.places.models import (
    Compound,
    Region,
    code_prefix,
)
from minsheng.places.regionswitch import current_region, narrow
from minsheng.projects.access import plans_for


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True


HOME_INDICATORS = ("compounds_total", "management_coverage", "committee_coverage",
                   "party_secretary_head_share", "signed_service_points", "renovations_done")
HOME_ELEMENTS = ("compounds_total", "households_total", "population_total", "compounds_managed",
                 "compounds_with_committee", "committees_party_secretary", "compounds_old",
                 "compounds_renovated", "signed_service_points")


@login_required
def home(request):
    """The region's figures come from the indicators (indicators.services.current_figures), the
    numbers the dashboard and the annual report print; only the lists below them (status bars,
    facility categories, sub-regions) are counted here from the scoped registry."""
    region = current_region(request)
    compounds = narrow(request, scope.compounds_for(request.user))
    facilities = narrow(request, scope.facilities_for(request.user))
    figures: dict = {}
    if region is not None and region.level in indicator_access.LEVELS:
        figures = indicators.current_figures(region.code, HOME_INDICATORS, HOME_ELEMENTS)

    def count(code: str) -> int | None:  # missing is not zero: the page prints "—"
        v = figures.get(code)
        return int(v) if v is not None else None

    def shown(code: str) -> int | str:  # inside a sentence
        v = count(code)
        return "—" if v is None else v

    def share(code: str) -> str:
        v = figures.get(code)
        return v.text if v is not None else "—"

    n = count("compounds_total") if figures else compounds.count()  # no region: the list
    by_status = [
        {"label": label, "count": compounds.filter(property_status=value).count(), "value": value}
        for value, label in Compound.PropertyStatus.choices
    ]
    by_category = list(
        facilities.values("category__name", "category__name_en", "category__color")
        .annotate(n=Count("id")).order_by("-n")[:12]
    )
    top = max((c["n"] for c in by_category), default=1)
    for c in by_category:
        c["pct"] = round(100 * c["n"] / top)
    children = []
    if region is not None:
        for child in Region.objects.filter(parent=region).order_by("code"):
            p = code_prefix(child.code)
            row = {"region": child,
                   "compounds": compounds.filter(region__code__startswith=p).count(),
                   "facilities": facilities.filter(region__code__startswith=p).count()}
            if row["compounds"] or row["facilities"]:  # no rows of zeros outside one's work
                children.append(row)
    generated = compounds.filter(generated=True).exists()
    done = figures.get("renovations_done")
    return render(request, "web/home.html", {
        "first_actions": first_actions(request.user),
        "region": region, "n": n,
        "totals": {"households": count("households_total"),
                   "population": count("population_total")},
        "managed": shown("compounds_managed"), "managed_pct": share("management_coverage"),
        "committees": shown("compounds_with_committee"),
        "committees_pct": share("committee_coverage"),
        "secretaries": shown("committees_party_secretary"),
        "secretaries_pct": share("party_secretary_head_share"),
        "old": count("compounds_old"), "renovated": shown("compounds_renovated"),
        "renovated_this_year": done.text if done is not None else "—",
        "facilities": facilities.count(),
        "signed": count("signed_service_points"),
        "by_status": by_status, "by_category": by_category, "children": children,
        "generated": generated,
    })


def first_actions(user) -> list[dict]:
    """What this role does first, most frequent first (the home page's buttons), each asked of
    the apps' access modules so that no button leads to a page the user cannot open."""
    s = scope.scope_of(user)
    out = []

    def add(label, name, query=""):
        out.append({"label": label, "url": reverse(name) + query})

    if not is_case_staff(user):
        add(_("我要反映问题"), "cases:new")
        add(_("我的诉求"), "cases:mine")
    if can_patrol(user) and not s.has_right(MANAGE_PROJECTS) and not s.has_right(EDIT_PLACES):
        add(_("巡查上报"), "cases:patrol")
    if has_queue(user):
        add(_("我的待办诉求"), "cases:queue")
    if s.has_right(REPORT_PROGRESS) and plans_for(user).exists():
        add(_("报送项目进度"), "projects:list")
    if s.has_right(ENTER_DATA) or s.has_right(APPROVE_DATA):
        add(_("数据填报"), "indicators:entry")
    if s.has_right(MANAGE_PROJECTS):
        add(_("民生项目"), "projects:list")
    if s.has_right(VIEW_INDICATORS):
        add(_("民生指标"), "indicators:dashboard")
    if can_see_stats(user):
        add(_("诉求统计"), "casestats:stats")
    if s.has_right(SERVE_COMPOUNDS) and not s.prefixes:
        add(_("在管小区"), "places:compounds")
    if s.has_right(PLAN_SERVICES) or not out:
        add(_("生活圈"), "lifecircle:overview")
    return out[:5]


