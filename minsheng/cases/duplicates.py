"""Cases of one category close to a place: near-duplicates of a case (same category, close in space
and time, still open — offered to staff for merging), and the open public cases a resident sees
while filing (附议 instead of a duplicate). One spatial rule for both (_near)."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from minsheng.cases.access import public_cases
from minsheng.cases.models import Case, CaseType
from minsheng.places.coords import haversine_m

RADIUS_M = 200.0
WINDOW = dt.timedelta(days=7)
ME_TOO_RADIUS_M = 300.0  # the filing form's "already reported nearby"
OPEN = (Case.Status.ASSIGNED, Case.Status.ACCEPTED)


def _near(qs: QuerySet[Case], lat: float | None, lng: float | None, compound_id: int | None,
          radius_m: float, limit: int) -> list[tuple[Case, float]]:
    """Cases of `qs` within `radius_m` metres of the point (or in the compound, distance 0),
    nearest first, with their distance in metres."""
    if (lat is None or lng is None) and compound_id is None:
        return []
    if lat is not None and lng is not None:
        d = radius_m / 111_000
        near = qs.filter(lat__range=(lat - d, lat + d), lng__range=(lng - d * 1.5, lng + d * 1.5))
        qs = (near | qs.filter(compound_id=compound_id)) if compound_id else near
    else:
        qs = qs.filter(compound_id=compound_id)
    out = []
    for other in qs.select_related("case_type")[:200]:
        if compound_id and other.compound_id == compound_id:
            dist = 0.0
        elif None in (lat, lng, other.lat, other.lng):
            continue
        else:
            dist = haversine_m(lng, lat, other.lng, other.lat)
        if dist <= radius_m:
            out.append((other, dist))
    return sorted(out, key=lambda x: x[1])[:limit]


def near_duplicates(case: Case, *, radius_m: float = RADIUS_M, window: dt.timedelta = WINDOW,
                    limit: int = 10) -> list[tuple[Case, float]]:
    """Open cases of the same type within `radius_m` metres and `window` of this one, nearest
    first, with their distance in metres (same compound counts as distance 0)."""
    qs = Case.objects.filter(case_type_id=case.case_type_id, status__in=OPEN,
                             created_at__range=(case.created_at - window,
                                                case.created_at + window)).exclude(pk=case.pk)
    return _near(qs, case.lat, case.lng, case.compound_id, radius_m, limit)


def open_nearby(case_type: CaseType, *, lat: float | None = None, lng: float | None = None,
                compound=None, radius_m: float = ME_TOO_RADIUS_M,
                limit: int = 5) -> list[tuple[Case, float]]:
    """Open public cases of `case_type` within `radius_m` of where a resident is filing (the
    point, else the compound's), nearest first: the resident may add their voice to one of them
    (附议) instead of filing a duplicate. A type that is not public shows none."""
    if not case_type.public:
        return []
    if (lat is None or lng is None) and compound is not None:
        lat, lng = compound.lat, compound.lng
    qs = public_cases().filter(case_type=case_type, status__in=OPEN)
    return _near(qs, lat, lng, compound.pk if compound is not None else None, radius_m, limit)
