"""The one scoping function. Every view, admin page, export and API call goes through here.

`scope_of(user)` says which region subtrees (code prefixes) a user may read and in which they hold
which rights; the `*_for(user)` functions turn that into querysets, and `access_*_by_id` fetch one
object or raise Http404 (we do not reveal that an object exists outside the user's scope).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db.models import Q, QuerySet
from django.http import Http404

from minsheng.accounts.roles import EDIT_PLACES, READ_REGION, SERVE_COMPOUNDS, rights_of
from minsheng.places.models import (
    Compound,
    Facility,
    Grid,
    Organisation,
    Region,
    StreetNetwork,
    code_prefix,
)


@dataclass(frozen=True)
class Grant:
    prefix: str
    role: str
    organisation_id: int | None
    # the function of the membership's organisation when it is a department ("" for none), None
    # when the organisation is not a department (accounts.roles.rights_of)
    department_function: str | None = None

    @property
    def rights(self) -> frozenset[str]:
        return rights_of(self.role, self.department_function)


@dataclass(frozen=True)
class Scope:
    grants: tuple[Grant, ...]
    everything: bool = False

    @property
    def prefixes(self) -> tuple[str, ...]:
        """Region prefixes the user may read, shortest first, without redundant ones."""
        if self.everything:
            return ("",)
        out: list[str] = []
        for p in sorted({g.prefix for g in self.grants_with(READ_REGION)}, key=len):
            if not any(p.startswith(q) for q in out):
                out.append(p)
        return tuple(out)

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(g.role for g in self.grants)

    @property
    def managed_company_ids(self) -> frozenset[int]:
        return frozenset(
            g.organisation_id for g in self.grants_with(SERVE_COMPOUNDS) if g.organisation_id)

    def grants_with(self, right: str) -> tuple[Grant, ...]:
        """The memberships whose role holds `right` (apps ask for rights, never for roles)."""
        return tuple(g for g in self.grants if right in g.rights)

    def reads(self, code: str) -> bool:
        return self.everything or any(code.startswith(p) for p in self.prefixes)

    def has_right(self, right: str, code: str | None = None) -> bool:
        """Whether a membership grants `right` over region `code` (or anywhere, if None)."""
        if self.everything:
            return True
        return any(
            right in g.rights and (code is None or code.startswith(g.prefix))
            for g in self.grants
        )

    def region_q(self, field: str = "region__code") -> Q:
        if self.everything:
            return Q()
        prefixes = self.prefixes
        if not prefixes:
            return Q(pk__in=[])
        return reduce(or_, (Q(**{f"{field}__startswith": p}) for p in prefixes))

    def home_prefix(self) -> str | None:
        """The widest region the user reads (for the default map view and switcher)."""
        if self.everything:
            return None
        return self.prefixes[0] if self.prefixes else None


NOTHING = Scope(grants=())


def scope_of(user) -> Scope:
    if user is None or not user.is_authenticated or not user.is_active:
        return NOTHING
    cached = getattr(user, "_minsheng_scope", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        scope = Scope(grants=(), everything=True)
    else:
        scope = Scope(grants=tuple(
            Grant(code_prefix(m.region_id), m.role, m.organisation_id,
                  (m.organisation.function or "")
                  if m.organisation is not None
                  and m.organisation.kind == Organisation.Kind.DEPARTMENT else None)
            for m in user.memberships.select_related("organisation")
        ))
    user._minsheng_scope = scope
    return scope


def regions_for(user) -> QuerySet[Region]:
    """Regions the user may read: their subtrees plus the ancestors above them (for context)."""
    scope = scope_of(user)
    if scope.everything:
        return Region.objects.all()
    ancestors: set[str] = set()
    for p in scope.prefixes:
        for n in (2, 4, 6, 9):
            if n < len(p):
                ancestors.add(p[:n].ljust(12, "0"))
    return Region.objects.filter(scope.region_q("code") | Q(code__in=ancestors))


def compounds_for(user) -> QuerySet[Compound]:
    scope = scope_of(user)
    q = scope.region_q()
    if scope.managed_company_ids:
        q = q | Q(property_company_id__in=scope.managed_company_ids)
    if not scope.everything and not scope.prefixes and not scope.managed_company_ids:
        return Compound.objects.none()
    return Compound.objects.filter(q).select_related("region", "property_company", "grid")


def facilities_for(user) -> QuerySet[Facility]:
    scope = scope_of(user)
    if not scope.everything and not scope.prefixes:
        return Facility.objects.none()
    return Facility.objects.filter(scope.region_q()).select_related("region", "category")


def grids_for(user) -> QuerySet[Grid]:
    scope = scope_of(user)
    if not scope.everything and not scope.prefixes:
        return Grid.objects.none()
    return Grid.objects.filter(scope.region_q()).select_related("region", "worker")


def organisations_for(user) -> QuerySet[Organisation]:
    scope = scope_of(user)
    q = scope.region_q()
    if scope.managed_company_ids:
        q = q | Q(pk__in=scope.managed_company_ids)
    if not scope.everything and not scope.prefixes and not scope.managed_company_ids:
        return Organisation.objects.none()
    return Organisation.objects.filter(q).select_related("region")


def networks_for(user) -> QuerySet[StreetNetwork]:
    scope = scope_of(user)
    if scope.everything:
        return StreetNetwork.objects.all()
    # A network belongs to a district; anyone reading part of it may see its streets.
    prefixes = {p[:6] for p in scope.prefixes}
    if not prefixes:
        return StreetNetwork.objects.none()
    return StreetNetwork.objects.filter(reduce(or_, (Q(region__code__startswith=p) for p in prefixes)))


def _get_or_404(qs: QuerySet, pk):
    try:
        return qs.get(pk=pk)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def access_compound_by_id(user, pk) -> Compound:
    return _get_or_404(compounds_for(user), pk)


def access_facility_by_id(user, pk) -> Facility:
    return _get_or_404(facilities_for(user), pk)


def access_organisation_by_id(user, pk) -> Organisation:
    return _get_or_404(organisations_for(user), pk)


def access_region_by_code(user, code) -> Region:
    return _get_or_404(regions_for(user), code)


def can_edit(user, region_code: str) -> bool:
    return scope_of(user).has_right(EDIT_PLACES, region_code)


def editable_regions_for(user) -> QuerySet[Region]:
    """Regions in which the user may create or change places (for form choices)."""
    scope = scope_of(user)
    if scope.everything:
        return Region.objects.all()
    prefixes = [g.prefix for g in scope.grants if EDIT_PLACES in g.rights]
    if not prefixes:
        return Region.objects.none()
    return Region.objects.filter(reduce(or_, (Q(code__startswith=p) for p in prefixes)))
