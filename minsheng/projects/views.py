"""Pages of livelihood projects and money. Querysets come from projects/access.py (built on the
one scoping function); actions go through services.do_*."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from minsheng.lib import images, widgets
from minsheng.lib.files import serve
from minsheng.lib.http import download
from minsheng.lib.tabular import ImportRejected, show_rejection
from minsheng.lib.validators import InputChecked
from minsheng.places.models import Region, district_code
from minsheng.places.regionswitch import current_region
from minsheng.projects import access, actions, exchange, services
from minsheng.projects.briefing import briefing_docx
from minsheng.projects.budget import BudgetFileError
from minsheng.projects.models import (
    Area,
    ChecklistItem,
    Plan,
    ProgressPhoto,
    ProgressReport,
    Project,
)
from minsheng.projects.progress import FLAG_LABELS, FLAG_ORDER


def _plan(request) -> Plan | None:
    plans = access.plans_for(request.user).distinct().order_by("-year")
    year = request.GET.get("year")
    if year and year.isdigit():
        return plans.filter(year=int(year)).first()
    region = current_region(request)
    if region is not None:
        mine = plans.filter(region__code__startswith=region.code[:6]).first()
        if mine:
            return mine
    return plans.first()


def _at(request) -> dt.date:
    raw = request.GET.get("at", "")
    try:
        return dt.date.fromisoformat(raw) if raw else services.today()
    except ValueError:
        return services.today()


@login_required
def project_list(request):
    plan = _plan(request)
    at = _at(request)
    if plan is None:
        return render(request, "projects/empty.html")
    projects = access.projects_for(request.user).filter(plan=plan)
    area = request.GET.get("area", "")
    if area:
        projects = projects.filter(area=area)
    review = request.GET.get("review") == "1"  # the projects with reports waiting for me
    if review:
        projects = projects.filter(
            pk__in=access.reports_to_review(request.user).values("project_id"))
    rows = services.with_status(projects, at)
    flag = request.GET.get("flag", "")
    counts = dict.fromkeys(FLAG_ORDER, 0)
    for _p, s in rows:
        counts[s.flag] += 1
    if flag == "attention":
        rows = [r for r in rows if r[1].flag in ("overdue", "at_risk", "lagging")]
    elif flag:
        rows = [r for r in rows if r[1].flag == flag]
    rows.sort(key=lambda r: (FLAG_ORDER.index(r[1].flag), -r[1].lag, r[0].number.zfill(4)))
    money = {k: Decimal(0) for k in ("planned", "allocated", "spent")}
    for p, s in rows:
        m = services.money_of(p)
        money["planned"] += m["planned"]
        money["allocated"] += m["allocated"]
        money["spent"] += s.spent
    return render(request, "projects/list.html", {
        "plan": plan, "rows": rows, "counts": [(f, FLAG_LABELS[f], counts[f]) for f in FLAG_ORDER],
        "flag": flag, "area": area, "areas": Area.choices, "at": at, "money": money,
        "review": review,
        "years": access.plans_for(request.user).distinct().order_by("-year").values_list(
            "year", flat=True),
        "can_manage": access.can_manage(request.user, plan),
        "can_export": exchange.may_export(request.user),
    })


@login_required
def project_detail(request, pk: int):
    p = access.access_project_by_id(request.user, pk)
    at = _at(request)
    status = services.status_of(p, at)
    reports = list(p.reports.select_related("submitted_by", "reviewed_by").order_by("-as_of", "-id"))
    return render(request, "projects/detail.html", {
        "p": p, "status": status, "money": services.money_of(p),
        "funds": p.funds.all(), "milestones": p.milestones.all(), "reports": reports,
        "sub_items": p.sub_items.select_related("region", "compound").prefetch_related(
            "checklist"),
        "curve": services.curve_of(p, at), "at": at,
        "can_report": access.can_report(request.user, p),
        "can_manage": access.can_manage(request.user, p.plan),
        "reviewable": {r.pk for r in reports if r.state == ProgressReport.State.SUBMITTED
                       and access.can_review(request.user, r)},
    })


PHOTO_MAX_BYTES = 10 * 1024 * 1024


class ProgressForm(InputChecked, forms.Form):
    as_of = forms.DateField(label=gettext_lazy("截至日期"), widget=widgets.DateInput())
    percent = forms.DecimalField(label=gettext_lazy("累计完成（%）"), min_value=0, max_value=100,
                                 decimal_places=2)
    # as many digits as the columns hold (PostgreSQL refuses more with a 500)
    quantity_done = forms.DecimalField(label=gettext_lazy("累计完成数量"), min_value=0,
                                       required=False, max_digits=14, decimal_places=2)
    spent = forms.DecimalField(label=gettext_lazy("累计支出（元）"), min_value=0, max_digits=16,
                               decimal_places=2)
    overspend_reason = forms.CharField(label=gettext_lazy("超出已下达资金的说明"), required=False,
                                       max_length=300)
    correction_reason = forms.CharField(
        label=gettext_lazy("更正说明"), required=False, max_length=300,
        help_text=gettext_lazy("累计支出低于上次已审核通过的报告时必须说明更正原因"))
    narrative = forms.CharField(label=gettext_lazy("进展情况"), widget=forms.Textarea(
        attrs={"rows": 4}))
    photo = forms.FileField(label=gettext_lazy("现场照片（可选，jpg/png）"), required=False,
                            widget=forms.ClearableFileInput(attrs={"accept": images.ACCEPT}))

    def clean_photo(self):
        # checked by content and re-encoded (lib.images): what is stored is a clean JPEG
        return images.clean_image(self.cleaned_data.get("photo"), max_bytes=PHOTO_MAX_BYTES)


@login_required
def progress_new(request, pk: int):
    p = access.access_project_by_id(request.user, pk)
    if not access.can_report(request.user, p):
        raise PermissionDenied
    form = ProgressForm(request.POST or None, request.FILES or None,
                        initial={"as_of": services.today()})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            with transaction.atomic():  # the report and its photo, or neither
                report = actions.do_submit_progress(
                    request.user, p, as_of=d["as_of"], percent=d["percent"], spent=d["spent"],
                    narrative=d["narrative"], quantity_done=d["quantity_done"],
                    overspend_reason=d["overspend_reason"],
                    correction_reason=d["correction_reason"])
                if d.get("photo"):
                    report.photos.create(image=d["photo"].file(),
                                         state=ProgressPhoto.Check.CLEAN)
        except ValidationError as e:
            for field, errs in e.message_dict.items():
                form.add_error(field if field in form.fields else None, errs)
        else:
            messages.success(request, _("进度已报送，等待审核。审核通过后才计入进度。"))
            return redirect("projects:detail", pk=p.pk)
    return render(request, "web/form.html", {
        "form": form, "title": _("报送进度：%(name)s") % {"name": p.name},
        "cancel": reverse("projects:detail", args=[p.pk]),
        "multipart": True,
    })


@login_required
@require_POST
def review(request, report_id: int):
    report = get_object_or_404(ProgressReport.objects.select_related("project__plan"),
                               pk=report_id)
    access.access_project_by_id(request.user, report.project_id)  # 404 outside scope
    approve = request.POST.get("decision") == "approve"
    try:
        actions.do_review(request.user, report, approve=approve,
                           comment=request.POST.get("comment", ""))
    except ValidationError as e:
        messages.error(request, "；".join(e.messages))
    else:
        messages.success(request, _("已通过，计入进度。") if approve else _("已退回牵头单位。"))
    return redirect("projects:detail", pk=report.project_id)


@login_required
@require_POST
def checklist_tick(request, item_id: int):
    item = get_object_or_404(ChecklistItem.objects.select_related("sub_item__project__plan"),
                             pk=item_id)
    p = access.access_project_by_id(request.user, item.sub_item.project_id)
    if not (access.can_report(request.user, p) or access.can_manage(request.user, p.plan)):
        raise PermissionDenied
    try:
        actions.do_tick_checklist(request.user, item, evidence=request.POST.get("evidence", ""))
    except ValidationError as e:
        messages.error(request, "；".join(e.messages))
    return redirect("projects:detail", pk=p.pk)


@login_required
def gantt(request):
    plan = _plan(request)
    if plan is None:
        raise Http404
    at = _at(request)
    projects = access.projects_for(request.user).filter(plan=plan)
    rows = services.with_status(projects, at)
    year_start, year_end = dt.date(plan.year, 1, 1), dt.date(plan.year, 12, 31)
    span = (year_end - year_start).days

    def pos(d):
        return max(0.0, min(100.0, 100 * (d - year_start).days / span))

    bars = [{"p": p, "s": s, "left": pos(p.start_date),
             "width": max(1.0, pos(p.end_date) - pos(p.start_date))} for p, s in rows]
    return render(request, "projects/gantt.html", {
        "plan": plan, "bars": bars, "at": at, "today_pos": pos(at),
        "money_curve": services.plan_money_curve(projects, at),
        "months": [{"label": dt.date(plan.year, m, 1), "left": pos(dt.date(plan.year, m, 1))}
                   for m in range(1, 13)],
    })


class ImportForm(InputChecked, forms.Form):
    file = forms.FileField(label=gettext_lazy("项目清单 (.xlsx)"))


@login_required
def import_projects(request):
    plan = _plan(request)
    if plan is None or not access.can_manage(request.user, plan):
        raise PermissionDenied

    form = ImportForm(request.POST or None, request.FILES or None)
    errors = report = None
    if request.method == "POST" and form.is_valid():
        f = form.cleaned_data["file"]
        try:
            result = exchange.import_projects(request.user, plan, f.read(), f.name, request=request)
        except ImportRejected as e:
            errors, report = show_rejection(request, e)
        else:
            messages.success(request, _("导入成功：新增 %(c)d 个项目，更新 %(u)d 个。")
                             % {"c": result.created, "u": result.updated})
            return redirect(f"/projects/?year={plan.year}")
    return render(request, "projects/import.html", {"form": form, "plan": plan,
                                                    "errors": errors, "report": report})


def _download(content: bytes, ctype: str, filename: str) -> HttpResponse:
    return download(content, filename, ctype)


@login_required
def project_template(request):
    return _download(*exchange.project_template())


@login_required
def export_xlsx(request):
    plan = _plan(request)
    if plan is None:
        raise Http404
    if not exchange.may_export(request.user):  # a 403, not the exchange's PermissionError (500)
        raise PermissionDenied
    return _download(*exchange.export_projects(request.user, plan, _at(request)))


@login_required
def briefing(request):
    plan = _plan(request)
    if plan is None:
        raise Http404
    if not exchange.may_export(request.user):
        raise PermissionDenied
    return _download(*briefing_docx(request.user, plan, _at(request)))


class BudgetImportForm(InputChecked, forms.Form):
    year = forms.IntegerField(label=gettext_lazy("年度"), min_value=2000, max_value=2100)
    file = forms.FileField(label=gettext_lazy("一般公共预算支出表 (.xlsx / .csv)"),
                           help_text=gettext_lazy("每行一个功能分类科目：科目编码、科目名称、金额（元；表头写“万元”则按万元）。"))


@login_required
def budget(request):
    region = current_region(request)
    lines = access.expenditure_for(request.user)
    if region is not None:
        lines = lines.filter(region__code__startswith=region.code[:6])
    district = district_code(region.code) if region else None
    years = sorted(set(lines.values_list("year", flat=True)), reverse=True)
    can_import = district is not None and access.can_manage_budget(request.user, district)
    if not years and not can_import:
        raise PermissionDenied
    form = BudgetImportForm(request.POST or None, request.FILES or None,
                            initial={"year": services.today().year})
    errors = None
    if request.method == "POST":
        if not can_import:
            raise PermissionDenied
        if form.is_valid():
            f = form.cleaned_data["file"]
            try:
                n = actions.do_import_expenditure(request.user, district,
                                                   form.cleaned_data["year"], f.read(), f.name)
            except BudgetFileError as e:
                errors = e.errors
                messages.error(request, _("文件未导入：请按行修改后重新上传。数据库没有任何改动。"))
            else:
                messages.success(request, _("已导入 %(n)d 行支出数据。") % {"n": n})
                return redirect(f"/budget/?year={form.cleaned_data['year']}")
    year = int(request.GET["year"]) if request.GET.get("year", "").isdigit() else (
        years[0] if years else None)
    share = services.share_for(district, year) if (district and year) else None
    prev = services.share_for(district, year - 1) if (district and year) else None
    series = []
    for y in sorted(years):
        s = services.share_for(district, y)
        if s:
            series.append({"year": y, "total": float(s.total), "livelihood": float(s.livelihood),
                           "share": float(round(s.share, 2))})
    growth = ((share.livelihood / prev.livelihood - 1) * 100) if (share and prev and
                                                                  prev.livelihood) else None
    by_class = []
    if share:
        for code, amount in sorted(share.by_class.items()):
            by_class.append({"code": code, "name": share.names.get(code) or
                             share.livelihood_classes.get(code, ""),
                             "amount": amount, "livelihood": code in share.livelihood_classes,
                             "pct": float(amount / share.total * 100) if share.total else 0})
    return render(request, "projects/budget.html", {
        # the figures are the district's (budgets are a district's): named by the district,
        # never by the street the switcher is on
        "region": Region.objects.filter(code=district).first() if district else None,
        "switched": region, "years": years, "year": year, "share": share, "prev": prev,
        "growth": growth, "by_class": by_class, "series": series, "form": form,
        "can_import": can_import, "errors": errors,
    })


def photo(request, pk: int):
    """A progress photo: public ones (public_photos) for anyone, cached by browsers and proxies;
    the others for staff within scope only, cached privately. Uploads are never served from
    MEDIA_ROOT directly (nothing there is listable or guessable)."""
    ph, public = access.access_photo_by_id(request.user, pk)
    # bytes stored before uploads were checked are re-encoded first (or quarantined): only
    # lib.images' JPEGs leave this view
    if ph.state != ProgressPhoto.Check.CLEAN and not actions.do_reencode_photo(ph):
        raise Http404
    return serve(ph.image, "image/jpeg",
                 cache="public, max-age=86400" if public else "private, max-age=86400")


def public_projects(request, region_code: str | None = None, year: int | None = None):
    """The public accountability page: published plans, public projects, progress and public
    photos, without internal fields (no people, no money, no internal notes)."""
    plans = Plan.objects.filter(published=True).select_related("region").order_by("-year")
    if region_code:
        plans = plans.filter(region_id=region_code)
    plan = plans.filter(year=year).first() if year else plans.first()
    rows = []
    if plan is not None:
        projects = plan.projects.filter(is_public=True).exclude(status=Project.Status.CANCELLED)
        for p, s in services.with_status(projects):
            photos = [ph for r in p.reports.all() if r.state == ProgressReport.State.APPROVED
                      for ph in r.photos.all() if ph.public]
            rows.append({"name": p.name, "area": p.get_area_display(), "target": p.target,
                         "summary": p.public_summary, "end": p.end_date,
                         "actual": s.actual, "flag": s.flag, "label": s.label,
                         "photos": photos[-3:]})
    return render(request, "projects/public.html", {
        "plan": plan, "rows": rows, "years": plans.values_list("year", flat=True)})
