"""Who sees what of the evaluation, built on places.scope.scope_of.

- MANAGE_GOVERNANCE (district admin): the schemes of their region, every scorecard and inspection
  in it; computes, publishes.
- INSPECT_COMPOUNDS (street and community staff): record and read inspections of the compounds of
  their area; read the schemes that apply there (a district's scheme applies in its streets).
- a property company's members (SERVE_COMPOUNDS): their own company's scorecards and inspections.
- the registry (compounds' governance, committees, elections, cadres): read where one manages or
  inspects; changed where one also edits places (EDIT_PLACES, the right that edits compounds);
  an election approved only by the street office of the compound's street (APPROVE_ELECTIONS).
- everybody: the published ranking (public page, no personal data) and a compound's survey by its
  token.
"""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.db.models import Q, QuerySet
from django.http import Http404

from minsheng.accounts.roles import APPROVE_ELECTIONS, INSPECT_COMPOUNDS, MANAGE_GOVERNANCE
from minsheng.governance.models import (
    Cadre,
    CommitteeMember,
    Election,
    Inspection,
    Scheme,
    Scorecard,
    Survey,
    Takeover,
    TakeoverItem,
    Task,
    TaskList,
)
from minsheng.places.models import Compound, Region, code_prefix
from minsheng.places.scope import Scope, can_edit, scope_of


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


def access_managed_scheme_by_id(user, pk) -> Scheme:
    """A scheme the user may change (MANAGE_GOVERNANCE over its region); others: not found."""
    return _get(managed_schemes_for(user), pk)


def scheme_regions_for(user) -> QuerySet[Region]:
    """Regions where the user may define a scheme (the districts, for the system administrator)."""
    if scope_of(user).everything:
        return Region.objects.filter(level=Region.Level.DISTRICT).order_by("code")
    return Region.objects.filter(code__in=import_regions(user)).order_by("code")


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


def access_managed_survey(user, pk: int) -> Survey:
    """A compound's questionnaire, for the managers of its scheme (others: not found)."""
    survey = (Survey.objects.select_related("compound", "compound__region", "scheme")
              .filter(pk=pk, scheme__in=managed_schemes_for(user)).first())
    if survey is None:
        raise Http404
    return survey


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


def _unit_ids(s: Scope) -> set[int]:
    """The organisations the user acts for (a responsible unit's staff)."""
    return {g.organisation_id for g in s.grants if g.organisation_id}


def task_lists_for(user) -> QuerySet[TaskList]:
    """Lists issued in a region the user manages, or holding a problem of the user's unit."""
    s = scope_of(user)
    if s.everything:
        return TaskList.objects.all()
    q = _within(_prefixes(s, MANAGE_GOVERNANCE), "region__code")
    units = _unit_ids(s)
    if units:
        q |= Q(pk__in=Task.objects.filter(unit_id__in=units).values("task_list_id"))
    return TaskList.objects.filter(q)


def tasks_for(user) -> QuerySet[Task]:
    s = scope_of(user)
    qs = Task.objects.select_related("task_list", "unit")
    if s.everything:
        return qs
    q = _within(_prefixes(s, MANAGE_GOVERNANCE), "task_list__region__code")
    units = _unit_ids(s)
    if units:
        q |= Q(unit_id__in=units)
    return qs.filter(q)


def access_task_list_by_id(user, pk) -> TaskList:
    return _get(task_lists_for(user), pk)


def access_task_by_id(user, pk) -> Task:
    return _get(tasks_for(user), pk)


def can_verify(user, task_list: TaskList) -> bool:
    return scope_of(user).has_right(MANAGE_GOVERNANCE, task_list.region_id)


def is_responsible(user, task: Task) -> bool:
    return task.unit_id in _unit_ids(scope_of(user))


def import_regions(user) -> list[str]:
    """Region codes where the user may issue a list (MANAGE_GOVERNANCE)."""
    s = scope_of(user)
    if s.everything:
        return []
    return [g.prefix.ljust(12, "0") for g in s.grants_with(MANAGE_GOVERNANCE)]


def takeover_items_for(user) -> QuerySet[TakeoverItem]:
    """The district's managers see every item of their region, inspectors the items of their
    area's compounds, the company its own takeovers' items."""
    s = scope_of(user)
    qs = TakeoverItem.objects.select_related("takeover", "compound", "takeover__company")
    if s.everything:
        return qs
    q = _within(_prefixes(s, MANAGE_GOVERNANCE), "takeover__region__code")
    q |= _within(_prefixes(s, INSPECT_COMPOUNDS), "compound__region__code")
    if s.managed_company_ids:
        q |= Q(takeover__company_id__in=s.managed_company_ids)
    return qs.filter(q)


def takeovers_for(user) -> QuerySet[Takeover]:
    """Takeovers with an item the user sees, and every takeover of a region the user manages
    (one just set up has no items yet)."""
    s = scope_of(user)
    if s.everything:
        return Takeover.objects.select_related("company")
    return Takeover.objects.filter(
        Q(pk__in=takeover_items_for(user).values("takeover_id"))
        | _within(_prefixes(s, MANAGE_GOVERNANCE), "region__code")).select_related("company")


def managed_takeovers_for(user) -> QuerySet[Takeover]:
    """Takeovers the user sets up and changes: MANAGE_GOVERNANCE over their region."""
    s = scope_of(user)
    qs = Takeover.objects.select_related("company", "project")
    if s.everything:
        return qs
    return qs.filter(_within(_prefixes(s, MANAGE_GOVERNANCE), "region__code"))


def access_managed_takeover_by_id(user, pk) -> Takeover:
    """A takeover the user may change; others (readers included): not found."""
    return _get(managed_takeovers_for(user), pk)


def takeover_regions_for(user) -> QuerySet[Region]:
    """Districts where the user may set up a takeover (as for schemes: MANAGE_GOVERNANCE)."""
    return scheme_regions_for(user)


def can_manage_takeover(user, to: Takeover) -> bool:
    return scope_of(user).has_right(MANAGE_GOVERNANCE, to.region_id)


def access_takeover_by_id(user, pk) -> Takeover:
    return _get(takeovers_for(user), pk)


def access_takeover_item_by_id(user, pk) -> TakeoverItem:
    return _get(takeover_items_for(user), pk)


def can_check(user, item: TakeoverItem) -> bool:
    s = scope_of(user)
    return (s.has_right(INSPECT_COMPOUNDS, item.compound.region_id)
            or s.has_right(MANAGE_GOVERNANCE, item.takeover.region_id))


def is_taking_over(user, item: TakeoverItem) -> bool:
    return item.takeover.company_id in scope_of(user).managed_company_ids


def registry_compounds_for(user) -> QuerySet[Compound]:
    """Compounds whose governance history the user reads: where they manage or inspect."""
    s = scope_of(user)
    if s.everything:
        return Compound.objects.all()
    return Compound.objects.filter(_within(
        _prefixes(s, MANAGE_GOVERNANCE) + _prefixes(s, INSPECT_COMPOUNDS), "region__code"))


def registry_prefix(user) -> str | None:
    """The widest region whose registry figures the user reads ('' for everything)."""
    s = scope_of(user)
    if s.everything:
        return ""
    found = sorted(_prefixes(s, MANAGE_GOVERNANCE) + _prefixes(s, INSPECT_COMPOUNDS), key=len)
    return found[0] if found else None


def access_registry_compound_by_id(user, pk) -> Compound:
    return _get(registry_compounds_for(user), pk)


def can_edit_registry(user, compound: Compound) -> bool:
    """Records the compound's governance changes, elections and cadres (EDIT_PLACES there)."""
    return can_edit(user, compound.region_id)


def elections_for(user) -> QuerySet[Election]:
    return Election.objects.filter(compound__in=registry_compounds_for(user)).select_related(
        "compound", "compound__region")


def cadres_for(user) -> QuerySet[Cadre]:
    return Cadre.objects.filter(compound__in=registry_compounds_for(user)).select_related(
        "compound")


def members_for(user) -> QuerySet[CommitteeMember]:
    return CommitteeMember.objects.filter(
        compound__in=registry_compounds_for(user)).select_related("compound", "election")


def access_member_by_id(user, pk) -> CommitteeMember:
    return _get(members_for(user), pk)


def access_election_by_id(user, pk) -> Election:
    return _get(elections_for(user), pk)


def access_cadre_by_id(user, pk) -> Cadre:
    return _get(cadres_for(user), pk)


def can_approve(user, election: Election) -> bool:
    """The street office of the compound's street approves (APPROVE_ELECTIONS there)."""
    return scope_of(user).has_right(APPROVE_ELECTIONS, election.compound.region_id)


def elections_to_approve(user) -> QuerySet[Election]:
    """Submitted elections the user may approve."""
    s = scope_of(user)
    qs = Election.objects.filter(state=Election.State.SUBMITTED).select_related("compound")
    if s.everything:
        return qs
    return qs.filter(_within(_prefixes(s, APPROVE_ELECTIONS), "compound__region__code"))


def nav(user) -> dict[str, bool]:
    """What the shell's navigation shows (web/context.py)."""
    s = scope_of(user)
    return {"evaluation": (s.has_right(MANAGE_GOVERNANCE) or s.has_right(INSPECT_COMPOUNDS)
                           or bool(s.managed_company_ids)),
            "rectification": (s.has_right(MANAGE_GOVERNANCE)
                              or tasks_for(user).exists()),
            "registry": s.has_right(MANAGE_GOVERNANCE) or s.has_right(INSPECT_COMPOUNDS),
            "takeovers": (s.has_right(MANAGE_GOVERNANCE) or s.has_right(INSPECT_COMPOUNDS)
                          or bool(s.managed_company_ids))}
