"""Who reads and does what in the assistance registry, built on places.scope.scope_of.

- VIEW_HOUSEHOLDS: community and grid workers read the households of their community, streets
  those of their street, 区民政局 (a department whose function is civil affairs) the district's.
  A department of any other function (住建, 教育 …) holds no assistance right at all: its
  memberships are dropped here, whatever the role grants.
- REGISTER_HOUSEHOLDS: register households and draft/submit change requests, in scope.
- APPROVE_HOUSEHOLD_CHANGES: approve, reject and apply change requests (street, 区民政局), never
  one's own.
- DECIDE_ASSISTANCE: 区民政局 only (standards, enrolment decisions, payments).
- VIEW_ASSISTANCE_STATS: aggregates (counts per programme and region), cells under 5 suppressed;
  viewers and residents have only this.

Missing and "not yours" are the same 404.
"""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.db.models import Q, QuerySet
from django.http import Http404

from minsheng.accounts.roles import (
    APPROVE_HOUSEHOLD_CHANGES,
    DECIDE_ASSISTANCE,
    REGISTER_HOUSEHOLDS,
    VIEW_ASSISTANCE_STATS,
    VIEW_HOUSEHOLDS,
)
from minsheng.assistance.models import (
    ChangeRequest,
    Cycle,
    Enrolment,
    Household,
    PaymentBatch,
    Person,
    Review,
)
from minsheng.places.models import Region
from minsheng.places.scope import scope_of


def prefixes_with(user, right: str) -> tuple[str, ...] | None:
    """Region prefixes in which the user holds `right` for assistance; None means everywhere
    (a superuser). Through a department, the assistance rights count only when it is civil
    affairs (民政): the rule is accounts.roles.rights_of, asked through places.scope."""
    s = scope_of(user)
    if s.everything:
        return None
    return tuple(sorted({g.prefix for g in s.grants_with(right)}))


def has_right(user, right: str, region_code: str | None = None) -> bool:
    prefixes = prefixes_with(user, right)
    if prefixes is None:
        return True
    return any(region_code is None or region_code.startswith(p) for p in prefixes)


def _q(prefixes: tuple[str, ...] | None, field: str) -> Q:
    if prefixes is None:
        return Q()
    return reduce(or_, (Q(**{f"{field}__startswith": p}) for p in prefixes), Q(pk__in=[]))


def households_for(user) -> QuerySet[Household]:
    return Household.objects.filter(_q(prefixes_with(user, VIEW_HOUSEHOLDS), "region__code")
                                    ).select_related("region")


def people_for(user) -> QuerySet[Person]:
    return Person.objects.filter(_q(prefixes_with(user, VIEW_HOUSEHOLDS), "region__code"))


def changes_for(user) -> QuerySet[ChangeRequest]:
    return ChangeRequest.objects.filter(
        _q(prefixes_with(user, VIEW_HOUSEHOLDS), "household__region__code")
    ).select_related("household", "person", "created_by")


def access_household_by_id(user, pk) -> Household:
    try:
        return households_for(user).get(pk=pk)
    except (Household.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def access_change_by_id(user, pk) -> ChangeRequest:
    try:
        return changes_for(user).get(pk=pk)
    except (ChangeRequest.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def can_view_registry(user) -> bool:
    return prefixes_with(user, VIEW_HOUSEHOLDS) != ()


def can_register(user, region_code: str | None = None) -> bool:
    return has_right(user, REGISTER_HOUSEHOLDS, region_code)


def can_approve(user, change: ChangeRequest) -> bool:
    """Approvers of the household's region, never the person who asked for the change."""
    return (change.created_by_id != user.pk
            and has_right(user, APPROVE_HOUSEHOLD_CHANGES, change.household.region_id))


def can_decide(user, region_code: str | None = None) -> bool:
    return has_right(user, DECIDE_ASSISTANCE, region_code)


def can_view_stats(user) -> bool:
    return can_view_registry(user) or prefixes_with(user, VIEW_ASSISTANCE_STATS) != ()


def registrable_regions_for(user) -> QuerySet[Region]:
    """Communities/villages where the user may register a household (form choices)."""
    return Region.objects.filter(_q(prefixes_with(user, REGISTER_HOUSEHOLDS), "code"),
                                 level=Region.Level.COMMUNITY)


def stats_prefixes(user) -> tuple[str, ...] | None:
    """Where the user may read aggregates (None: everywhere)."""
    a = prefixes_with(user, VIEW_ASSISTANCE_STATS)
    b = prefixes_with(user, VIEW_HOUSEHOLDS)
    if a is None or b is None:
        return None
    return tuple(sorted(set(a) | set(b)))


def households_in_stats_scope(user) -> QuerySet[Household]:
    """Households counted in the user's aggregates (never listed to users without
    VIEW_HOUSEHOLDS)."""
    return Household.objects.filter(_q(stats_prefixes(user), "region__code"))


def enrolments_for(user) -> QuerySet[Enrolment]:
    return Enrolment.objects.filter(_q(prefixes_with(user, VIEW_HOUSEHOLDS), "region__code")
                                    ).select_related("household", "person", "region")


def access_enrolment_by_id(user, pk) -> Enrolment:
    try:
        return enrolments_for(user).get(pk=pk)
    except (Enrolment.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def reviews_for(user) -> QuerySet[Review]:
    return Review.objects.filter(enrolment__in=enrolments_for(user)).select_related(
        "enrolment__household", "enrolment__person")


def access_review_by_id(user, pk) -> Review:
    try:
        return reviews_for(user).get(pk=pk)
    except (Review.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def cycles_for(user) -> QuerySet[Cycle]:
    """Payment cycles: 区民政局 (DECIDE_ASSISTANCE) of the district only."""
    return Cycle.objects.filter(_q(prefixes_with(user, DECIDE_ASSISTANCE), "region__code"))


def access_cycle_by_id(user, pk) -> Cycle:
    try:
        return cycles_for(user).get(pk=pk)
    except (Cycle.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def access_batch_by_id(user, pk) -> PaymentBatch:
    try:
        return PaymentBatch.objects.select_related("cycle").get(
            pk=pk, cycle__in=cycles_for(user))
    except (PaymentBatch.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def decide_regions_for(user) -> QuerySet[Region]:
    """Districts where the user runs payment cycles (form choices)."""
    return Region.objects.filter(_q(prefixes_with(user, DECIDE_ASSISTANCE), "code"),
                                 level=Region.Level.DISTRICT)


SUPPRESS_BELOW = 5  # public figures: cells of 1–4 households are shown as “<5”


def suppress(n: int) -> str:
    """A public count of households or people: “<5” for 1–4, so that no family can be picked out
    (0 and 5 upwards as they are). The one rule for every aggregate page of assistance/."""
    return f"<{SUPPRESS_BELOW}" if 0 < n < SUPPRESS_BELOW else str(n)
