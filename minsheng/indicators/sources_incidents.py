"""连续零发案: public-safety figures from the police's approved monthly incident returns
(cases/incidents.py, the one owner of the rule "consecutive months without incident, ending at the
district's latest approved month; a month without an approved return, or whose return does not
list the compound, ends the run: missing is not zero").

For a period, the figures are the runs as at its end: counted over the approved returns of the
months before the period's end, so the run of a compound ends at the district's latest approved
month in the period (a year's figure is its December's once December is approved; a run may
reach back into earlier years). The returns carry their months, so a past period is recomputed
from them exactly (not a stock frozen at the period's end: a month's return is approved weeks
after the month).

- *incident_zero_12m_compounds*: compounds whose run is at least STREAK (12) months;
- *incident_compounds_listed*: compounds listed in that latest approved return (the compounds the
  police report on, the share's denominator);
- *incident_longest_run*: the longest run of a compound of the region, in months — rolled up as
  a maximum (sources.MAXIMUM), never a sum.

Missing is not zero: a district without an approved return of a month inside the period has no
value for any of them ("—"), not the figure of an earlier period carried on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from minsheng.cases import incidents
from minsheng.indicators.periods import Period
from minsheng.indicators.sources import Row, source

ELEMENTS = ("incident_zero_12m_compounds", "incident_compounds_listed", "incident_longest_run")


def _has_returns(prefix: str, period: Period) -> bool:
    return incidents.has_returns(prefix[:6], period.start, period.end)


@source("incidents", ELEMENTS, covers=_has_returns, maximum=("incident_longest_run",))
def zero_incidents(prefix: str, period: Period) -> Iterable[Row]:
    """The runs come from cases/incidents.py (two queries over the returns, then one pass per
    compound); here they are added up per community, the compute job rolls them up."""
    runs = incidents.district_runs(prefix, period.end)
    latest = runs[0].as_of if runs else None  # the district's latest approved month
    listed = incidents.listed_in(prefix, latest) if latest is not None else set()
    streak: dict[str, int] = defaultdict(int)
    counted: dict[str, int] = defaultdict(int)
    longest: dict[str, int] = {}
    for r in runs:
        region = r.compound.region_id
        streak[region] += r.months >= incidents.STREAK
        counted[region] += r.compound.pk in listed
        longest[region] = max(longest.get(region, 0), r.months)
    for region, months in longest.items():
        yield region, "incident_zero_12m_compounds", Decimal(streak[region])
        yield region, "incident_compounds_listed", Decimal(counted[region])
        yield region, "incident_longest_run", Decimal(months)
