"""The indicator pages: the dashboard (tiles by section, the year's monthly case trend, a chosen
indicator by child region as a bar chart and a choropleth map), one indicator's page (definition,
formula, values by child region and over time, raw data elements, and links to the records behind
it), and the dashboard's figures as Excel.

Every figure comes from services.evaluate after services.ensure_fresh, so the pages, the report
and the API show the same numbers. The region is `?region=CODE` (default: the region of the
switcher, which starts as the user's widest region). Drilling into a street changes this page's
region only, never the switcher's (every other page keeps its region); the "records behind it"
links of a drilled page switch explicitly (a button that says so). The switcher at the top
rewrites the page's ?region= when it switches (places.views.switch_region). Access (indicators/access.py): VIEW_INDICATORS in that region (403 without it); a region
outside the user's scope is 404, as with places.scope.access_region_by_code.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from urllib.parse import urlencode

import openpyxl
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from minsheng.accounts import masking
from minsheng.accounts.models import AuditLog
from minsheng.cases import stats as case_stats
from minsheng.cases.access import can_see_stats, is_case_staff
from minsheng.indicators import access, services
from minsheng.indicators.access import LEVELS
from minsheng.indicators.models import (
    Completion,
    DataElement,
    DataValue,
    Indicator,
    Section,
)
from minsheng.indicators.periods import MONTH, QUARTER, YEAR, Period, PeriodError, parse
from minsheng.lib.http import download
from minsheng.lib.tabular import append_row
from minsheng.places.models import Region, district_code
from minsheng.places.regionswitch import current_region
from minsheng.projects.access import expenditure_for, plans_for

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DEFAULT_MAP_INDICATOR = "cases_received"
TREND_INDICATOR = "cases_resolution_rate"  # its elements are cases received and resolved


# --- region, period and access -----------------------------------------------------------------


def _english() -> bool:
    return (get_language() or "").startswith("en")


def _name(obj) -> str:
    return (getattr(obj, "name_en", "") or obj.name) if _english() else obj.name


def _label(p: Period) -> str:
    return p.label_en if _english() else p.label


def _region(request) -> Region:
    """The region asked for (?region=, else the switcher's), checked by
    access.access_indicator_region (403/404). It is this page's region only: the switcher's
    region, which every other page shows, is not changed by drilling down."""
    user = request.user
    code = request.GET.get("region", "").strip()
    current = None if code else current_region(request)  # the default needs the switcher's
    return access.access_indicator_region(user, code, current=current)


def _period(request) -> Period:
    """?period=2026 / 2026Q3 / 2026-07, or the selector's kind/year/quarter/month; default this
    year."""
    today = timezone.localdate()
    raw = request.GET.get("period", "").strip()
    if not raw and request.GET.get("year", "").isdigit():
        kind, year = request.GET.get("kind", YEAR), request.GET["year"]
        if kind == QUARTER and request.GET.get("quarter", "") in ("1", "2", "3", "4"):
            raw = f"{year}Q{request.GET['quarter']}"
        elif kind == MONTH and request.GET.get("month", "").isdigit():
            raw = f"{year}-{int(request.GET['month']):02d}"
        else:
            raw = year
    if raw:
        try:
            return parse(raw)
        except PeriodError as exc:
            messages.error(request, _("期间有误：%(e)s；显示本年度。") % {"e": exc})
    return Period(today.year)


def _fresh(district: str, p: Period, today: dt.date) -> None:
    """Values of a period other than the page's own: a period still running is kept fresh like the
    page's; a closed one is computed once after it ended (recomputing every month of a year on
    every visit would take seconds)."""
    if p.end > today:
        services.ensure_fresh(district, p)
        return
    stamp = services.as_of(district, p)
    if stamp is None or timezone.localtime(stamp).date() < p.end:
        services.compute(district, p)


def _years(district: str) -> list[int]:
    this = timezone.localdate().year
    seen = {int(p[:4]) for p in DataValue.objects.filter(region_id=district)
            .order_by().values_list("period", flat=True).distinct()}
    lo = min([y for y in seen if y <= this] + [this - 4])
    return list(range(this, lo - 1, -1))


def _chain(region: Region, user) -> list[dict]:
    """District › street › community, each a link when the user may see its indicators."""
    out, r = [], region
    while r is not None and r.level in LEVELS:
        out.append({"region": r, "link": r.code != region.code and access.can_view(user, r.code)})
        r = r.parent
    return out[::-1]


def _qs(**kw) -> str:
    return urlencode({k: v for k, v in kw.items() if v not in (None, "")})


# --- presenting values -------------------------------------------------------------------------


def _num(v: Decimal | None) -> float | None:
    return None if v is None else float(v)


def _plain(ind: Indicator, v: Decimal | None) -> str:
    return services.fmt(ind, v, unit=False)


def _trend(val: services.Value) -> dict | None:
    change = val.change
    if change is None:
        return None
    ind = val.indicator
    if ind.kind == Indicator.Kind.WATER_CLASS:
        sign = -1 if change > 0 else (1 if change < 0 else 0)  # a higher class is worse water
        text = f"{services.fmt(ind, val.previous)} → {services.fmt(ind, val.value)}"
    else:
        sign = 1 if change > 0 else (-1 if change < 0 else 0)
        text = _plain(ind, abs(change))  # the arrow carries the sign
        if ind.kind in (Indicator.Kind.PERCENT, Indicator.Kind.GROWTH):
            text += _("个百分点")
        else:
            text += ind.unit
        if sign == 0:
            text = _("持平")
    hib = ind.higher_is_better
    if ind.kind == Indicator.Kind.WATER_CLASS:
        good = sign > 0
        cls = "flat" if sign == 0 else ("good" if good else "bad")
    elif sign == 0:
        cls = "flat"
    elif hib is None:
        cls = "neutral"
    else:
        cls = "good" if (sign > 0) == hib else "bad"
    return {"arrow": "↑" if change > 0 else ("↓" if change < 0 else ""), "cls": cls,
            "text": text}


# sources.budget yields budget lines for years only; a quarter's or month's 0 would be misleading


def _yearly_only(ind: Indicator, period: Period) -> bool:
    return period.kind != YEAR and bool(ind.element_codes() & services.YEARLY_ONLY)


def _hide_yearly(values: dict[str, services.Value], period: Period) -> None:
    """Blank the indicators that only exist for years when a quarter or month is shown."""
    for val in values.values():
        if _yearly_only(val.indicator, period):
            val.value = val.previous = val.target = None
            val.elements = dict.fromkeys(val.elements)


class Notes:
    """What is needed to say why an indicator has no value for a region and period."""

    def __init__(self, region: Region, period: Period):
        self.region, self.period = region, period
        self.elements = {e.code: e for e in DataElement.objects.select_related("dataset")}
        self.completions = _completions(region, period)
        # computed elements that never have a value at this region (e.g. budget lines and
        # project plans are kept for the district only)
        self.present = set(DataValue.objects.filter(region_id=region.code)
                           .order_by().values_list("element_id", flat=True).distinct())

    def why(self, ind: Indicator) -> str:
        """Yearly data asked for a quarter, a return not yet approved, nothing entered, figures
        kept for the district only, or nothing to count or divide by."""
        period, elements = self.period, self.elements
        if _yearly_only(ind, period):
            return _("按年度统计，请选择年度查看")
        codes = [c for c in ind.element_codes() if c in elements]
        manual = [elements[c] for c in codes if elements[c].source == DataElement.Source.MANUAL]
        if ind.kind == Indicator.Kind.GROWTH and not manual:
            return _("缺少上期数据，无法计算增长")
        if not manual:
            if self.region.level != Region.Level.DISTRICT and not (set(codes) & self.present):
                return _("只统计到区级")
            return _("本期无记录，无法计算") if ind.denominator else _("本期无记录")
        for el in manual:
            kind = el.dataset.period_kind if el.dataset else YEAR
            if period.kind != kind and period.is_finer_or_equal(kind):  # a quarter of yearly data
                return {YEAR: _("按年度填报，请选择年度查看"),
                        QUARTER: _("按季度填报，请选择季度或年度查看")}.get(kind, _("本期无数据"))
        states = {self.completions.get(el.dataset_id) for el in manual}
        if Completion.State.SUBMITTED in states:
            return _("已上报，待审核")
        if Completion.State.DRAFT in states:
            return _("填报中，尚未上报")
        return _("尚未填报")


def _completions(region: Region, period: Period) -> dict[str, str]:
    """The state of each data set's return for the period, at the region or above it."""
    codes = {region.code, district_code(region.code), region.code[:9] + "000"}
    order = {Completion.State.DRAFT: 0, Completion.State.SUBMITTED: 1, Completion.State.APPROVED: 2}
    out: dict[str, str] = {}
    for ds, state in Completion.objects.filter(region_id__in=codes, period=period.id) \
            .values_list("dataset_id", "state"):
        if ds not in out or order.get(state, 0) > order.get(out[ds], 0):
            out[ds] = state
    return out


def _tile(val: services.Value, notes: Notes) -> dict:
    ind = val.indicator
    return {
        "ind": ind, "name": _name(ind), "value": val.value, "text": _plain(ind, val.value),
        "unit": "类" if ind.kind == Indicator.Kind.WATER_CLASS and not _english() else ind.unit,
        "target": services.fmt(ind, val.target) if val.target is not None else "",
        "previous": services.fmt(ind, val.previous) if val.previous is not None else "",
        "trend": _trend(val), "off_target": val.on_target is False,
        "on_target": val.on_target is True,
        "awaiting": ind.status == Indicator.Status.AWAITING_MODULE,
        "note": "" if val.value is not None else notes.why(ind),
    }


def _indicators(dashboard: bool = True) -> list[Indicator]:
    qs = Indicator.objects.filter(active=True)
    if dashboard:
        qs = qs.filter(on_dashboard=True)
    return list(qs.order_by("order", "code"))


def _sections(inds: list[Indicator]) -> list[tuple[str, str, list[Indicator]]]:
    out = []
    for code, label in Section.choices:
        members = [i for i in inds if i.section == code]
        if members:
            out.append((code, label, members))
    return out


# --- the dashboard -----------------------------------------------------------------------------


@login_required
@require_GET
def dashboard(request):
    region = _region(request)
    period = _period(request)
    today = timezone.localdate()
    district = district_code(region.code)
    as_of = services.ensure_fresh(district, period)
    _fresh(district, period.previous(), today)
    inds = _indicators()
    values = services.evaluate([region.code], period, indicators=inds)[region.code]
    _hide_yearly(values, period)
    notes = Notes(region, period)
    sections = [{"code": code, "label": label,
                 "tiles": [_tile(values[i.code], notes) for i in members]}
                for code, label, members in _sections(inds)]

    # the year's months: cases received and resolved
    by_code = {i.code: i for i in Indicator.objects.filter(code=TREND_INDICATOR)}
    trend = []
    if by_code:
        for m in Period(period.year).sub_periods(MONTH):
            if m.start > today:
                break
            _fresh(district, m, today)
            v = services.evaluate([region.code], m, indicators=list(by_code.values()),
                                  with_previous=False)[region.code][TREND_INDICATOR]
            trend.append({"period": m.id, "label": f"{m.number}" + ("" if _english() else "月"),
                          "received": _num(v.elements.get("cases_received")),
                          "resolved": _num(v.elements.get("cases_resolved"))})

    # the chosen indicator by child region: a bar chart, a map and a table
    kids = services.children(region.code)
    chosen = request.GET.get("ind", DEFAULT_MAP_INDICATOR)
    if chosen not in {i.code for i in inds}:
        chosen = DEFAULT_MAP_INDICATOR if any(i.code == DEFAULT_MAP_INDICATOR for i in inds) \
            else (inds[0].code if inds else "")
    child_rows, features, no_boundary = [], [], []
    if kids:
        kid_values = services.evaluate([k.code for k in kids], period, indicators=inds,
                                       with_previous=False)
        for k in kids:
            _hide_yearly(kid_values[k.code], period)
        for k in kids:
            vals = {c: _num(v.value) for c, v in kid_values[k.code].items()}
            texts = {c: v.text for c, v in kid_values[k.code].items()}
            row = {"code": k.code, "name": k.name, "values": vals, "texts": texts,
                   "has_boundary": bool(k.boundary)}
            child_rows.append(row)
            if k.boundary:
                features.append({"type": "Feature", "geometry": k.boundary,
                                 "properties": {"code": k.code, "name": k.name}})
            else:
                no_boundary.append(row)
    chosen_ind = next((i for i in inds if i.code == chosen), None)
    ind_meta = [{"code": i.code, "name": _name(i), "unit": i.unit, "decimals": i.decimals,
                 "hib": i.higher_is_better, "section": str(Section(i.section).label)}
                for i in inds if i.kind != Indicator.Kind.WATER_CLASS]
    query = _qs(region=region.code, period=period.id)
    chart = {
        "trend": trend, "children": child_rows, "indicators": ind_meta, "chosen": chosen,
        "features": {"type": "FeatureCollection", "features": features},
        "detail_url": reverse("indicators:detail", args=["__code__"]) + "?" + query,
        "region_url": reverse("indicators:dashboard") + "?" + _qs(period=period.id),
    }
    return render(request, "indicators/dashboard.html", {
        "region": region, "chain": _chain(region, request.user), "period": period,
        "running": period.start <= today < period.end, "today": today,
        "period_label": _label(period), "previous_label": _label(period.previous()),
        "as_of": as_of, "sections": sections, "chart": chart, "query": query,
        "years": _years(district), "kids": kids, "child_rows": child_rows,
        "no_boundary": no_boundary, "chosen": chosen_ind,
        "chosen_name": _name(chosen_ind) if chosen_ind else "",
        "child_level": _("街道/乡镇") if region.level == Region.Level.DISTRICT else _("社区/村"),
        "can_export": access.can_export(request.user, region.code),
        "ind_choices": [(i.code, _name(i), str(label)) for _c, label, members in _sections(inds)
                        for i in members if i.kind != Indicator.Kind.WATER_CLASS],
        "months": range(1, 13),
    })


# --- one indicator -----------------------------------------------------------------------------


def _series(period: Period) -> list[Period]:
    """The periods of the trend chart, ending at `period`: 12 months, 4 quarters or 5 years."""
    n = {MONTH: 12, QUARTER: 4, YEAR: 5}[period.kind]
    out = [period]
    while len(out) < n:
        out.append(out[-1].previous())
    return out[::-1]


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _readable(text: str, elements: dict[str, DataElement]) -> str:
    """A formula with element codes replaced by their names: 按时办结件数 ÷ 办结件数."""
    if not text:
        return ""

    def name(m: re.Match) -> str:
        code = m.group(0)
        if code == "DAYS":
            return _("本期天数")
        el = elements.get(code)
        return f"〔{_name(el)}〕" if el else code

    return _WORD.sub(name, text).replace("*", "×").replace("/", "÷")


def _records(ind: Indicator, region: Region, period: Period, user, elements) -> list[dict]:
    """Links to the module pages that hold the records behind an indicator, filtered to the region
    (through the switcher) and period where the page can filter."""
    codes = ind.element_codes()
    last = period.end - dt.timedelta(days=1)
    dates = {"start": period.start.isoformat(), "end": last.isoformat()}
    out: list[dict] = []

    def add(label: str, url: str, note: str = "") -> None:
        if all(o["url"] != url for o in out):
            out.append({"label": label, "url": url, "note": note})

    case_codes = {c for c in codes if c.startswith(("cases_", "disputes_received"))} | (
        codes & {"legal_aid_consultations", "hazards_found", "hazards_fixed", "enterprises_interviewed",
                 "civilised_city_problems", "property_repairs_resolved"})
    types = {"legal_aid_consultations": case_stats.LEGAL_AID, "hazards_found": case_stats.HAZARD,
             "hazards_fixed": case_stats.HAZARD,
             "enterprises_interviewed": case_stats.INTERVIEW,
             "civilised_city_problems": "civilised_city"}
    review = codes & {"disputes_mediated", "disputes_settled", "mediation_amount",
                      "recon_accepted", "recon_concluded", "recon_corrected", "recon_settled",
                      "recon_amount_recovered", "admin_disputes_concluded",
                      "admin_disputes_by_centre"}
    if (case_codes or review) and is_case_staff(user):
        typed = [types[c] for c in codes if c in types]
        params = dict(dates, type=typed[0]) if len(typed) == 1 else dates
        add(_("诉求清单（本期提交）"), reverse("cases:list") + "?" + _qs(**params),
            _("按提交日期筛选"))
    if (case_codes or review) and can_see_stats(user):
        stat = {"period": period.kind, "year": period.year}
        if period.kind == QUARTER:
            stat["quarter"] = period.number
        if period.kind == MONTH:
            stat["month"] = period.number
        add(_("诉求统计（调解、复议、排名）"), reverse("casestats:stats") + "?" + _qs(**stat))
    if codes & {"projects_total", "projects_completed", "projects_on_time",
                "renovations_done"} and plans_for(user).exists():
        add(_("民生项目清单"), reverse("projects:list") + "?" + _qs(year=period.year))
    if codes & {"spending_total", "spending_livelihood"} and expenditure_for(user).exists():
        add(_("民生支出"), reverse("projects:budget") + "?" + _qs(year=period.year))
    if codes & {"compounds_total", "compounds_managed", "compounds_with_committee",
                "committees_party_secretary", "compounds_old", "compounds_renovated",
                "households_total", "population_total", "smart_safety_compounds"}:
        add(_("小区名录"), reverse("places:compounds") + ("?old=1" if "compounds_old" in codes else ""),
            _("小区数是登记册的当前状态"))
    if "signed_service_points" in codes:
        add(_("签约生活圈服务网点"), reverse("places:facilities") + "?signed=1")
    if any(c.startswith("lc_") for c in codes):
        add(_("15分钟生活圈测算"), reverse("lifecircle:overview"))
    sets = {elements[c].dataset for c in codes if c in elements
            and elements[c].source == DataElement.Source.MANUAL and elements[c].dataset}
    if sets:
        names = "、".join(f"{_name(d)}（{d.owner}）" if d.owner else _name(d)
                         for d in sorted(sets, key=lambda d: d.order))
        note = _("由责任部门填报、区级审核后计入")
        if access.may_use_entry(user):
            try:
                url = reverse("indicators:entry")
            except NoReverseMatch:  # the data-entry pages are not mounted
                url = "/indicators/entry/"
            add(_("人工填报：%(sets)s") % {"sets": names}, url + "?" + _qs(year=period.year), note)
        else:
            out.append({"label": _("人工填报：%(sets)s") % {"sets": names}, "url": "",
                        "note": note})
    return out


@login_required
@require_GET
def detail(request, code: str):
    ind = get_object_or_404(Indicator, code=code)
    region = _region(request)
    period = _period(request)
    today = timezone.localdate()
    district = district_code(region.code)
    as_of = services.ensure_fresh(district, period)
    _fresh(district, period.previous(), today)
    got = services.evaluate([region.code], period, indicators=[ind])[region.code]
    _hide_yearly(got, period)
    val = got[ind.code]
    notes = Notes(region, period)
    elements, completions = notes.elements, notes.completions
    tile = _tile(val, notes)

    kids = services.children(region.code)
    child_rows = []
    if kids:
        got = services.evaluate([k.code for k in kids], period, indicators=[ind],
                                with_previous=False)
        for k in kids:
            _hide_yearly(got[k.code], period)
            v = got[k.code][ind.code]
            child_rows.append({"region": k, "value": _num(v.value), "text": v.text,
                               "target": services.fmt(ind, v.target) if v.target is not None
                               else "", "off_target": v.on_target is False})

    series = []
    for p in _series(period):
        if p.start > today:
            continue
        if p != period:
            _fresh(district, p, today)
        if p == period:
            v = val
        else:
            one = services.evaluate([region.code], p, indicators=[ind],
                                    with_previous=False)[region.code]
            _hide_yearly(one, p)
            v = one[ind.code]
        series.append({"period": p.id, "label": _label(p), "value": _num(v.value),
                       "text": v.text,
                       "target": _num(v.target)})

    used = sorted((elements[c] for c in ind.element_codes() if c in elements),
                  key=lambda e: (e.order, e.code))
    element_rows = [{"el": e, "name": _name(e), "value": val.elements.get(e.code),
                     "text": "—" if val.elements.get(e.code) is None
                     else f"{val.elements[e.code]:,.{0 if e.value_type == 'integer' else 2}f}",
                     "manual": e.source == DataElement.Source.MANUAL,
                     "state": completions.get(e.dataset_id) if e.dataset_id else None}
                    for e in used]
    query = _qs(region=region.code, period=period.id)
    return render(request, "indicators/detail.html", {
        "ind": ind, "name": _name(ind), "tile": tile, "val": val, "region": region,
        "running": period.start <= today < period.end, "today": today,
        "child_targets": any(r["target"] for r in child_rows),
        "child_values": any(r["value"] is not None for r in child_rows),
        "chain": _chain(region, request.user), "period": period, "period_label": _label(period),
        "previous_label": _label(period.previous()), "as_of": as_of,
        "numerator": _readable(ind.numerator, elements),
        "denominator": _readable(ind.denominator, elements),
        "factor": ind.factor.normalize() if ind.factor is not None else None,
        "scale": ind.scale.normalize() if ind.scale and ind.scale != 1 else None,
        "child_rows": child_rows,
        "child_level": _("街道/乡镇") if region.level == Region.Level.DISTRICT else _("社区/村"),
        "series": series, "elements": element_rows,
        "records": _records(ind, region, period, request.user, elements),
        # the module pages follow the switcher: from a drilled page they switch, and say so
        "switched": current_region(request),
        "chart": {"children": [{"code": r["region"].code, "name": r["region"].name,
                                "value": r["value"]} for r in child_rows],
                  "series": series, "unit": ind.unit, "decimals": ind.decimals,
                  "name": _name(ind)},
        "query": query, "years": _years(district), "months": range(1, 13),
        "section_label": Section(ind.section).label,
        "prorated": val.target is not None and period.kind != YEAR
        and ind.kind in (Indicator.Kind.COUNT, Indicator.Kind.AMOUNT),
        "num_text": _raw(val.numerator), "den_text": _raw(val.denominator),
    })


def _raw(v: Decimal | None) -> str:
    if v is None:
        return "—"
    return f"{v:,.4f}".rstrip("0").rstrip(".")


# --- Excel -------------------------------------------------------------------------------------


@login_required
@require_GET
def export(request):
    """The dashboard's figures for the region and period as .xlsx, one row per indicator; the
    export is written to the audit log."""
    region = _region(request)
    period = _period(request)
    if not access.can_export(request.user, region.code):
        raise PermissionDenied(_("没有导出数据的权限。"))
    district = district_code(region.code)
    as_of = services.ensure_fresh(district, period)
    _fresh(district, period.previous(), timezone.localdate())
    inds = _indicators()
    values = services.evaluate([region.code], period, indicators=inds)[region.code]
    _hide_yearly(values, period)
    stamp = timezone.localtime(as_of).strftime("%Y-%m-%d %H:%M") if as_of else ""

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = _("民生指标")[:31]
    append_row(ws, [_("%(region)s 民生指标 · %(period)s") % {"region": region.name,
                                                            "period": _label(period)}])
    ws["A1"].font = Font(bold=True, size=13)
    append_row(ws, [_("截至 %(t)s；区划代码 %(code)s；上期为 %(prev)s") % {
        "t": stamp, "code": region.code, "prev": _label(period.previous())}])
    headers = [(_("板块"), 16), (_("指标"), 30), (_("数值"), 12), (_("单位"), 10),
               (_("目标"), 12), (_("上期"), 12), (_("变化"), 12), (_("口径说明"), 60),
               (_("依据文件"), 30), (_("责任部门"), 18), (_("口径已核实"), 10), (_("状态"), 14),
               (_("截至"), 18), (_("指标代码"), 24)]
    append_row(ws, [h for h, _w in headers])
    fill = PatternFill("solid", fgColor="DBEAFE")
    for i, (_h, w) in enumerate(headers, start=1):
        cell = ws.cell(row=3, column=i)
        cell.font, cell.fill = Font(bold=True), fill
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.freeze_panes = "C4"
    n = 0
    for _code, label, members in _sections(inds):
        for ind in members:
            v = values[ind.code]
            water = ind.kind == Indicator.Kind.WATER_CLASS

            def cell(x: Decimal | None, water=water, ind=ind):
                if x is None:
                    return None
                return services.fmt(ind, x) if water else float(x)

            append_row(ws, [str(label), _name(ind), cell(v.value), "" if water else ind.unit,
                            cell(v.target), cell(v.previous),
                            None if water or v.change is None else float(v.change),
                            ind.definition, ind.source_document, ind.owner,
                            _("是") if ind.verified else _("否"), str(ind.get_status_display()),
                            stamp, ind.code])
            row = ws.max_row
            for col in (3, 5, 6, 7):
                if not water:
                    ws.cell(row=row, column=col).number_format = \
                        "#,##0" + ("." + "0" * ind.decimals if ind.decimals else "")
            ws.cell(row=row, column=8).alignment = Alignment(wrap_text=True, vertical="top")
            n += 1
    buf = io.BytesIO()
    wb.save(buf)
    masking.log(request.user, AuditLog.Action.EXPORT, object_type="indicators.indicator",
                region_code=region.code,
                detail=f"导出民生指标 {n} 项（xlsx）：{region.name} {period.label}",
                request=request)
    filename = f"民生指标_{region.name}_{period.id}.xlsx"
    return download(buf.getvalue(), filename, XLSX_TYPE)
