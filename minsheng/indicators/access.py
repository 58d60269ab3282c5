"""Who sees and enters which indicator figures, built on places/scope.py (the one scoping function).

- the dashboard, an indicator's page and their Excel: VIEW_INDICATORS in the region shown. No
  right anywhere is 403 ("您的角色不能查看民生指标。"); a region outside the user's scope is 404
  (as places.scope.access_region_by_code); in scope but without the right there (a street user
  asking for the district) is 403; a region that is not a district, street or community is 404.
  Exporting the figures needs EXPORT there as well.
- data entry: ENTER_DATA or APPROVE_DATA somewhere to open the pages at all (403), and in the
  return's region to open a return (404 otherwise, like a region outside scope); approving,
  returning and un-approving a return need APPROVE_DATA there (403).

The views (views.py, entry_views.py) and the entry service (entry.py) ask these functions and
nothing else.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from minsheng.accounts.roles import APPROVE_DATA, ENTER_DATA, EXPORT, VIEW_INDICATORS
from minsheng.indicators.models import Completion
from minsheng.places.models import Region
from minsheng.places.scope import access_region_by_code, scope_of

__all__ = [
    "LEVELS",
    "access_indicator_region",
    "can_approve",
    "can_enter",
    "can_export",
    "can_view",
    "default_region_for",
    "entry_regions_for",
    "may_use_entry",
    "reads",
]

# the levels indicators are shown for
LEVELS = (Region.Level.DISTRICT, Region.Level.STREET, Region.Level.COMMUNITY)


# --- viewing ------------------------------------------------------------------------------------


def can_view(user, code: str | None = None) -> bool:
    """VIEW_INDICATORS over region `code` (or anywhere, if None)."""
    return scope_of(user).has_right(VIEW_INDICATORS, code)


def can_export(user, code: str) -> bool:
    return scope_of(user).has_right(EXPORT, code)


def reads(user, code: str) -> bool:
    """Whether the region is in the user's scope at all."""
    return scope_of(user).reads(code)


def default_region_for(user, current: Region | None = None) -> Region:
    """The region shown when none is asked for: the switcher's region (`current`) when the user
    may view its indicators, else the widest region in which a membership grants the right, else
    (for a superuser) the first district; 404 when there is none."""
    s = scope_of(user)
    if current is not None and current.level in LEVELS and can_view(user, current.code):
        return current
    rights = sorted((g.prefix for g in s.grants
                     if g.prefix and can_view(user, g.prefix.ljust(12, "0"))), key=len)
    for p in rights:
        r = Region.objects.filter(code=p.ljust(12, "0"), level__in=LEVELS).first()
        if r is not None:
            return r
    if s.everything:
        r = Region.objects.filter(level=Region.Level.DISTRICT).order_by("code").first()
        if r is not None:
            return r
    raise Http404


def access_indicator_region(user, code: str | None, *, current: Region | None = None) -> Region:
    """The region whose indicators the user asked for (`code`, else default_region_for), checked:
    no right anywhere → 403; outside scope → 404; in scope without the right there → 403; not a
    district, street or community → 404."""
    if not can_view(user):
        raise PermissionDenied(_("您的角色不能查看民生指标。"))
    region = access_region_by_code(user, code) if code else default_region_for(user, current)
    if not can_view(user, region.code):
        raise PermissionDenied(_("您无权查看该区划的民生指标。"))
    if region.level not in LEVELS:
        raise Http404
    return region


# --- data entry ---------------------------------------------------------------------------------


def may_use_entry(user) -> bool:
    """Whether the user may enter or approve data anywhere (the data-entry pages at all)."""
    s = scope_of(user)
    return s.has_right(ENTER_DATA) or s.has_right(APPROVE_DATA)


def can_enter(user, region: Region) -> bool:
    """Enter (save, submit) a return of the region: ENTER_DATA or APPROVE_DATA there."""
    s = scope_of(user)
    return s.has_right(ENTER_DATA, region.code) or s.has_right(APPROVE_DATA, region.code)


def can_approve(user, region: Region) -> bool:
    """Approve, return or un-approve a return of the region."""
    return scope_of(user).has_right(APPROVE_DATA, region.code)


def entry_regions_for(user, level: str) -> QuerySet[Region]:
    """Regions of a level in which the user may enter or approve data."""
    s = scope_of(user)
    qs = Region.objects.filter(level=level)
    if s.everything:
        return qs
    prefixes = {g.prefix for g in s.grants
                if {ENTER_DATA, APPROVE_DATA} & g.rights}
    if not prefixes:
        return qs.none()
    q = Q()
    for p in prefixes:
        q |= Q(code__startswith=p)
    return qs.filter(q)


def returns_to_review(user) -> QuerySet[Completion]:
    """Submitted returns waiting for this user's approval: in regions where the user holds
    APPROVE_DATA, never the user's own submissions (the home page and the navigation count them)."""
    s = scope_of(user)
    qs = Completion.objects.filter(state=Completion.State.SUBMITTED).exclude(
        submitted_by=user)
    if s.everything:
        return qs
    prefixes = {g.prefix for g in s.grants if APPROVE_DATA in g.rights}
    if not prefixes:
        return qs.none()
    q = Q()
    for p in prefixes:
        q |= Q(region__code__startswith=p)
    return qs.filter(q)
