"""Context shared by every page: navigation, the user's scope and the region switcher. It asks the
apps' access modules (never their views) what the user may open."""

from __future__ import annotations

import time

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from minsheng.accounts.middleware import stamp_is_fresh
from minsheng.accounts.roles import APPROVE_DATA, ENTER_DATA, MANAGE_REPORTS, VIEW_INDICATORS
from minsheng.assistance.access import can_view_stats as can_assistance
from minsheng.assistance.monitoring_access import can_view_records as can_monitor
from minsheng.cases.access import can_patrol, can_see_stats, has_queue, is_case_staff, queue_for
from minsheng.cases.incidents import can_view as can_see_incidents
from minsheng.cases.incidents import returns_to_approve
from minsheng.employment.access import uses_employment
from minsheng.governance.access import nav as governance_nav
from minsheng.indicators.access import returns_to_review
from minsheng.places.regionswitch import current_region, switchable_regions
from minsheng.places.scope import editable_regions_for, scope_of
from minsheng.projects.access import expenditure_for, plans_for, reports_to_review


def shell(request):
    user = getattr(request, "user", None)
    ctx = {"MAP_TILE_URL": settings.MAP_TILE_URL, "MAP_TILE_ATTRIBUTION": settings.MAP_TILE_ATTRIBUTION}
    if user is None or not user.is_authenticated:
        return ctx
    ctx["current_region"] = current_region(request)
    ctx.update(_held_nav(request, user))
    ctx["user_scope"] = scope = scope_of(user)
    ctx["can_assistance"] = can_assistance(user)
    ctx["can_employment"] = uses_employment(user)
    ctx["indicator_nav"] = {
        "dashboard": scope.has_right(VIEW_INDICATORS),
        "entry": scope.has_right(ENTER_DATA) or scope.has_right(APPROVE_DATA),
        "report": scope.has_right(VIEW_INDICATORS) or scope.has_right(MANAGE_REPORTS)}
    ctx["governance_nav"] = governance_nav(user)
    ctx["can_monitor"] = can_monitor(user)
    ctx["case_nav"] = {"queue": has_queue(user), "staff": is_case_staff(user),
                       "patrol": can_patrol(user), "stats": can_see_stats(user),
                       "incidents": can_see_incidents(user)}
    ctx["waiting"] = waiting_for(user, ctx)
    return ctx


NAV_KEY = "_minsheng_nav"


def _held_nav(request, user) -> dict:
    """The region switcher's list and the links that depend on what data the user's regions
    hold (imports, projects, budget): four queries on every page, so the session keeps them for
    SESSION_REFRESH_SECONDS (accounts.middleware.stamp_is_fresh). A change of rights shows in the navigation within that minute; the
    pages themselves check access on every request, and the switcher's POST checks the scope."""
    now = int(time.time())
    session = getattr(request, "session", None)
    if session is not None and session.session_key is None:
        session = None  # HTTP Basic on the browsable API: no session is made for it
    held = session.get(NAV_KEY) if session is not None else None
    if isinstance(held, dict) and held.get("user") == user.pk and stamp_is_fresh(held.get("at"), now):
        return held["nav"]
    nav = {
        "switchable_regions": [{"code": r.code, "name": r.name, "level": r.level}
                               for r in switchable_regions(user)],
        "can_import": editable_regions_for(user).exists(),
        "can_projects": plans_for(user).exists(),
        "can_budget": expenditure_for(user).exists(),
    }
    if session is not None:
        session[NAV_KEY] = {"user": user.pk, "at": now, "nav": nav}
    return nav


def waiting_for(user, ctx: dict) -> dict:
    """What waits for this user's action, counted through the apps' access modules: progress
    reports to review, data returns to approve, cases in the user's queue. The navigation shows
    the total; the home page lists each with its link."""
    items = []
    if ctx["case_nav"]["queue"]:
        n = queue_for(user).count()
        if n:
            items.append({"kind": "cases", "n": n, "url": reverse("cases:queue"),
                          "label": _("件诉求在我的待办中")})
    reports = reports_to_review(user)
    n = reports.count()
    if n:
        year = reports.order_by("project__plan__year").values_list(
            "project__plan__year", flat=True).first()
        items.append({"kind": "reports", "n": n,
                      "url": f"{reverse('projects:list')}?year={year}&review=1",
                      "label": _("份项目进度报告待审核")})
    if ctx["indicator_nav"]["entry"]:
        n = returns_to_review(user).count()
        if n:
            items.append({"kind": "returns", "n": n, "url": reverse("indicators:entry"),
                          "label": _("份数据填报待审核")})
    if ctx["case_nav"]["incidents"]:
        n = returns_to_approve(user).count()
        if n:
            items.append({"kind": "incidents", "n": n, "url": reverse("casestats:incidents"),
                          "label": _("份警情月报待审核")})
    return {"items": items, "total": sum(i["n"] for i in items)}
