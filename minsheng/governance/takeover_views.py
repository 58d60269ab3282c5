"""Pages of the takeovers: parse, check (access), call (takeovers.do_*), render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from minsheng.governance import access, exchange, takeovers
from minsheng.governance.forms import (
    ChecklistForm,
    TakeoverForm,
    TakeoverImportForm,
    TakeoverItemForm,
)
from minsheng.governance.models import TakeoverItem
from minsheng.lib.http import download
from minsheng.lib.tabular import XLSX_TYPE, ImportRejected, show_rejection
from minsheng.lib.validators import check_no_control_chars
from minsheng.places.models import Organisation, Region, code_prefix
from minsheng.projects.models import Project


@login_required
def index(request: HttpRequest) -> HttpResponse:
    if not access.nav(request.user)["takeovers"]:
        raise PermissionDenied
    tos = access.takeovers_for(request.user)
    items = access.takeover_items_for(request.user)
    rows = {r["pk"]: r for r in takeovers.takeover_rows(items)}
    managed = set(access.managed_takeovers_for(request.user).values_list("pk", flat=True))
    listed = list(tos.order_by("-started_on"))
    for t in listed:
        t.managed = t.pk in managed
    return render(request, "governance/takeovers.html", {
        "rows": [(t, rows.get(t.pk, {})) for t in listed],
        "total": takeovers.figures(items),
        "can_create": access.takeover_regions_for(request.user).exists()})


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    to = access.access_takeover_by_id(request.user, pk)
    items = access.takeover_items_for(request.user).filter(takeover=to).order_by(
        "compound__name", "deadline")
    today = timezone.localdate()
    return render(request, "governance/takeover.html", {
        "to": to, "today": today, "total": takeovers.figures(items, today),
        "can_manage": access.can_manage_takeover(request.user, to),
        "items": [(i, access.is_taking_over(request.user, i), access.can_check(request.user, i))
                  for i in items]})


@require_POST
@login_required
def act(request: HttpRequest, pk: int) -> HttpResponse:
    item = access.access_takeover_item_by_id(request.user, pk)
    what = request.POST.get("do")
    try:
        if what == "done":
            if not access.is_taking_over(request.user, item):
                raise PermissionDenied
            takeovers.do_report_done(item, by=request.user)
        elif what in ("pass", "fail"):
            if not access.can_check(request.user, item):
                raise PermissionDenied
            note = request.POST.get("note", "")[:300]
            check_no_control_chars(note)
            takeovers.do_check(item, passed=what == "pass", note=note, by=request.user)
        else:
            raise ValidationError(_("未知操作"))
        messages.success(request, _("已记录"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("governance:takeover", pk=item.takeover_id)


def _within(regions, field: str) -> Q:
    q = Q(pk__in=[])
    for r in regions:
        q |= Q(**{f"{field}__startswith": code_prefix(r.code)})
    return q


@login_required
def new(request: HttpRequest) -> HttpResponse:
    """The district's managers set up a takeover: company, compounds, project, checklist."""
    regions = list(access.takeover_regions_for(request.user))
    if not regions:
        raise PermissionDenied
    compounds = takeovers.eligible_compounds("").filter(_within(regions, "region__code"))
    form = TakeoverForm(
        request.POST or None, compounds=compounds,
        companies=Organisation.objects.filter(
            _within(regions, "region__code"), kind=Organisation.Kind.PROPERTY_COMPANY),
        projects=Project.objects.filter(_within(regions, "plan__region__code")))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        district = _district_of(regions, d["company"].region_id)
        try:
            to = takeovers.do_create_takeover(
                name=d["name"], company=d["company"], region_code=district.code,
                compounds=list(d["compounds"]), started_on=d["started_on"],
                checklist=form.checklist(), project=d["project"], by=request.user)
            messages.success(request, _("接管已建立：%(n)d 个小区，%(m)d 个标准项目")
                             % {"n": len(d["compounds"]), "m": to.items.count()})
            return redirect("governance:takeover", pk=to.pk)
        except ValidationError as exc:
            form.add_error(None, exc)
    return render(request, "governance/takeover_form.html", {"form": form})


def _district_of(regions: list[Region], code: str) -> Region:
    return next(r for r in regions if code.startswith(code_prefix(r.code)))


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The items of an open takeover: change or remove one not yet reported done, add more."""
    to = access.access_managed_takeover_by_id(request.user, pk)
    compounds = takeovers.eligible_compounds(to.region_id, to)
    add_form = ChecklistForm(compounds=compounds, started_on=to.started_on, defaults=False)
    if request.method == "POST":
        what = request.POST.get("do")
        try:
            if what == "add":
                add_form = ChecklistForm(request.POST, compounds=compounds,
                                         started_on=to.started_on)
                if not add_form.is_valid():
                    raise ValidationError(_("请按提示修改后再保存"))
                added = takeovers.do_add_items(to, compounds=list(
                    add_form.cleaned_data["compounds"]), checklist=add_form.checklist(),
                    by=request.user)
                messages.success(request, _("已增加 %(n)d 个标准项目") % {"n": len(added)})
            elif what in ("change", "remove"):
                item = _item_of(to, request.POST.get("item"))
                if what == "remove":
                    if takeovers.do_remove_item(item, by=request.user):
                        messages.success(request, _("已删除；该小区已移出接管，治理登记恢复为原管理形式"))
                    else:
                        messages.success(request, _("已删除"))
                else:
                    f = TakeoverItemForm(request.POST)
                    if not f.is_valid():
                        raise ValidationError([m for ms in f.errors.values() for m in ms])
                    takeovers.do_change_item(item, requirement=f.cleaned_data["requirement"],
                                             deadline=f.cleaned_data["deadline"],
                                             by=request.user)
                    messages.success(request, _("已保存"))
            else:
                raise ValidationError(_("未知操作"))
            return redirect("governance:takeover-edit", pk=to.pk)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    items = to.items.select_related("compound").order_by("compound__name", "deadline")
    return render(request, "governance/takeover_edit.html", {
        "to": to, "open": takeovers.is_open(to), "add_form": add_form,
        "items": [(i, i.state == TakeoverItem.State.OPEN) for i in items]})


def _item_of(to, pk) -> TakeoverItem:
    try:
        return to.items.get(pk=int(pk))
    except (TakeoverItem.DoesNotExist, ValueError, TypeError):
        raise ValidationError(_("没有这个标准项目")) from None


@login_required
def import_items(request: HttpRequest, pk: int) -> HttpResponse:
    """Items of an existing takeover from Excel or CSV: the whole file or nothing."""
    to = access.access_managed_takeover_by_id(request.user, pk)
    form = TakeoverImportForm(request.POST or None, request.FILES or None)
    errors, error_file = [], ""
    if request.method == "POST" and form.is_valid():
        f = form.cleaned_data["file"]
        try:
            result = exchange.do_import_takeover_items(to, f, f.name, by=request.user)
            messages.success(request, _("已导入：新增 %(c)d 项，修改 %(u)d 项")
                             % {"c": result.created, "u": result.updated})
            return redirect("governance:takeover", pk=to.pk)
        except ImportRejected as exc:
            errors, error_file = show_rejection(request, exc)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    return render(request, "governance/takeover_import.html", {
        "to": to, "form": form, "errors": errors, "error_file": error_file,
        "open": takeovers.is_open(to)})


@login_required
def template(request: HttpRequest) -> HttpResponse:
    if not access.takeover_regions_for(request.user).exists():
        raise PermissionDenied
    return download(exchange.takeover_items_template(), "接管标准项目模板.xlsx", XLSX_TYPE)
