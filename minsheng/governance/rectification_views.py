"""Pages of the rectification lists: parse, check (access), call (rectification.do_*), render."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from minsheng.accounts.roles import MANAGE_GOVERNANCE
from minsheng.governance import access, rectification
from minsheng.governance.models import Task, TaskList
from minsheng.lib.http import download
from minsheng.lib.images import clean_image
from minsheng.lib.tabular import ImportRejected, show_rejection
from minsheng.lib.validators import MULTI_LINE, SINGLE_LINE, InputChecked
from minsheng.places.scope import scope_of

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ImportForm(InputChecked, forms.Form):
    name = forms.CharField(label=gettext_lazy("清单名称"), max_length=100, validators=[SINGLE_LINE])
    kind = forms.ChoiceField(label=gettext_lazy("类别"), choices=TaskList.Kind.choices)
    file = forms.FileField(label=gettext_lazy("Excel 文件"))


class EvidenceForm(InputChecked, forms.Form):
    evidence = forms.CharField(label=gettext_lazy("整改情况"), max_length=2000, required=False,
                               widget=forms.Textarea(attrs={"rows": 4}), validators=[MULTI_LINE])
    photo = forms.FileField(label=gettext_lazy("照片"), required=False,
                            widget=forms.ClearableFileInput(attrs={"accept": "image/*"}))

    def clean_photo(self):
        return clean_image(self.cleaned_data.get("photo"))


class VerifyForm(InputChecked, forms.Form):
    passed = forms.TypedChoiceField(choices=[("1", "1"), ("0", "0")], coerce=lambda v: v == "1")
    reason = forms.CharField(max_length=300, required=False, validators=[SINGLE_LINE])


@login_required
def lists(request: HttpRequest) -> HttpResponse:
    if not access.nav(request.user)["rectification"]:
        raise PermissionDenied
    regions = access.import_regions(request.user)
    can_import = bool(regions) or scope_of(request.user).everything
    form = ImportForm(request.POST or None, request.FILES or None)
    errors, error_file = [], ""
    if request.method == "POST":
        if not can_import:
            raise PermissionDenied
        if form.is_valid():
            region = regions[0] if regions else "131002000000"
            try:
                tl = rectification.do_import_list(
                    form.cleaned_data["file"], form.cleaned_data["file"].name,
                    name=form.cleaned_data["name"], kind=form.cleaned_data["kind"],
                    region_code=region, by=request.user,
                    allowed=lambda code: scope_of(request.user).has_right(MANAGE_GOVERNANCE,
                                                                          code))
                messages.success(request, _("已导入 %(n)d 个整改事项") % {"n": tl.tasks.count()})
                return redirect("governance:task-list", pk=tl.pk)
            except ImportRejected as exc:
                errors, error_file = show_rejection(request, exc)
    rows = []
    for tl in access.task_lists_for(request.user).order_by("-created_at")[:100]:
        rows.append((tl, rectification.completion(access.tasks_for(request.user)
                                                  .filter(task_list=tl))))
    return render(request, "governance/rectification_lists.html", {
        "rows": rows, "form": form if can_import else None, "errors": errors,
        "error_file": error_file})


@login_required
def template(request: HttpRequest) -> HttpResponse:
    if not access.import_regions(request.user) and not scope_of(request.user).everything:
        raise PermissionDenied
    return download(rectification.template_xlsx(), "整改清单模板.xlsx", XLSX)


@login_required
def task_list(request: HttpRequest, pk: int) -> HttpResponse:
    tl = access.access_task_list_by_id(request.user, pk)
    tasks = access.tasks_for(request.user).filter(task_list=tl)
    today = timezone.localdate()
    return render(request, "governance/rectification_list.html", {
        "tl": tl, "tasks": tasks.order_by("number"), "today": today,
        "total": rectification.completion(tasks, today),
        "units": rectification.by_unit(tasks, today)})


@login_required
def task(request: HttpRequest, pk: int) -> HttpResponse:
    t = access.access_task_by_id(request.user, pk)
    responsible = access.is_responsible(request.user, t)
    verifier = access.can_verify(request.user, t.task_list)
    return render(request, "governance/rectification_task.html", {
        "t": t, "overdue": t.state != Task.State.VERIFIED and t.deadline < timezone.localdate(),
        "evidence_form": EvidenceForm() if responsible and t.state in rectification.SUBMITTABLE
        else None,
        "can_verify": verifier and t.state == Task.State.SUBMITTED})


@require_POST
@login_required
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    t = access.access_task_by_id(request.user, pk)
    if not access.is_responsible(request.user, t):
        raise PermissionDenied
    form = EvidenceForm(request.POST, request.FILES)
    try:
        if not form.is_valid():
            raise ValidationError([m for ms in form.errors.values() for m in ms])
        photo = form.cleaned_data["photo"]
        rectification.do_submit(t, evidence=form.cleaned_data["evidence"],
                                photos=[photo] if photo else [], by=request.user)
        messages.success(request, _("整改情况已提交"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("governance:task", pk=t.pk)


@require_POST
@login_required
def verify(request: HttpRequest, pk: int) -> HttpResponse:
    t = access.access_task_by_id(request.user, pk)
    if not access.can_verify(request.user, t.task_list):
        raise PermissionDenied
    form = VerifyForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("请选择核验结果"))
        rectification.do_verify(t, passed=form.cleaned_data["passed"],
                                reason=form.cleaned_data["reason"], by=request.user)
        messages.success(request, _("核验结果已记录"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("governance:task", pk=t.pk)
