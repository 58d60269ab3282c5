"""Who sees what of the evaluation, built on places.scope.scope_of.

- MANAGE_GOVERNANCE (district admin): the schemes of their region, every scorecard and inspection
  in it; computes, publishes.
- INSPECT_COMPOUNDS (street and community staff): record and read inspections of the compounds of
  their area; read the schemes that apply there (a district's scheme applies in its streets).
- a property company's members (SERVE_COMPOUNDS): their own company's scorecards and inspections.
- everybody: the published ranking (public page, no personal data) and a compound's survey by its
  token.
"""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.db.models import Q, QuerySet
from django.http import Http404

from minsheng.accounts.roles import INSPECT_COMPOUNDS, MANAGE_GOVERNANCE
from minsheng.governance.models import Inspection, Scheme, Scorecard, Survey
from minsheng.places.models import Compound, code_prefix
from minsheng.places.scope import Scope, scope_of


def _prefixes(s: Scope, right: str) -> list[str]:
    return sorted({g.prefix for g in s.grants_with(right)})


def _within(prefixes: list[str], field: str) -> Q:
    if not prefixes:
        return Q(pk__in=[])
    return reduce(or_, (Q(**{f"{field}__startswith": p}) for p in prefixes))


def schemes_for(user) -> QuerySet[Scheme]:
    """Schemes of a region where the user manages, or above an area the user inspects."""
    s = scope_of(user)
    if s.everything:
        return Scheme.objects.all()
    ids = set()
    for scheme in Scheme.objects.only("pk", "region_id"):
        p = code_prefix(scheme.region_id)
        if any(p.startswith(g) for g in _prefixes(s, MANAGE_GOVERNANCE)) or any(
                g.startswith(p) for g in _prefixes(s, INSPECT_COMPOUNDS)):
            ids.add(scheme.pk)
    return Scheme.objects.filter(pk__in=ids)


def managed_schemes_for(user) -> QuerySet[Scheme]:
    s = scope_of(user)
    if s.everything:
        return Scheme.objects.all()
    return Scheme.objects.filter(_within(_prefixes(s, MANAGE_GOVERNANCE), "region__code"))


def scorecards_for(user) -> QuerySet[Scorecard]:
    s = scope_of(user)
    qs = Scorecard.objects.select_related("scheme", "company")
    if s.everything:
        return qs
    q = _within(_prefixes(s, MANAGE_GOVERNANCE), "scheme__region__code")
    if s.managed_company_ids:
        q |= Q(company_id__in=s.managed_company_ids)
    return qs.filter(q)


def inspections_for(user) -> QuerySet[Inspection]:
    s = scope_of(user)
    qs = Inspection.objects.select_related("compound", "company", "scheme", "inspector")
    if s.everything:
        return qs
    q = _within(_prefixes(s, MANAGE_GOVERNANCE) + _prefixes(s, INSPECT_COMPOUNDS),
                "region__code")
    if s.managed_company_ids:
        q |= Q(company_id__in=s.managed_company_ids)
    return qs.filter(q)


def inspectable_compounds_for(user) -> QuerySet[Compound]:
    """Compounds with a property company in the areas where the user inspects."""
    s = scope_of(user)
    qs = Compound.objects.filter(property_company__isnull=False).select_related(
        "region", "property_company")
    if s.everything:
        return qs
    return qs.filter(_within(_prefixes(s, INSPECT_COMPOUNDS) + _prefixes(s, MANAGE_GOVERNANCE),
                             "region__code"))


def _get(qs: QuerySet, pk):
    try:
        return qs.get(pk=pk)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def access_scorecard_by_id(user, pk) -> Scorecard:
    return _get(scorecards_for(user), pk)


def access_inspection_by_id(user, pk) -> Inspection:
    return _get(inspections_for(user), pk)


def access_survey_by_token(token: str) -> Survey:
    survey = (Survey.objects.select_related("compound", "compound__property_company", "scheme")
              .filter(token=str(token)[:40]).first())
    if survey is None:
        raise Http404
    return survey


def can_manage(user, scheme: Scheme) -> bool:
    return scope_of(user).has_right(MANAGE_GOVERNANCE, scheme.region_id)


def owns(user, card: Scorecard) -> bool:
    """The user speaks for the scorecard's company (may object to it)."""
    return card.company_id in scope_of(user).managed_company_ids


def can_inspect(user) -> bool:
    s = scope_of(user)
    return s.has_right(INSPECT_COMPOUNDS) or s.has_right(MANAGE_GOVERNANCE)


def nav(user) -> dict[str, bool]:
    """What the shell's navigation shows (web/context.py)."""
    s = scope_of(user)
    return {"evaluation": (s.has_right(MANAGE_GOVERNANCE) or s.has_right(INSPECT_COMPOUNDS)
                           or bool(s.managed_company_ids))}
