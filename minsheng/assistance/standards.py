"""The standards in force for a region on a day, as eligibility.Standards (the one reader of the
Standard rows; the rules themselves are in eligibility.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Q

from minsheng.assistance.eligibility import AssetLimits, Standards
from minsheng.assistance.models import IncomeExclusion, Standard
from minsheng.places.models import Region, code_prefix

__all__ = ["ASSET_LIMITS", "DEFAULT_EDGE_MULTIPLIER", "MissingStandard", "asset_limits_for",
           "exclusions_in_force", "in_force", "in_force_under", "standards_for"]

DEFAULT_EDGE_MULTIPLIER = Decimal("1.5")  # national guidance; a region's EDGE row overrides it


class MissingStandard(LookupError):  # noqa: N818 - reads as what is missing
    pass


def _ancestors(code: str) -> list[str]:
    """The region and the regions above it, nearest first (12-digit codes)."""
    code = code.ljust(12, "0")
    out = [code]
    for n in (9, 6, 4, 2):
        c = code[:n].ljust(12, "0")
        if c not in out:
            out.append(c)
    return out


def in_force_under(region_code: str, programme: str, area: str, on: dt.date
                   ) -> list[tuple[str, Standard]]:
    """The rows in force on the day for every region that can set the standard of a record in
    `region_code`'s subtree — the regions inside it (a street's override, a community's) and
    the region and those above it — as (the code prefix of the row's region, its row), most
    specific first. A record of region R takes the first entry whose prefix R's code starts
    with: the nearest region up from R that has a row (community → street → district → city →
    province), its latest row valid on the day for the area (or both areas). One query; the
    payment cycle reads a whole district through it (payments.py), in_force one region."""
    code = region_code.ljust(12, "0")
    rows = (Standard.objects.filter(Q(region__code__startswith=code_prefix(code))
                                    | Q(region_id__in=_ancestors(code)),
                                    programme=programme, area__in=[area, Standard.Area.BOTH],
                                    valid_from__lte=on)
            .order_by("-valid_from", "area"))
    latest: dict[str, Standard] = {}
    for row in rows:
        latest.setdefault(row.region_id, row)
    return sorted(((code_prefix(c), row) for c, row in latest.items()),
                  key=lambda pr: (-len(pr[0]), pr[0]))


def in_force(region_code: str, programme: str, area: str, on: dt.date) -> Standard | None:
    """The row of the nearest region, for the area (or both areas), latest valid_from ≤ on."""
    code = region_code.ljust(12, "0")
    return next((row for prefix, row in in_force_under(code, programme, area, on)
                 if code.startswith(prefix)), None)


# AssetLimits field → the Standard row that sets it
ASSET_LIMITS = {"savings_per_capita": Standard.Programme.ASSET_SAVINGS,
                "vehicles": Standard.Programme.ASSET_VEHICLES,
                "homes": Standard.Programme.ASSET_HOMES,
                "business_stake": Standard.Programme.ASSET_BUSINESS}


def asset_limits_for(region_code: str, area: str, on: dt.date) -> AssetLimits:
    """The asset limits in force (nearest region, dated); a limit with no row is None."""
    limits, sources = {}, []
    for field, programme in ASSET_LIMITS.items():
        row = in_force(region_code, programme, area, on)
        limits[field] = row.amount if row is not None else None
        if row is not None and row.source not in sources:
            sources.append(row.source)
    return AssetLimits(**limits, source="；".join(sources))


def standards_for(region_code: str, area: str, on: dt.date) -> Standards:
    """Raises MissingStandard when the region has no 低保标准 in force for the area."""
    if not Region.objects.filter(code=region_code.ljust(12, "0")).exists():
        raise MissingStandard(f"没有区划代码为 {region_code} 的区划")
    dibao = in_force(region_code, Standard.Programme.DIBAO, area, on)
    if dibao is None or dibao.amount is None:
        raise MissingStandard(f"区划 {region_code} 在 {on} 没有生效的"
                              f"{'城镇' if area == 'urban' else '农村'}低保标准")
    edge = in_force(region_code, Standard.Programme.EDGE, area, on)
    return Standards(dibao=dibao.amount,
                     edge_multiplier=edge.multiplier if edge and edge.multiplier
                     else DEFAULT_EDGE_MULTIPLIER,
                     source=dibao.source, verified=dibao.verified,
                     asset_limits=asset_limits_for(region_code, area, on))


def exclusions_in_force(region_code: str, on: dt.date) -> frozenset[str]:
    """Income kinds not counted in the region on the day (rows of the region and those above)."""
    rows = IncomeExclusion.objects.filter(
        region_id__in=_ancestors(region_code), valid_from__lte=on).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=on))
    return frozenset(rows.values_list("kind", flat=True))
