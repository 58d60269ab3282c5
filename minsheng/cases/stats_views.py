"""Supervisors' pages of cases: statistics (with the heat map), the 12345 hotline import and the
Excel export of a filtered list. Mediation and administrative review pages are in
mediation_views.py.

Figures come from cases/stats.py (SQL aggregates over access.cases_for); the import and export
go through cases/exchange.py. The region switcher (places.regionswitch) narrows what is shown; the
security boundary is always the scoping function.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Max, Min
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from minsheng.accounts.roles import EXPORT
from minsheng.cases import exchange, stats
from minsheng.cases.access import can_see_stats, cases_for
from minsheng.cases.views import filter_cases  # the list page's own filters
from minsheng.lib import widgets
from minsheng.lib.http import download
from minsheng.lib.tabular import ImportRejected, show_rejection
from minsheng.lib.validators import InputChecked
from minsheng.places.coords import CRS_LABELS
from minsheng.places.regionswitch import current_prefix, current_region
from minsheng.places.scope import scope_of


def _require_stats(user) -> None:
    if not can_see_stats(user):
        raise PermissionDenied(_("只有区级管理员、街道工作人员、部门工作人员和查看者可以查看诉求统计。"))


def _download(content: bytes, ctype: str, filename: str) -> HttpResponse:
    return download(content, filename, ctype)


# --- statistics ------------------------------------------------------------------------------


class PeriodForm(InputChecked, forms.Form):
    period = forms.ChoiceField(label=gettext_lazy("统计周期"), required=False, choices=[
        ("year", gettext_lazy("年度")), ("quarter", gettext_lazy("季度")),
        ("month", gettext_lazy("月度")), ("custom", gettext_lazy("自定义"))])
    year = forms.IntegerField(label=gettext_lazy("年"), required=False, min_value=2000,
                              max_value=2100)
    quarter = forms.TypedChoiceField(label=gettext_lazy("季度"), required=False, coerce=int,
                                     empty_value=None,
                                     choices=[(q, f"Q{q}") for q in range(1, 5)])
    month = forms.TypedChoiceField(label=gettext_lazy("月"), required=False, coerce=int,
                                   empty_value=None, choices=[(m, m) for m in range(1, 13)])
    start = forms.DateField(label=gettext_lazy("从"), required=False,
                            widget=widgets.DateInput())
    end = forms.DateField(label=gettext_lazy("至"), required=False,
                          widget=widgets.DateInput())


def _period(request) -> tuple[dt.datetime, dt.datetime, str, PeriodForm]:
    form = PeriodForm(request.GET or None)
    d = form.cleaned_data if form.is_valid() else {}
    kind = d.get("period") or "year"
    start, end, label = stats.period_bounds(
        kind, year=d.get("year"), quarter=d.get("quarter"), month=d.get("month"),
        start=d.get("start"), end=d.get("end"))
    return start, end, label, form


def _query(request) -> str:
    keys = ("period", "year", "quarter", "month", "start", "end")
    return urlencode({k: request.GET[k] for k in keys if request.GET.get(k)})


def _years(user, prefix: str) -> list[int]:
    agg = stats.all_cases(user, prefix).aggregate(lo=Min("created_at"), hi=Max("created_at"))
    this = timezone.localdate().year
    lo = timezone.localtime(agg["lo"]).year if agg["lo"] else this
    hi = max(this, timezone.localtime(agg["hi"]).year if agg["hi"] else this)
    return list(range(hi, lo - 1, -1))


@login_required
def stats_page(request):
    _require_stats(request.user)
    start, end, label, form = _period(request)
    prefix = current_prefix(request)
    data = stats.summary(request.user, start, end, prefix)
    last = end - dt.timedelta(seconds=1)
    export_query = urlencode({"start": f"{timezone.localtime(start):%Y-%m-%d}",
                              "end": f"{timezone.localtime(last):%Y-%m-%d}"})
    chart = stats.as_json({
        "monthly": data["monthly"], "by_category": data["by_category"],
        "by_status": data["by_status"], "by_channel": data["by_channel"],
    })
    return render(request, "cases/stats.html", {
        "form": form, "label": label, "start": start, "end": last, "region": current_region(request),
        "d": data, "c": data["cases"], "m": data["mediation"],
        "recon": data["reviews"]["reconsideration"], "disp": data["reviews"]["dispute"],
        "ranking": data["ranking"], "chart": chart, "query": _query(request),
        "years": _years(request.user, prefix), "export_query": export_query,
        "selected_year": timezone.localtime(start).year,
        "can_export": scope_of(request.user).has_right(EXPORT),
        "can_import": exchange.can_import(request.user),
        "period": (form.cleaned_data.get("period") if form.is_bound and form.is_valid()
                   else "") or "year",
        "child_level": {6: _("区/县"), 9: _("街道/乡镇"), 12: _("社区/村")}.get(
            stats.child_length(prefix), _("下级区划")),
    })


@login_required
@require_GET
def heat_json(request):
    """The heat layer (GeoJSON squares with counts) for the same period and region."""
    _require_stats(request.user)
    start, end, _label, _form = _period(request)
    return JsonResponse(stats.heat_cells(request.user, start, end, current_prefix(request)))


@login_required
@require_GET
def figures_json(request):
    """Every figure of the page as JSON (for the indicators and anyone scripting)."""
    _require_stats(request.user)
    start, end, label, _form = _period(request)
    data = stats.summary(request.user, start, end, current_prefix(request))
    data["period"]["label"] = label
    return JsonResponse(stats.as_json(data), json_dumps_params={"ensure_ascii": False})


# --- hotline import and export ---------------------------------------------------------------


class HotlineImportForm(InputChecked, forms.Form):
    crs = forms.ChoiceField(
        label=gettext_lazy("坐标系"),
        choices=[("", gettext_lazy("— 请选择文件所用的坐标系 —"))]
        + [(k.value, v) for k, v in CRS_LABELS.items()],
        help_text=gettext_lazy("12345 平台导出的坐标多为 GCJ-02（高德）或 BD-09（百度）；GPS 和天地图为 WGS-84。"
                               "选错会使位置偏移数百米。"))
    file = forms.FileField(label=gettext_lazy("工单文件 (.xlsx / .csv)"))

    def clean_file(self):
        f = self.cleaned_data["file"]
        if not f.name.lower().endswith((".xlsx", ".csv")):
            raise ValidationError(_("请上传 .xlsx 或 .csv 文件（旧版 .xls 请另存为 .xlsx）。"))
        if f.size > 20 * 1024 * 1024:
            raise ValidationError(_("文件不能超过 20 MB。"))
        return f


@login_required
def import_page(request):
    if not exchange.can_import(request.user):
        raise PermissionDenied(_("只有区级管理员和街道工作人员可以导入 12345 工单。"))
    form = HotlineImportForm(request.POST or None, request.FILES or None)
    errors = report = None
    if request.method == "POST" and form.is_valid():
        f = form.cleaned_data["file"]
        try:
            result = exchange.import_hotline(request.user, f.read(), f.name,
                                             form.cleaned_data["crs"], request=request)
        except ImportRejected as e:
            errors, report = show_rejection(request, e)
        else:
            messages.success(request, _("导入成功：新增诉求 %(n)d 件，已按类别和位置派单。")
                             % {"n": result.created})
            return redirect("casestats:import")
    return render(request, "cases/import.html", {"form": form, "errors": errors, "report": report})


@login_required
def template_download(request):
    if not exchange.can_import(request.user):
        raise PermissionDenied
    return _download(*exchange.hotline_template())


@login_required
@require_GET
def export_download(request):
    """/cases/export.xlsx?status=&type=&channel=&overdue=&start=&end=[&unmask=1] — the list page's
    filters (its own filter function), the region switcher, masked phones unless unmasked."""
    user = request.user
    if not scope_of(user).has_right(EXPORT):
        raise PermissionDenied(_("没有导出数据的权限。"))
    qs, _form = filter_cases(cases_for(user), request.GET)
    prefix = current_prefix(request) if scope_of(user).prefixes else ""
    note = "，".join(f"{k}={v}" for k, v in request.GET.items()
                    if k in ("status", "type", "channel", "overdue", "start", "end", "q") and v)
    try:
        content, ctype, filename = exchange.export_cases(
            user, qs, unmask=request.GET.get("unmask") == "1", prefix=prefix, note=note,
            request=request)
    except PermissionError as e:
        raise PermissionDenied(str(e)) from e
    return _download(content, ctype, filename)
