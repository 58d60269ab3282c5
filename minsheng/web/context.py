"""Context shared by every page: navigation, the user's scope and the region switcher. It asks the
apps' access modules (never their views) what the user may open."""

from __future__ import annotations

from django.conf import settings

from minsheng.accounts.roles import APPROVE_DATA, ENTER_DATA, MANAGE_REPORTS, VIEW_INDICATORS
from minsheng.assistance.monitoring_access import can_view_records as can_monitor
from minsheng.cases.access import can_patrol, can_see_stats, has_queue, is_case_staff
from minsheng.governance.access import nav as governance_nav
from minsheng.places.regionswitch import current_region, switchable_regions
from minsheng.places.scope import editable_regions_for, scope_of
from minsheng.projects.access import expenditure_for, plans_for


def shell(request):
    user = getattr(request, "user", None)
    ctx = {"MAP_TILE_URL": settings.MAP_TILE_URL, "MAP_TILE_ATTRIBUTION": settings.MAP_TILE_ATTRIBUTION}
    if user is None or not user.is_authenticated:
        return ctx
    ctx["current_region"] = current_region(request)
    ctx["switchable_regions"] = switchable_regions(request.user)
    ctx["user_scope"] = scope = scope_of(user)
    ctx["can_import"] = editable_regions_for(user).exists()
    ctx["can_projects"] = plans_for(user).exists()
    ctx["can_budget"] = expenditure_for(user).exists()
    ctx["indicator_nav"] = {
        "dashboard": scope.has_right(VIEW_INDICATORS),
        "entry": scope.has_right(ENTER_DATA) or scope.has_right(APPROVE_DATA),
        "report": scope.has_right(VIEW_INDICATORS) or scope.has_right(MANAGE_REPORTS)}
    ctx["governance_nav"] = governance_nav(user)
    ctx["can_monitor"] = can_monitor(user)
    ctx["case_nav"] = {"queue": has_queue(user), "staff": is_case_staff(user),
                       "patrol": can_patrol(user), "stats": can_see_stats(user)}
    return ctx
