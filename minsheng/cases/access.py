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

from minsheng.accounts.roles import HANDLE_CASES, VIEW_REGION_CASES
from minsheng.cases.models import Case, CaseEvent
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


def access_case_by_id(user, pk) -> Case:
    try:
        return cases_for(user).get(pk=pk)
    except (Case.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


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
