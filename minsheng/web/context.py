"""Context shared by every page: navigation, the user's scope and the region switcher."""

from __future__ import annotations

from django.conf import settings

from minsheng.places.scope import scope_of


def shell(request):
    user = getattr(request, "user", None)
    ctx = {"MAP_TILE_URL": settings.MAP_TILE_URL, "MAP_TILE_ATTRIBUTION": settings.MAP_TILE_ATTRIBUTION}
    if user is None or not user.is_authenticated:
        return ctx
    from minsheng.web.regionswitch import current_region, switchable_regions

    ctx["current_region"] = current_region(request)
    ctx["switchable_regions"] = switchable_regions(request.user)
    ctx["user_scope"] = scope_of(user)
    from minsheng.places.scope import editable_regions_for

    ctx["can_import"] = editable_regions_for(user).exists()
    from minsheng.projects.access import expenditure_for, plans_for

    ctx["can_projects"] = plans_for(user).exists()
    ctx["can_budget"] = expenditure_for(user).exists()
    from minsheng.accounts.roles import (
        APPROVE_DATA,
        ENTER_DATA,
        MANAGE_REPORTS,
        VIEW_INDICATORS,
    )
    from minsheng.cases.stats_views import can_see_stats
    from minsheng.cases.views import can_patrol, has_queue, is_case_staff

    scope = ctx["user_scope"]
    ctx["indicator_nav"] = {
        "dashboard": scope.has_right(VIEW_INDICATORS),
        "entry": scope.has_right(ENTER_DATA) or scope.has_right(APPROVE_DATA),
        "report": scope.has_right(VIEW_INDICATORS) or scope.has_right(MANAGE_REPORTS)}
    ctx["case_nav"] = {"queue": has_queue(user), "staff": is_case_staff(user),
                       "patrol": can_patrol(user), "stats": can_see_stats(user)}
    return ctx
