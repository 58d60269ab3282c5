"""Upload and download pages for places (Excel/CSV/GeoJSON), over places/exchange.py; problems
are lib.tabular's RowErrors, downloadable as its error report."""

from __future__ import annotations

import base64

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from minsheng.lib.http import download
from minsheng.lib.tabular import ImportRejected, show_rejection
from minsheng.lib.validators import InputChecked
from minsheng.places import exchange, scope
from minsheng.places.coords import CRS_LABELS
from minsheng.places.regionswitch import current_prefix

GEO_KINDS = ("grids", "compound_boundaries")
TABLE_KINDS = ("compounds", "facilities", "organisations")


KIND_LABELS = {
    "compounds": gettext_lazy("小区"),
    "facilities": gettext_lazy("服务设施"),
    "organisations": gettext_lazy("组织机构"),
    "grids": gettext_lazy("网格边界 (GeoJSON)"),
    "compound_boundaries": gettext_lazy("小区边界 (GeoJSON)"),
}


class ImportForm(InputChecked, forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("导入内容"), choices=list(KIND_LABELS.items()))
    crs = forms.ChoiceField(
        label=gettext_lazy("坐标系"), choices=[("", gettext_lazy("— 请选择文件所用的坐标系 —"))]
        + [(k.value, v) for k, v in CRS_LABELS.items()],
        help_text=gettext_lazy("高德、腾讯为 GCJ-02，百度为 BD-09，GPS 和天地图为 WGS-84。选错会使位置偏移数百米。"),
    )
    file = forms.FileField(label=gettext_lazy("文件 (.xlsx / .csv / .geojson)"))

    def clean(self):
        d = super().clean()
        f, kind = d.get("file"), d.get("kind")
        if f and kind:
            name = f.name.lower()
            ok = name.endswith((".geojson", ".json")) if kind in GEO_KINDS else name.endswith(
                (".xlsx", ".csv"))
            if not ok:
                self.add_error("file", _("文件类型与导入内容不符：表格请用 .xlsx 或 .csv，边界请用 .geojson。"))
        return d


def _require_editor(user):
    if not scope.editable_regions_for(user).exists():
        raise PermissionDenied


@login_required
def import_page(request):
    _require_editor(request.user)
    form = ImportForm(request.POST or None, request.FILES or None)
    errors = None
    report = None
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        content = d["file"].read()
        try:
            if d["kind"] in exchange.GEO_KINDS:
                result = exchange.import_geojson(request.user, d["kind"], content, d["crs"],
                                                 request=request)
            else:
                result = exchange.import_file(request.user, d["kind"], content, d["file"].name,
                                              d["crs"], request=request)
        except ImportRejected as e:
            errors, report = show_rejection(request, e)
        else:
            messages.success(request, _("导入成功：新增 %(c)d 条，更新 %(u)d 条。")
                             % {"c": result.created, "u": result.updated})
            return redirect("places:import")
    return render(request, "places/import.html", {
        "form": form, "errors": errors, "report": report, "kinds": KIND_LABELS,
        "table_kinds": TABLE_KINDS,
    })


@login_required
def template_download(request, kind: str, fmt: str):
    if kind not in TABLE_KINDS or fmt not in ("xlsx", "csv"):
        raise Http404
    content, ctype, filename = exchange.template(kind, fmt)
    return _attachment(content, ctype, filename)


@login_required
def export_download(request, kind: str, fmt: str):
    if fmt not in ("xlsx", "csv", "geojson"):
        raise Http404
    if kind not in TABLE_KINDS and kind not in ("grids", "regions"):
        raise Http404
    unmask = request.GET.get("unmask") == "1"
    try:
        content, ctype, filename = exchange.export(
            request.user, kind, fmt, region_prefix=current_prefix(request) or None, unmask=unmask,
            request=request)
    except PermissionError as e:
        raise PermissionDenied(str(e)) from e
    except ValueError as e:
        raise Http404(str(e)) from e
    return _attachment(content, ctype, filename)


@login_required
@require_POST
def error_report_download(request):
    data = request.POST.get("report", "")
    try:
        content = base64.b64decode(data, validate=True)
    except ValueError as e:
        raise Http404 from e
    if not content.startswith(b"PK"):
        raise Http404
    return _attachment(content, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       "导入错误清单.xlsx")


def _attachment(content: bytes, ctype: str, filename: str) -> HttpResponse:
    return download(content, filename, ctype)
