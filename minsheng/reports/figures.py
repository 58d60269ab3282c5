"""What the report template can say: the indicator values of a region and year (through
indicators.services.evaluate, the same numbers as the dashboard), the year's livelihood projects
with their status flags (projects/progress.py via projects.services) and case statistics
(cases/stats.py).

Every figure is a `Fig`: printed it is the formatted value with its unit ("29.89亿元", "84.12%"),
or "（暂无数据）" when there is no value; it is false in `{% if %}` when there is no value, so a
template writes a sentence only when its figure exists. `Fig` also offers the comparisons a
report writes: `.vs_prev` ("比上年提高0.53个百分点"), `.growth` ("增长4.13%"), `.against_target`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Max, Q, Sum
from django.utils import timezone

from minsheng.cases import stats
from minsheng.indicators import services as indicators
from minsheng.indicators.models import DataElement, DataValue, Indicator
from minsheng.indicators.periods import Period
from minsheng.lib.money import format_amount
from minsheng.lib.text import date_text
from minsheng.places.models import FacilityCategory, Region, district_code
from minsheng.projects import services as project_services
from minsheng.projects.budget import share_of_amounts
from minsheng.projects.models import Area, ExpenditureLine, Project
from minsheng.projects.progress import FLAG_LABELS, FLAG_ORDER

MISSING = "（暂无数据）"
FIRST_YEAR = 2000
SHARE_KINDS = (Indicator.Kind.PERCENT, Indicator.Kind.PERMILLE, Indicator.Kind.GROWTH)


def _num(value: Decimal, decimals: int) -> str:
    return f"{abs(value):,.{decimals}f}"


class Fig:
    """One indicator value as the template sees it (see the module docstring)."""

    def __init__(self, indicator: Indicator, value: Decimal | None,
                 previous: Decimal | None = None, target: Decimal | None = None,
                 on_target: bool | None = None):
        self.indicator = indicator
        self.num = value
        self._previous = previous
        self._target = target
        self._on_target = on_target

    def __str__(self) -> str:
        return self.text

    def __bool__(self) -> bool:
        return self.num is not None

    def __repr__(self) -> str:
        return f"Fig({self.indicator.code}={self.num})"

    @property
    def text(self) -> str:
        return MISSING if self.num is None else indicators.fmt(self.indicator, self.num)

    @property
    def plain(self) -> str:
        """The number without its unit."""
        return MISSING if self.num is None else indicators.fmt(self.indicator, self.num,
                                                               unit=False)

    @property
    def name(self) -> str:
        return self.indicator.short_name or self.indicator.name

    @property
    def prev(self) -> Fig:
        return Fig(self.indicator, self._previous)

    @property
    def target(self) -> Fig:
        return Fig(self.indicator, self._target)

    @property
    def vs_prev(self) -> str:
        """"比上年增加2,368件" / "比上年提高0.53个百分点" / "与上年持平"; "" without both values."""
        ind, now, then = self.indicator, self.num, self._previous
        if now is None or then is None or ind.kind == Indicator.Kind.GROWTH:
            return ""
        if ind.kind == Indicator.Kind.WATER_CLASS:
            if now == then:
                return "与上年相同"
            return f"上年为{indicators.fmt(ind, then)}"
        diff = now - then
        if diff == 0:
            return "与上年持平"
        if ind.kind in SHARE_KINDS:
            unit = "个百分点" if ind.kind != Indicator.Kind.PERMILLE else "个千分点"
            word = "提高" if diff > 0 else "下降"
            return f"比上年{word}{_num(diff, ind.decimals)}{unit}"
        word = ("增加" if diff > 0 else "减少") if ind.kind in (
            Indicator.Kind.COUNT, Indicator.Kind.AMOUNT) else ("上升" if diff > 0 else "下降")
        return f"比上年{word}{_num(diff, ind.decimals)}{ind.unit}"

    @property
    def growth(self) -> str:
        """"增长4.13%" / "下降1.20%" / "持平": a growth indicator's own value, otherwise the
        relative change on the previous year; "" when it cannot be said."""
        ind = self.indicator
        if ind.kind == Indicator.Kind.GROWTH:
            rate, decimals = self.num, ind.decimals
        elif self.num is not None and self._previous and ind.kind not in (
                *SHARE_KINDS, Indicator.Kind.WATER_CLASS):
            rate, decimals = (self.num - self._previous) * 100 / self._previous, 1
        else:
            return ""
        if rate is None:
            return ""
        rate = round(rate, decimals)
        if rate == 0:
            return "持平"
        return f"{'增长' if rate > 0 else '下降'}{_num(rate, decimals)}%"

    @property
    def against_target(self) -> str:
        """"达到年度目标（80.00%）" / "未达到年度目标（95.0%）"; "" without a target."""
        if self._on_target is None or self._target is None:
            return ""
        t = indicators.fmt(self.indicator, self._target)
        return f"达到年度目标（{t}）" if self._on_target else f"未达到年度目标（{t}）"

    @property
    def verified(self) -> bool:
        return self.indicator.verified


class _NoFig:
    """What an unknown or switched-off indicator code gives: prints "（暂无数据）", is false."""

    def __str__(self) -> str:
        return MISSING

    def __bool__(self) -> bool:
        return False

    def __getattr__(self, name: str) -> str:
        if name.startswith("__"):
            raise AttributeError(name)
        return ""


class Figures(dict):
    """{indicator code: Fig}; an unknown code gives a missing figure instead of an error, so a
    district's template survives an indicator being switched off."""

    def __missing__(self, key: str) -> _NoFig:
        return _NoFig()


# --- projects --------------------------------------------------------------------------------


@dataclass
class ProjectRow:
    number: str
    name: str
    area: str
    lead: str
    target: str
    planned_money: Decimal
    end_date: dt.date
    planned: Decimal
    actual: Decimal
    flag: str
    label: str


@dataclass
class Projects:
    plans: list[str] = field(default_factory=list)
    rows: list[ProjectRow] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def plan_name(self) -> str:
        return "、".join(self.plans)

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def planned_money(self) -> Decimal:
        return sum((r.planned_money for r in self.rows), Decimal(0))

    @property
    def planned_text(self) -> str:
        return format_amount(self.planned_money, "auto")

    @property
    def behind(self) -> list[ProjectRow]:
        return [r for r in self.rows if r.flag in ("overdue", "at_risk", "lagging")]

    @property
    def behind_names(self) -> str:
        # 标有引号的并列成分之间不用顿号（GB/T 15834-2011）
        return "".join(f"“{r.name}”" for r in self.behind)


def projects_of(region: Region, year: int, at: dt.date) -> Projects:
    """The projects of the year's plans in the region (a district's plan; for a street, the
    projects with a sub-item there), with their status at `at`."""
    prefix = region.prefix
    qs = (Project.objects.filter(plan__year=year)
          .filter(Q(plan__region__code__startswith=prefix)
                  | Q(sub_items__region__code__startswith=prefix))
          .distinct().select_related("plan", "lead_department").order_by("plan", "number", "id"))
    areas = dict(Area.choices)
    out = Projects(counts=dict.fromkeys(FLAG_ORDER, 0))
    for p, s in project_services.with_status(qs, at):
        if p.plan.name not in out.plans:
            out.plans.append(p.plan.name)
        out.counts[s.flag] += 1
        out.rows.append(ProjectRow(
            number=p.number, name=p.name, area=str(areas.get(p.area, p.area)),
            lead=p.lead_department.name, target=p.target,
            planned_money=sum((f.planned for f in p.funds.all()), Decimal(0)),
            end_date=p.end_date, planned=s.planned, actual=s.actual, flag=s.flag,
            label=FLAG_LABELS[s.flag]))
    out.rows.sort(key=lambda r: (r.number.zfill(6), r.name))
    return out


# --- cases -----------------------------------------------------------------------------------


class _Reader:
    """Who reads the case statistics for the report: the whole region, like the indicator
    computation. Access to the region is checked before (the page's scope check, or the server
    operator running the command)."""

    is_authenticated = True
    is_active = True
    is_superuser = True
    pk = None


def cases_of(region: Region, period: Period) -> dict[str, Any]:
    reader = _Reader()
    categories = stats.by_category(reader, period.start, period.end, region.prefix)
    monthly = stats.monthly_trend(reader, period.start, period.end, region.prefix)
    return {"categories": categories, "top": categories[:3], "monthly": monthly}


# --- spending --------------------------------------------------------------------------------


def spending_of(region: Region, year: int) -> list[dict[str, Any]]:
    """Livelihood spending of the year by functional class, largest first (projects/budget.py's
    rule: each class once, which classes count is configuration)."""

    share = share_of_amounts((r["code"], r["amount"]) for r in ExpenditureLine.objects.filter(
        region__code__startswith=region.prefix, year=year).order_by()
        .values("code").annotate(amount=Sum("amount")))
    if share is None:
        return []
    rows = [{"code": c, "name": share.livelihood_classes[c], "amount": a,
             "text": format_amount(a, "auto")}
            for c, a in share.by_class.items() if c in share.livelihood_classes and a]
    return sorted(rows, key=lambda r: -r["amount"])


# --- everything ------------------------------------------------------------------------------


def report_date(year: int, today: dt.date | None = None) -> dt.date:
    """The date the report speaks for: the year's last day, or today in the current year."""
    today = today or timezone.localdate()
    return min(today, dt.date(year, 12, 31))


def indicator_as_of(region: Region, period: Period, computed_at: dt.datetime | None
                    ) -> dict[str, dt.datetime | None]:
    """When each indicator's figures were last established: the computation for computed data,
    the last approved manual value for manual data (one query per data set)."""
    manual = {e.code: e for e in DataElement.objects.filter(source="manual")
              .select_related("dataset")}
    stamps: dict[str, dt.datetime | None] = {}
    by_dataset: dict[str, dt.datetime | None] = {}
    for ind in Indicator.objects.filter(active=True):
        codes = ind.element_codes()
        mine = [manual[c] for c in codes if c in manual]
        if not mine:
            stamps[ind.code] = computed_at
            continue
        best = None
        for el in mine:
            key = el.dataset_id or ""
            if key not in by_dataset:
                kind = el.dataset.period_kind if el.dataset else "year"
                try:
                    subs = [p.id for p in period.sub_periods(kind)]
                except ValueError:
                    subs = [period.id]
                by_dataset[key] = DataValue.objects.filter(
                    element__dataset_id=el.dataset_id, period__in=subs, approved=True,
                    region__code__startswith=region.prefix).aggregate(m=Max("updated_at"))["m"]
            stamp = by_dataset[key]
            if stamp and (best is None or stamp > best):
                best = stamp
        stamps[ind.code] = best
    return stamps


@dataclass
class Data:
    region: Region
    year: int
    period: Period
    at: dt.date
    computed_at: dt.datetime | None
    values: dict[str, indicators.Value]
    figures: Figures
    projects: Projects
    cases: dict[str, Any]
    spending: list[dict[str, Any]]

    @property
    def partial_year(self) -> bool:
        return self.at < dt.date(self.year, 12, 31)

    @property
    def span(self) -> str:
        """"全年", or the months so far ("1—11月") in the current year."""
        if not self.partial_year:
            return "全年"
        return "1月" if self.at.month == 1 else f"1—{self.at.month}月"

    def context(self) -> dict[str, Any]:
        """The variables of the report template (reports/annual.md)."""
        return {
            "region": self.region, "year": self.year, "period": self.period,
            "v": self.figures, "projects": self.projects, "cases": self.cases,
            "spending": {"classes": self.spending, "top": self.spending[:3]},
            "at": self.at, "at_text": date_text(self.at), "partial_year": self.partial_year,
            "span": self.span,
            "computed_at": self.computed_at,
            "computed_text": date_text(timezone.localtime(self.computed_at).date())
            if self.computed_at else MISSING,
            "generated": self.region.geometry_generated,
            "district": self.region if self.region.level == "district"
            else Region.objects.filter(code=district_code(self.region.code)).first(),
            "level": self.region.level,
            # what the life-circle coverage checks: the required categories of the 15-minute
            # level (the rule of indicators.sources.lifecircle)
            "lifecircle_required": list(FacilityCategory.objects.filter(
                level=15, required=True).order_by("order", "code").values_list("name", flat=True)),
        }


def collect(region: Region, year: int, *, fresh: bool = True, today: dt.date | None = None
            ) -> Data:
    """Everything the report needs. `fresh` recomputes the district's computed data for the
    year first (the command); otherwise values older than ten minutes are recomputed
    (indicators.services.ensure_fresh, the pages)."""
    period = Period(year)
    district = district_code(region.code)
    if fresh:
        indicators.compute(district, period)
        computed_at = indicators.as_of(district, period)
    else:
        computed_at = indicators.ensure_fresh(district, period)
    values = indicators.evaluate([region.code], period)[region.code]
    figures = Figures({code: Fig(v.indicator, v.value, v.previous, v.target, v.on_target)
                       for code, v in values.items()})
    at = report_date(year, today)
    return Data(region=region, year=year, period=period, at=at, computed_at=computed_at,
                values=values, figures=figures, projects=projects_of(region, year, at),
                cases=cases_of(region, period), spending=spending_of(region, year))
