"""Who sees which cases, built on places.scope.scope_of (the one scoping function).

- memberships with VIEW_REGION_CASES (district admin, viewer, street, community, grid staff) see
  the cases in their region;
- memberships with HANDLE_CASES for an organisation (property company, mediation committee,
  department, legal-aid centre …) see the cases their organisation holds or has held;
- a resident sees the cases they filed (others only on the anonymised public map);
- anyone with a case's private link (token) sees that one case's public history.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from minsheng.accounts.roles import (
    HANDLE_CASES,
    PATROL,
    SUPERVISE_CASES,
    VIEW_CASE_STATS,
    VIEW_REGION_CASES,
)
from minsheng.cases.models import Attachment, Case, CaseEvent, Device
from minsheng.places.scope import scope_of


def cases_for(user) -> QuerySet[Case]:
    qs = Case.objects.select_related("case_type", "organisation", "region")
    s = scope_of(user)
    if s.everything:
        return qs
    if not user.is_authenticated:
        return qs.none()
    q = Q(reporter_id=user.pk)
    for g in s.grants_with(VIEW_REGION_CASES):
        q |= Q(region__code__startswith=g.prefix)
    orgs = {g.organisation_id for g in s.grants_with(HANDLE_CASES) if g.organisation_id}
    if orgs:
        held = CaseEvent.objects.filter(organisation_id__in=orgs).values("case_id")
        q |= Q(organisation_id__in=orgs) | Q(pk__in=held)
    return qs.filter(q)


def devices_for(user) -> QuerySet[Device]:
    """The smart devices a user's figures count, as cases_for counts cases: those of compounds in
    the regions where the user sees every case, and those their own organisations operate."""
    qs = Device.objects.all()
    s = scope_of(user)
    if s.everything:
        return qs
    if not user.is_authenticated:
        return qs.none()
    q = Q(pk__in=[])
    for g in s.grants_with(VIEW_REGION_CASES):
        q |= Q(compound__region__code__startswith=g.prefix)
    orgs = {g.organisation_id for g in s.grants_with(HANDLE_CASES) if g.organisation_id}
    if orgs:
        q |= Q(organisation_id__in=orgs)
    return qs.filter(q)


def cases_in(user, prefix: str) -> QuerySet[Case]:
    """cases_for(user) narrowed to a region prefix (the region switcher's). When one of the
    user's region grants covers the prefix, that is every case of the prefix: the query then
    reads the region alone, without the OR over reporters and organisations' histories, which
    keeps PostgreSQL on the region and created-at indexes over millions of cases
    (bench/province_bench.py)."""
    s = scope_of(user)
    if prefix and user.is_authenticated and not s.everything and any(
            prefix.startswith(g.prefix) for g in s.grants_with(VIEW_REGION_CASES)):
        return Case.objects.select_related("case_type", "organisation", "region").filter(
            region__code__startswith=prefix)
    qs = cases_for(user)
    return qs.filter(region__code__startswith=prefix) if prefix else qs


def access_case_by_id(user, pk) -> Case:
    try:
        return cases_for(user).get(pk=pk)
    except (Case.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def public_attachments() -> QuerySet[Attachment]:
    """Photos anyone may see: the public photos (filed with the case, or of a public step) of a
    case that is public and of a public case type (the cases Open311 lists)."""
    return Attachment.objects.filter(case__public=True, case__case_type__public=True).filter(
        Q(event__isnull=True) | Q(event__public=True))


def public_cases() -> QuerySet[Case]:
    """Cases anyone may see (without personal data): public, of a public type, not merged (the
    cases Open311 lists)."""
    return Case.objects.filter(public=True, case_type__public=True).exclude(
        status=Case.Status.MERGED)


def public_case_by_number(number: str) -> Case:
    case = public_cases().select_related("case_type", "organisation", "region").filter(
        number=number).first()
    if case is None:
        raise Http404
    return case


def case_by_token(token: str) -> Case:
    try:
        return Case.objects.select_related("case_type", "organisation", "region").get(
            token=token)
    except Case.DoesNotExist:
        raise Http404 from None


def queue_for(user) -> QuerySet[Case]:
    """Open cases held by the user's organisations (their work queue)."""
    orgs = [g.organisation_id for g in scope_of(user).grants if g.organisation_id]
    return Case.objects.filter(organisation_id__in=orgs,
                               status__in=[Case.Status.ASSIGNED, Case.Status.ACCEPTED]
                               ).select_related("case_type", "region", "organisation")


def is_case_staff(user) -> bool:
    """Anyone acting for an organisation or a region, not only as a resident (the case list and
    the case detail are for them)."""
    return scope_of(user).has_right(HANDLE_CASES)


def is_case_supervisor(user) -> bool:
    """District admins and street staff (and superusers): they see and merge any case in scope."""
    return scope_of(user).has_right(SUPERVISE_CASES)


def can_patrol(user) -> bool:
    """Grid workers and community, street and district staff may file on the patrol form."""
    return scope_of(user).has_right(PATROL)


def has_queue(user) -> bool:
    """The user acts for at least one organisation (so /cases/queue/ can hold cases for them)."""
    return bool(org_ids_of(user))


def org_ids_of(user) -> list[int]:
    return sorted({g.organisation_id for g in scope_of(user).grants if g.organisation_id})


def can_see_stats(user) -> bool:
    """Supervisors, departments and viewers see 诉求统计 for their region."""
    return scope_of(user).has_right(VIEW_CASE_STATS)
