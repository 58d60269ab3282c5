"""The region switcher: which region the pages show, limited to the user's scope.

The chosen region is only a view filter; the security boundary is always places/scope.py.
"""

from __future__ import annotations

from minsheng.places.models import Region, code_prefix
from minsheng.places.scope import regions_for, scope_of

SESSION_KEY = "minsheng_region"


def switchable_regions(user) -> list[Region]:
    """The regions offered in the switcher: each region the user holds, and the streets below it."""
    scope = scope_of(user)
    # every page's navigation reads these: without their outlines (GeoJSON parsed for nothing)
    regions = Region.objects.defer("boundary")
    if scope.everything:
        roots = list(regions.filter(level=Region.Level.DISTRICT, boundary__isnull=False)
                     .order_by("code"))
        if not roots:
            roots = list(regions.filter(level=Region.Level.DISTRICT,
                                        children__isnull=False).distinct()[:50])
    else:
        roots = list(regions.filter(code__in=[p.ljust(12, "0") for p in scope.prefixes]))
    out: list[Region] = []
    for r in roots:
        out.append(r)
        if r.level in (Region.Level.DISTRICT, Region.Level.CITY):
            out.extend(regions.filter(parent=r).order_by("code"))
    return out


def current_region(request) -> Region | None:
    if hasattr(request, "_minsheng_region"):
        return request._minsheng_region
    user = request.user
    scope = scope_of(user)
    code = request.session.get(SESSION_KEY)
    region = None
    if code and (scope.reads(code) or scope.everything):
        region = Region.objects.defer("boundary").filter(code=code).first()
    if region is None:
        home = scope.home_prefix()
        if home is not None:
            region = Region.objects.defer("boundary").filter(code=home.ljust(12, "0")).first()
        else:
            offered = switchable_regions(user)
            region = offered[0] if offered else None
    if region is None and scope.managed_company_ids:
        region = regions_for(user).filter(level=Region.Level.DISTRICT).first()
    request._minsheng_region = region
    return region


def current_prefix(request) -> str:
    r = current_region(request)
    return code_prefix(r.code) if r else ""


def narrow(request, qs):
    """Narrow a scoped queryset (one with a `region`) to the region chosen in the switcher; the
    scope itself was applied by the access function that made `qs`."""
    prefix = current_prefix(request)
    return qs.filter(region__code__startswith=prefix) if prefix else qs
