"""Who sees and does what in 防返贫 monitoring, built on places.scope.scope_of.

- VIEW_MONITORING (district admin, street, community, grid; the rural-revitalisation department):
  the monitored households, alerts and measures of their region, income and ID numbers masked;
- VIEW_PERSONAL over the household's region (or the department's own right): unmask on request,
  audited;
- RECORD_MONITORING: report and handle alerts, take the village steps (home check, consent,
  village review, notice), record measures; a grant at street level or above also takes the town
  review and dismisses;
- MANAGE_MONITORING (district admin, rural-revitalisation department): data matching, district
  approval, removal reviews, thresholds and department-list imports;
- everyone else who reads a region (viewers, residents, other departments): aggregates only, with
  cells under five households suppressed.

A department's rights come from its function (accounts.roles.rights_of, through places.scope).
"""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from minsheng.accounts.roles import (
    MANAGE_MONITORING,
    RECORD_MONITORING,
    VIEW_MONITORING,
    VIEW_PERSONAL,
)
from minsheng.assistance import relapse
from minsheng.assistance.access import SUPPRESS_BELOW, suppress  # noqa: F401 - the one rule
from minsheng.assistance.monitoring_models import (
    Alert,
    MonitoringCase,
    MonitoringThreshold,
)
from minsheng.places.models import Region
from minsheng.places.scope import scope_of


def prefixes_with(user, right: str) -> tuple[str, ...]:
    """Region prefixes over which the user holds `right` ("" for everything), shortest first. A
    department's rights by its function come from accounts.roles.rights_of, through places.scope."""
    s = scope_of(user)
    if s.everything:
        return ("",)
    return tuple(sorted({g.prefix for g in s.grants_with(right)}, key=len))


def holds(user, right: str, region_code: str | None = None) -> bool:
    prefixes = prefixes_with(user, right)
    if region_code is None:
        return bool(prefixes)
    return any(region_code.startswith(p) for p in prefixes)


def _q(prefixes: tuple[str, ...], field: str = "region__code") -> Q:
    if "" in prefixes:
        return Q()
    return reduce(or_, (Q(**{f"{field}__startswith": p}) for p in prefixes), Q(pk__in=[]))


def can_view_records(user) -> bool:
    return holds(user, VIEW_MONITORING)


def cases_for(user) -> QuerySet[MonitoringCase]:
    prefixes = prefixes_with(user, VIEW_MONITORING)
    if not prefixes:
        return MonitoringCase.objects.none()
    return MonitoringCase.objects.filter(_q(prefixes)).select_related("household", "region")


def alerts_for(user) -> QuerySet[Alert]:
    prefixes = prefixes_with(user, VIEW_MONITORING)
    if not prefixes:
        return Alert.objects.none()
    return Alert.objects.filter(_q(prefixes)).select_related("household", "region", "person")


def thresholds_for(user) -> QuerySet[MonitoringThreshold]:
    """Thresholds are public rules: whoever reads a region reads those that apply there."""
    s = scope_of(user)
    if s.everything:
        return MonitoringThreshold.objects.all()
    q = Q(pk__in=[])
    for p in s.prefixes:
        q |= Q(region__code__startswith=p) | Q(region__code__in=[
            p[:n].ljust(12, "0") for n in (2, 4, 6, 9) if n < len(p)])
    return MonitoringThreshold.objects.filter(q).select_related("region")


def access_case_by_id(user, pk) -> MonitoringCase:
    try:
        return cases_for(user).get(pk=pk)
    except (MonitoringCase.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def access_alert_by_id(user, pk) -> Alert:
    try:
        return alerts_for(user).get(pk=pk)
    except (Alert.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def access_threshold_for_edit(user, pk) -> MonitoringThreshold:
    """A threshold the user reads (404 otherwise) and may set (403 otherwise)."""
    try:
        t = thresholds_for(user).get(pk=pk)
    except (MonitoringThreshold.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not can_manage(user, t.region_id):
        raise PermissionDenied
    return t


def threshold_regions(user):
    """The district and street regions whose thresholds the user sets."""
    prefixes = prefixes_with(user, MANAGE_MONITORING)
    if not prefixes:
        return Region.objects.none()
    q = reduce(or_, (Q(code__startswith=p) for p in prefixes))
    return Region.objects.filter(q, level__in=(Region.Level.DISTRICT, Region.Level.STREET)
                                 ).order_by("code")


def aggregate_prefixes(user) -> tuple[str, ...]:
    """Where the user may read the monitoring figures (records or suppressed aggregates)."""
    records = prefixes_with(user, VIEW_MONITORING)
    return records or scope_of(user).prefixes


def can_record(user, region_code: str) -> bool:
    return holds(user, RECORD_MONITORING, region_code)


def can_manage(user, region_code: str | None = None) -> bool:
    return holds(user, MANAGE_MONITORING, region_code)


def can_take(user, case: MonitoringCase, level: str) -> bool:
    """Whether the user acts at `level` (relapse.VILLAGE / TOWN / DISTRICT) for the case."""
    code = case.region_id
    if level == relapse.DISTRICT:
        return can_manage(user, code)
    if level == relapse.TOWN:
        return can_manage(user, code) or any(
            code.startswith(p) and len(p) <= 9 for p in prefixes_with(user, RECORD_MONITORING))
    return can_record(user, code)


def can_unmask(user, region_code: str) -> bool:
    return holds(user, VIEW_PERSONAL, region_code) and holds(user, VIEW_MONITORING, region_code)
