"""零发案 pages: the compounds by months without incident, the district figure, the police's
monthly returns with their upload, template and approval. Rules and figures: cases/incidents.py."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from minsheng.cases import incidents
from minsheng.cases.models import IncidentReturn
from minsheng.lib.http import download
from minsheng.lib.tabular import ImportRejected, show_rejection
from minsheng.lib.validators import InputChecked
from minsheng.places.regionswitch import current_prefix


class IncidentImportForm(InputChecked, forms.Form):
    district = forms.ModelChoiceField(label=gettext_lazy("区/县"), queryset=None,
                                      empty_label=None)
    file = forms.FileField(label=gettext_lazy("警情月报文件 (.xlsx / .csv)"))

    def __init__(self, user, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = incidents.import_districts(user)

    def clean_file(self):
        f = self.cleaned_data["file"]
        if not f.name.lower().endswith((".xlsx", ".csv")):
            raise ValidationError(_("请上传 .xlsx 或 .csv 文件（旧版 .xls 请另存为 .xlsx）。"))
        if f.size > 20 * 1024 * 1024:
            raise ValidationError(_("文件不能超过 20 MB。"))
        return f


class ApproveForm(InputChecked, forms.Form):
    incident_return = forms.IntegerField(min_value=1, max_value=2**31 - 1)


def _require_view(user) -> None:
    if not incidents.can_view(user):
        raise PermissionDenied(_("只有有诉求统计、数据填报或数据审核权限的用户可以查看零发案统计。"))


@login_required
def incidents_page(request):
    """/cases/incidents/: the compounds of the user's region (narrowed by the region switcher)
    by consecutive months without incident, and the returns of the district."""
    user = request.user
    _require_view(user)
    runs = incidents.runs_for(user, current_prefix(request))
    returns = list(incidents.returns_for(user).exclude(
        status=IncidentReturn.Status.SUPERSEDED)[:36])
    approvable = {r.pk for r in returns if incidents.can_approve(user, r)}
    as_of = max((r.as_of for r in runs if r.as_of), default=None)
    return render(request, "cases/incidents.html", {
        "runs": runs, "streak": incidents.streak_count(runs), "streak_months": incidents.STREAK,
        "as_of": as_of, "returns": returns, "approvable": approvable,
        "may_import": incidents.can_import(user)})


@login_required
def import_page(request):
    user = request.user
    if not incidents.can_import(user):
        raise PermissionDenied(_("只有对全区有数据填报或审核权限的用户可以导入警情月报。"))
    form = IncidentImportForm(user, request.POST or None, request.FILES or None)
    errors = report = None
    if request.method == "POST" and form.is_valid():
        f = form.cleaned_data["file"]
        try:
            result = incidents.import_returns(user, form.cleaned_data["district"], f.read(),
                                              f.name, request=request)
        except ImportRejected as e:
            errors, report = show_rejection(request, e)
        else:
            messages.success(request, _("导入成功：新增待审核月报 %(n)d 份，替换待审核月报 %(m)d 份。"
                                        "须由另一位有审核权限的用户审核后计入统计。")
                             % {"n": result.created, "m": result.updated})
            return redirect("casestats:incidents")
    return render(request, "cases/incidents_import.html",
                  {"form": form, "errors": errors, "report": report})


@login_required
def template_download(request):
    if not incidents.can_import(request.user):
        raise PermissionDenied
    content, ctype, filename = incidents.template()
    return download(content, filename, ctype)


@login_required
@require_POST
def approve(request):
    form = ApproveForm(request.POST)
    if not form.is_valid():
        raise PermissionDenied
    try:
        r = incidents.do_approve(request.user, form.cleaned_data["incident_return"],
                                 request=request)
    except ValidationError as e:
        messages.error(request, "；".join(e.messages))
    else:
        messages.success(request, _("已审核通过 %(district)s %(month)s 的警情月报。")
                         % {"district": r.district.name, "month": f"{r.month:%Y-%m}"})
    return redirect("casestats:incidents")
