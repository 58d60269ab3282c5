"""Who reads and does what in the life circle, built on places.scope (the one scoping function).

- the pages show the district of the region the user has switched to, and the compounds and
  facilities of the user's scope in that region;
- recomputing and importing a district's network need the right to edit places there;
- the siting analysis and its proposals need the right to plan services (PLAN_SERVICES) in the
  region; saving a proposal needs the right to edit places in the district; turning one into a
  project needs the right to manage projects there;
- a proposal outside the user's regions is "not found" (404), one inside without the right to
  plan is "forbidden" (403).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from minsheng.accounts.roles import EDIT_PLACES, MANAGE_PROJECTS, PLAN_SERVICES
from minsheng.lifecircle.models import Proposal, Run
from minsheng.places import scope
from minsheng.places.models import Compound, Facility, Region, code_prefix, district_code
from minsheng.places.regionswitch import current_region
from minsheng.projects.models import Plan
from minsheng.projects.services import today


def district_of(code: str) -> Region:
    """The district (区/县) a region code lies in."""
    return Region.objects.get(code=district_code(code))


def district_for(request) -> Region | None:
    """The district of the region the user has switched to; None above district level."""
    region = current_region(request)
    if region is None or len(code_prefix(region.code)) < 6:
        return None
    return Region.objects.filter(code=district_code(region.code)).first()


def compounds_for(user, region: Region) -> QuerySet[Compound]:
    """The compounds of the user's scope in `region`."""
    return scope.compounds_for(user).filter(region__code__startswith=code_prefix(region.code))


def facilities_for(user, region: Region) -> QuerySet[Facility]:
    """The facilities of the user's scope in `region`."""
    return scope.facilities_for(user).filter(region__code__startswith=code_prefix(region.code))


def proposals_for(user, district: Region) -> QuerySet[Proposal]:
    """The saved proposals of the user's regions in a district, newest first."""
    return (Proposal.objects.filter(scope.scope_of(user).region_q("region__code"),
                                    region__code__startswith=code_prefix(district.code))
            .select_related("category", "region", "created_by", "project"))


def current_plan(district: Region) -> Plan | None:
    """This year's livelihood plan of the district, which a proposal's project joins."""
    return Plan.objects.filter(region=district, year=today().year).first()


def can_recompute(user, district: Region) -> bool:
    """May recompute the district's life circle and import its network."""
    return scope.scope_of(user).has_right(EDIT_PLACES, district.code)


def can_plan(user, code: str | None = None) -> bool:
    """May run the siting analysis and read proposals in region `code` (anywhere, if None)."""
    return scope.scope_of(user).has_right(PLAN_SERVICES, code)


def can_save(user, district: Region) -> bool:
    """May save a proposal of the district."""
    return scope.scope_of(user).has_right(EDIT_PLACES, district.code)


def can_convert(user, district: Region) -> bool:
    """May turn a proposal of the district into a livelihood project."""
    return scope.scope_of(user).has_right(MANAGE_PROJECTS, district.code)


def check_plan(user, region: Region | None) -> None:
    """Raise PermissionDenied unless the user may plan in `region` (or anywhere, if None)."""
    if not can_plan(user, region.code if region is not None else None):
        raise PermissionDenied


def access_proposal_by_id(user, pk) -> Proposal:
    """A proposal of the user's regions (else 404) that the user may plan for (else 403)."""
    p = (Proposal.objects.select_related("region", "category", "run", "project", "created_by")
         .filter(pk=pk).first())
    if p is None:
        raise Http404
    if not scope.scope_of(user).reads(p.region.code):
        raise Http404
    if not can_plan(user, p.region.code):
        raise PermissionDenied
    return p


def reads_any_of(user, district_code6: str) -> bool:
    """Reads the district or any region inside it (a street user reads part of it)."""
    sc = scope.scope_of(user)
    return sc.everything or any(p.startswith(district_code6) or district_code6.startswith(p)
                                for p in sc.prefixes)


def access_run_by_id(user, pk) -> Run:
    """A run of a district the user reads, as a whole or in part: the overview of a street user
    shows the district's run and polls its progress, so a street's reader polls it too; a run of
    another district is 404."""
    run = Run.objects.filter(pk=pk).select_related("region").first()
    if run is None:
        raise Http404
    if not reads_any_of(user, run.region.code[:6]):
        raise Http404
    return run
