"""Who may read and edit the annual report, on top of places/scope.py (the one scoping
function): reading needs VIEW_INDICATORS in the region, editing the narrative MANAGE_REPORTS.
A region outside the user's scope is 404 (not revealed); a user in scope without the right,
or without the right anywhere (residents), gets 403."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from minsheng.accounts.roles import MANAGE_REPORTS, VIEW_INDICATORS
from minsheng.places.models import Region
from minsheng.places.scope import scope_of
from minsheng.reports.services import REPORT_LEVELS


def may_read_reports(user) -> bool:
    return scope_of(user).has_right(VIEW_INDICATORS)


def may_edit(user, region: Region) -> bool:
    return scope_of(user).has_right(MANAGE_REPORTS, region.code)


def access_report_region(user, code: str | None) -> Region:
    scope = scope_of(user)
    if not scope.has_right(VIEW_INDICATORS):
        raise PermissionDenied
    region = Region.objects.filter(code=(code or "").strip()).first()
    if region is None or region.level not in REPORT_LEVELS or not scope.reads(region.code):
        raise Http404
    if not scope.has_right(VIEW_INDICATORS, region.code):
        raise PermissionDenied
    return region


def report_regions_for(user) -> QuerySet[Region]:
    """Regions offered in the selector: the districts and streets the user may read a report
    of, and the user's own region when it is a community."""
    scope = scope_of(user)
    qs = Region.objects.filter(level__in=(Region.Level.DISTRICT, Region.Level.STREET))
    if scope.everything:
        return qs.filter(children__isnull=False).distinct().order_by("code")
    own = Region.objects.filter(code__in=[g.prefix.ljust(12, "0") for g in scope.grants],
                                level__in=REPORT_LEVELS)
    codes = [r.code for r in (qs.filter(scope.region_q("code")) | own).distinct()
             if scope.has_right(VIEW_INDICATORS, r.code)]
    return Region.objects.filter(code__in=codes).order_by("code")
