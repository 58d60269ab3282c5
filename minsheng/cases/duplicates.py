"""Near-duplicates: same category, close in space and time, still open — offered for merging."""

from __future__ import annotations

import datetime as dt

from minsheng.cases.models import Case
from minsheng.places.coords import haversine_m

RADIUS_M = 200.0
WINDOW = dt.timedelta(days=7)


def near_duplicates(case: Case, *, radius_m: float = RADIUS_M, window: dt.timedelta = WINDOW,
                    limit: int = 10) -> list[tuple[Case, float]]:
    """Open cases of the same type within `radius_m` metres and `window` of this one, nearest
    first, with their distance in metres (same compound counts as distance 0)."""
    if (case.lat is None or case.lng is None) and case.compound_id is None:
        return []
    qs = Case.objects.filter(case_type_id=case.case_type_id,
                             status__in=[Case.Status.ASSIGNED, Case.Status.ACCEPTED],
                             created_at__range=(case.created_at - window,
                                                case.created_at + window)).exclude(pk=case.pk)
    if case.lat is not None:
        d = radius_m / 111_000
        near = qs.filter(lat__range=(case.lat - d, case.lat + d),
                         lng__range=(case.lng - d * 1.5, case.lng + d * 1.5))
        qs = (near | qs.filter(compound_id=case.compound_id)) if case.compound_id else near
    else:
        qs = qs.filter(compound_id=case.compound_id)
    out = []
    for other in qs.select_related("case_type")[:200]:
        if case.compound_id and other.compound_id == case.compound_id:
            dist = 0.0
        elif None in (case.lat, other.lat):
            continue
        else:
            dist = haversine_m(case.lng, case.lat, other.lng, other.lat)
        if dist <= radius_m:
            out.append((other, dist))
    return sorted(out, key=lambda x: x[1])[:limit]
