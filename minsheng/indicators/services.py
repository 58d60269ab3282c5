"""Computing and reading indicator values.

`compute(district, period)` runs every source (one SQL GROUP BY each), rolls the aggregates up the
region tree by code prefix and replaces the period's computed values in one transaction, stamped
with "as of". `evaluate(regions, period)` reads the element values for some regions (computed ones
as stored; manual ones rolled up from where they were entered, in SQL) and applies the indicator
formulas, targets and the previous period's values. Pages, the report and the API all read through
`evaluate`, so they show the same numbers.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Avg, Sum
from django.utils import timezone

from minsheng.indicators import formula
from minsheng.indicators.models import (
    Computation,
    DataElement,
    DataValue,
    Indicator,
    Target,
)
from minsheng.indicators.periods import Period, parse
from minsheng.indicators.sources import MAXIMUM, SOURCES, covered
from minsheng.places.models import Region, district_code

STALE_AFTER = dt.timedelta(minutes=10)
# Elements that exist only per year (budget expenditure is reported annually).
YEARLY_ONLY = frozenset({"spending_total", "spending_livelihood"})
# Elements recorded for the district as a whole (its plan, its budget): below it they are unknown.
DISTRICT_ONLY = frozenset({"spending_total", "spending_livelihood", "projects_total",
                           "projects_completed", "projects_on_time"})


def ancestors(code: str) -> list[str]:
    """The region codes a record's region counts towards: itself, its street, its district."""
    out = [code]
    if code[9:] != "000":
        out.append(code[:9] + "000")
    if code[6:] != "000000":
        out.append(district_code(code))
    return list(dict.fromkeys(out))


@transaction.atomic
def compute(district: str, period: Period | str, *, now: dt.datetime | None = None) -> int:
    """Recompute the computed data elements of a district for a period; returns values written."""
    period = parse(period) if isinstance(period, str) else period
    now = now or timezone.now()
    t0 = time.perf_counter()
    prefix = district[:6]
    known = set(DataElement.objects.filter(source="computed").values_list("code", flat=True))
    regions = set(Region.objects.filter(code__startswith=prefix).values_list("code", flat=True))
    over = period.end <= timezone.localdate(now)
    frozen: set[str] = set()
    if over:  # a closed period keeps the stock values it was computed with
        frozen = set(DataValue.objects.filter(
            region_id=district_code(district), period=period.id,
            element__source="computed").values_list("element_id", flat=True))
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    produced: set[str] = set()
    missing: set[str] = set()
    for name, (fn, elements, stock) in SOURCES.items():
        wanted = [e for e in elements if e in known and not (stock and e in frozen)]
        if not wanted:
            continue
        if not covered(name, prefix, period):  # no data at all: no value, not 0
            missing.update(wanted)
            continue
        produced.update(wanted)
        for region, element, value in fn(prefix, period):
            if element in produced:
                for code in ancestors(region):
                    key = (code, element)
                    if element in MAXIMUM:  # a longest run: the largest below, never a sum
                        totals[key] = max(totals[key], value) if key in totals else value
                    else:
                        totals[key] += value
    # every element of a source with data gets a district value (0 when no record), so "none"
    # reads as 0; the elements of a source without data for the period get none ("—")
    for element in produced:
        totals.setdefault((district_code(district), element), Decimal(0))
    DataValue.objects.filter(region__code__startswith=prefix, period=period.id,
                             element_id__in=produced | missing).delete()
    DataValue.objects.bulk_create([
        DataValue(element_id=e, region_id=r, period=period.id, value=round(v, 4), approved=True)
        for (r, e), v in totals.items() if r in regions], batch_size=2000)
    n = sum(1 for (r, _e) in totals if r in regions)
    Computation.objects.update_or_create(
        region_id=district_code(district), period=period.id,
        defaults={"computed_at": now, "seconds": time.perf_counter() - t0, "values": n})
    return n


def as_of(district: str, period: Period) -> dt.datetime | None:
    c = Computation.objects.filter(region_id=district_code(district), period=period.id).first()
    return c.computed_at if c else None


def ensure_fresh(district: str, period: Period) -> dt.datetime:
    """Compute when never computed or older than STALE_AFTER (pages call this; the scheduled job
    keeps current periods fresh so it is rarely needed)."""
    stamp = as_of(district, period)
    if stamp is None or timezone.now() - stamp > STALE_AFTER:
        compute(district, period)
        stamp = as_of(district, period)
    return stamp


# --- reading values ---------------------------------------------------------------------------


def element_values(region_codes: list[str], period: Period, codes: set[str] | None = None
                   ) -> dict[str, dict[str, Decimal]]:
    """{region: {element: value}} for the regions and period (only the elements in `codes`, when
    given). Computed elements are read as stored; manual elements from approved values: where a
    region has none of its own, the values entered below it are rolled up by code prefix (SQL SUM
    or AVG by the element's aggregation), and a period longer than the data set's is made of its
    sub-periods."""
    out: dict[str, dict[str, Decimal]] = {r: {} for r in region_codes}
    elements = DataElement.objects.all() if codes is None else DataElement.objects.filter(
        code__in=codes)
    for r, e, v in DataValue.objects.filter(
            region_id__in=region_codes, period=period.id, element__in=elements,
            element__source="computed").values_list("region_id", "element_id", "value"):
        if period.kind == "year" or e not in YEARLY_ONLY:
            out[r][e] = v
    # Where the district has a value for an element in the period, a region below it without
    # one had no records: that is 0. Where the district has none (its source had no data for the
    # period), every region's value is missing: "—", never 0.
    districts = {district_code(r) for r in region_codes}
    stored = set(DataValue.objects.filter(
        region_id__in=districts, period=period.id, element__in=elements,
        element__source="computed").values_list("region_id", "element_id"))
    for r in region_codes:
        d = district_code(r)
        for dr, e in stored:
            if dr == d and (period.kind == "year" or e not in YEARLY_ONLY) and (
                    r == d or e not in DISTRICT_ONLY):
                out[r].setdefault(e, Decimal(0))
    manual = list(elements.filter(source="manual").select_related("dataset"))
    by_kind: dict[str, list[DataElement]] = defaultdict(list)
    for el in manual:
        by_kind[el.dataset.period_kind if el.dataset else "year"].append(el)
    for kind, els in by_kind.items():
        try:
            subs = [p.id for p in period.sub_periods(kind)]
        except ValueError:
            continue  # a yearly data set has no monthly value
        for r in region_codes:
            prefix = _prefix(r)
            for agg, fn in (("sum", Sum), ("last", Sum), ("average", Avg)):
                codes = [e.code for e in els if e.aggregation == agg]
                if not codes:
                    continue
                rows = (DataValue.objects.filter(element_id__in=codes, period__in=subs,
                                                 region__code__startswith=prefix, approved=True)
                        .order_by().values("element_id", "period").annotate(v=fn("value")))
                per_period: dict[str, dict[str, Decimal]] = defaultdict(dict)
                for row in rows:
                    per_period[row["element_id"]][row["period"]] = row["v"]
                for code, vals in per_period.items():
                    if agg == "sum":
                        out[r][code] = sum(vals.values(), Decimal(0))
                    elif agg == "last":
                        out[r][code] = vals[max(vals)]
                    else:
                        out[r][code] = Decimal(sum(vals.values(), Decimal(0)) / len(vals))
    return out


def _prefix(code: str) -> str:
    """The code prefix of a region's subtree (district 6 digits, street 9, community 12)."""
    if code.endswith("000000"):
        return code[:6]
    if code.endswith("000"):
        return code[:9]
    return code


@dataclass
class Value:
    indicator: Indicator
    value: Decimal | None  # in display units
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    previous: Decimal | None = None
    target: Decimal | None = None
    elements: dict[str, Decimal | None] = field(default_factory=dict)

    @property
    def change(self) -> Decimal | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def on_target(self) -> bool | None:
        hib = self.indicator.higher_is_better
        if hib is None or self.value is None or self.target is None:
            return None
        return self.value >= self.target if hib else self.value <= self.target

    @property
    def text(self) -> str:
        return fmt(self.indicator, self.value)


ROMAN = {1: "Ⅰ", 2: "Ⅱ", 3: "Ⅲ", 4: "Ⅳ", 5: "Ⅴ", 6: "劣Ⅴ"}


def fmt(ind: Indicator, value: Decimal | None, *, unit: bool = True) -> str:
    if value is None:
        return "—"
    if ind.kind == Indicator.Kind.WATER_CLASS:
        return ROMAN.get(int(value), str(value)) + ("类" if unit else "")
    text = f"{value:,.{ind.decimals}f}"
    return text + (ind.unit if unit else "")


def _value(ind: Indicator, vals: dict[str, Decimal], days: int) -> tuple:
    num = formula.evaluate(ind.numerator, vals, days=days)
    den = formula.evaluate(ind.denominator, vals, days=days) if ind.denominator else Decimal(1)
    if num is None or den is None or den == 0:
        return None, num, den
    v = ind.factor * num / den / (ind.scale or 1)
    return round(v, ind.decimals), num, den


def evaluate(region_codes: list[str], period: Period | str, *, indicators=None,
             with_previous: bool = True) -> dict[str, dict[str, Value]]:
    """{region: {indicator code: Value}} — value, target (prorated) and previous period."""
    period = parse(period) if isinstance(period, str) else period
    inds = list(indicators if indicators is not None
                else Indicator.objects.filter(active=True))
    needed = set().union(*(i.element_codes() for i in inds))
    cur = element_values(region_codes, period, needed)
    prev_period = period.previous()
    prev = element_values(region_codes, prev_period, needed) if with_previous or any(
        i.kind == Indicator.Kind.GROWTH for i in inds) else {}
    targets = {(t.indicator_id, t.region_id): t.value for t in Target.objects.filter(
        region_id__in=region_codes, year=period.year, indicator__in=inds)}
    out: dict[str, dict[str, Value]] = {}
    for r in region_codes:
        row: dict[str, Value] = {}
        for ind in inds:
            if ind.kind == Indicator.Kind.GROWTH:
                now_v = formula.evaluate(ind.numerator, cur[r], days=period.days)
                then_v = formula.evaluate(ind.numerator, prev.get(r, {}),
                                          days=prev_period.days)
                v = None
                if now_v is not None and then_v:
                    v = round(ind.factor * (now_v - then_v) / then_v, ind.decimals)
                val = Value(ind, v, now_v, then_v)
            else:
                v, num, den = _value(ind, cur[r], period.days)
                val = Value(ind, v, num, den)
                if prev:
                    val.previous = _value(ind, prev.get(r, {}), prev_period.days)[0]
            t = targets.get((ind.code, r))
            if t is not None:
                additive = ind.kind in (Indicator.Kind.COUNT, Indicator.Kind.AMOUNT)
                val.target = round(t * Decimal(period.fraction_of_year), ind.decimals) \
                    if additive and period.kind != "year" else t
            val.elements = {c: cur[r].get(c) for c in ind.element_codes()}
            row[ind.code] = val
        out[r] = row
    return out


def current_figures(region_code: str, indicator_codes: tuple[str, ...] = (),
                    element_codes: tuple[str, ...] = ()) -> dict[str, Value | Decimal | None]:
    """The current year's values of some indicators (as `Value`s) and data elements (plain
    numbers or None) of one region, computed fresh if need be. Pages that show a published figure
    beside the dashboard (the home page) read it here, so a figure has one definition everywhere;
    the caller checks that the user may see the region."""
    period = Period(timezone.localdate().year)
    ensure_fresh(district_code(region_code), period)
    inds = list(Indicator.objects.filter(code__in=indicator_codes, active=True))
    out: dict[str, Value | Decimal | None] = dict.fromkeys(indicator_codes)
    if inds:
        out.update(evaluate([region_code], period, indicators=inds,
                            with_previous=False)[region_code])
    if element_codes:
        vals = element_values([region_code], period, set(element_codes))[region_code]
        out.update({c: vals.get(c) for c in element_codes})
    return out


def children(region_code: str) -> list[Region]:
    """The region's next level down (a district's streets, a street's communities)."""
    p = _prefix(region_code)
    if len(p) == 6:
        return list(Region.objects.filter(code__startswith=p, code__endswith="000",
                                          level="street").order_by("code"))
    if len(p) == 9:
        return list(Region.objects.filter(code__startswith=p, level="community")
                    .order_by("code"))
    return []
