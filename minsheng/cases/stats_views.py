"""Supervisors' pages of cases: statistics (with the heat map), the 12345 hotline import, the Excel
export of a filtered list, mediation and administrative review records.

Figures come from cases/stats.py (SQL aggregates over access.cases_for); changes to mediations and
reviews go through cases/mediation.py (do_*, each with its CaseEvent); the import and export
through cases/exchange.py. The region switcher (web.regionswitch) narrows what is shown; the
security boundary is always the scoping function.
"""

from __future__ import annotations

import base64
import datetime as dt
from urllib.parse import quote, urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Max, Min, Q
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from minsheng.accounts import masking
from minsheng.accounts.roles import EXPORT, Role
from minsheng.cases import exchange, stats
from minsheng.cases.access import cases_for
from minsheng.cases.mediation import (
    agreement_docx,
    can_download_agreement,
    can_edit_mediation,
    can_edit_review,
    can_view_mediation,
    can_view_review,
    committee_members,
    do_add_session,
    do_conclude_mediation,
    do_delete_party,
    do_save_mediation,
    do_save_party,
    do_save_review,
    mediation_for,
    review_for,
)
from minsheng.cases.models import AdminReview, Mediation, Party
from minsheng.places.coords import CRS_LABELS
from minsheng.places.scope import scope_of
from minsheng.web.regionswitch import current_prefix, current_region

STATS_ROLES = {Role.DISTRICT_ADMIN, Role.STREET_STAFF, Role.VIEWER, Role.DEPARTMENT_STAFF}


def can_see_stats(user) -> bool:
    s = scope_of(user)
    return s.everything or any(g.role in STATS_ROLES for g in s.grants)


def _require_stats(user) -> None:
    if not can_see_stats(user):
        raise PermissionDenied(_("只有区级管理员、街道工作人员、部门工作人员和查看者可以查看诉求统计。"))


def _download(content: bytes, ctype: str, filename: str) -> HttpResponse:
    resp = HttpResponse(content, content_type=ctype)
    resp["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return resp


def _form_errors(form: forms.Form, err: ValidationError) -> None:
    if hasattr(err, "error_dict"):
        for field, errs in err.message_dict.items():
            form.add_error(field if field in form.fields else None, errs)
    else:
        form.add_error(None, err.messages)


# --- statistics ------------------------------------------------------------------------------


class PeriodForm(forms.Form):
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
                            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    end = forms.DateField(label=gettext_lazy("至"), required=False,
                          widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


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


class HotlineImportForm(forms.Form):
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
        except exchange.ImportRejected as e:
            from minsheng.places.exchange import error_report

            errors = e.errors
            report = base64.b64encode(error_report(e.errors)).decode()
            messages.error(request, _("文件未导入：发现 %(n)d 处问题，请修改后重新上传。数据库没有任何改动。")
                           % {"n": len(e.errors)})
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
    from minsheng.cases.views import filter_cases  # the list page's own filters

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


# --- mediation -------------------------------------------------------------------------------


class MediationForm(forms.Form):
    mediator = forms.ModelChoiceField(label=gettext_lazy("调解员"), queryset=None, required=False)
    matter = forms.CharField(label=gettext_lazy("纠纷主要事实、争议事项"), required=False,
                             widget=forms.Textarea(attrs={"rows": 3}))
    agreement = forms.CharField(label=gettext_lazy("协议内容（每行一条）"), required=False,
                                widget=forms.Textarea(attrs={"rows": 4}))
    amount = forms.DecimalField(label=gettext_lazy("涉及金额（元）"), required=False, min_value=0,
                                max_digits=16, decimal_places=2)

    def __init__(self, *args, mediation: Mediation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mediator"].queryset = committee_members(mediation)
        self.fields["mediator"].label_from_instance = (
            lambda u: u.get_full_name() or u.get_username())


class PartyForm(forms.Form):
    party = forms.IntegerField(required=False, widget=forms.HiddenInput)
    role = forms.ChoiceField(label=gettext_lazy("身份"), choices=Party.Role.choices)
    name = forms.CharField(label=gettext_lazy("姓名/名称"), max_length=100)
    phone = forms.CharField(label=gettext_lazy("联系电话"), max_length=30, required=False)
    id_number = forms.CharField(label=gettext_lazy("身份证号/统一社会信用代码"), max_length=18,
                                required=False)
    address = forms.CharField(label=gettext_lazy("住址"), max_length=200, required=False)


class SessionForm(forms.Form):
    held_at = forms.DateTimeField(label=gettext_lazy("时间"), widget=forms.DateTimeInput(
        attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    place = forms.CharField(label=gettext_lazy("地点"), max_length=100, required=False)
    notes = forms.CharField(label=gettext_lazy("调解记录"), widget=forms.Textarea(attrs={"rows": 3}))


class ConcludeForm(forms.Form):
    outcome = forms.ChoiceField(label=gettext_lazy("调解结果"), choices=[
        (Mediation.Outcome.SETTLED, Mediation.Outcome.SETTLED.label),
        (Mediation.Outcome.FAILED, Mediation.Outcome.FAILED.label)])
    referral = forms.ChoiceField(label=gettext_lazy("调解不成后的去向"), required=False,
                                 choices=Mediation.Referral.choices)
    agreement = forms.CharField(label=gettext_lazy("协议内容（调解成功时必填，每行一条）"),
                                required=False, widget=forms.Textarea(attrs={"rows": 4}))
    amount = forms.DecimalField(label=gettext_lazy("涉及金额（元）"), required=False, min_value=0,
                                max_digits=16, decimal_places=2)
    note = forms.CharField(label=gettext_lazy("说明"), required=False, max_length=300)


def _masked_parties(m: Mediation) -> list[dict]:
    return [{"p": p, "phone": masking.mask(p.phone), "id_number": masking.mask(p.id_number),
             "form": PartyForm(prefix=f"p{p.pk}", initial={
                 "party": p.pk, "role": p.role, "name": p.name, "phone": masking.mask(p.phone),
                 "id_number": masking.mask(p.id_number), "address": p.address})}
            for p in m.parties.all().order_by("role", "id")]


@login_required
def mediation_page(request, pk: int):
    user = request.user
    m = mediation_for(user, pk)
    if not can_view_mediation(user, m):
        raise PermissionDenied(_("只有调解委员会工作人员和上级管理人员可以查看调解记录。"))
    can_edit = can_edit_mediation(user, m) and m.outcome == Mediation.Outcome.PENDING
    form = MediationForm(mediation=m, initial={"mediator": m.mediator_id, "matter": m.matter,
                                               "agreement": m.agreement, "amount": m.amount})
    party_form = PartyForm(prefix="new", initial={"role": Party.Role.APPLICANT})
    session_form = SessionForm(prefix="s")
    conclude_form = ConcludeForm(prefix="c", initial={"agreement": m.agreement,
                                                      "amount": m.amount})
    party_forms: dict[int, PartyForm] = {}
    if request.method == "POST":
        if not can_edit_mediation(user, m):
            raise PermissionDenied(_("您无权办理该调解。"))
        action = request.POST.get("action", "")
        pf = None
        here = reverse("casestats:mediation", args=[m.case_id])
        try:
            if action == "save":
                form = MediationForm(request.POST, mediation=m)
                if form.is_valid():
                    d = form.cleaned_data
                    do_save_mediation(user, m, matter=d["matter"],
                                                agreement=d["agreement"], amount=d["amount"],
                                                mediator=d["mediator"])
                    messages.success(request, _("调解信息已保存。"))
                    return redirect(here)
            elif action == "party":
                pid = request.POST.get("party_id", "")
                party = m.parties.filter(pk=pid).first() if pid.isdigit() else None
                pf = PartyForm(request.POST, prefix=f"p{party.pk}" if party else "new")
                if pf.is_valid():
                    d = pf.cleaned_data
                    do_save_party(user, m, role=d["role"], name=d["name"],
                                            phone=d["phone"], id_number=d["id_number"],
                                            address=d["address"], party=party)
                    messages.success(request, _("当事人已保存。"))
                    return redirect(here)
                if party:
                    party_forms[party.pk] = pf
                else:
                    party_form = pf
            elif action == "delete_party":
                pid = request.POST.get("party_id", "")
                party = m.parties.filter(pk=pid).first() if pid.isdigit() else None
                if party is not None:
                    do_delete_party(user, m, party)
                    messages.success(request, _("当事人已删除。"))
                return redirect(here)
            elif action == "session":
                session_form = SessionForm(request.POST, prefix="s")
                if session_form.is_valid():
                    d = session_form.cleaned_data
                    do_add_session(user, m, held_at=d["held_at"], place=d["place"],
                                             notes=d["notes"])
                    messages.success(request, _("调解记录已添加。"))
                    return redirect(here)
            elif action == "conclude":
                conclude_form = ConcludeForm(request.POST, prefix="c")
                if conclude_form.is_valid():
                    d = conclude_form.cleaned_data
                    do_conclude_mediation(
                        user, m, outcome=d["outcome"], referral=d["referral"],
                        agreement=d["agreement"], amount=d["amount"], note=d["note"])
                    messages.success(request, _("调解已结案，已记入诉求办理记录。"))
                    return redirect(here)
            else:
                messages.error(request, _("未知的操作。"))
                return redirect(here)
        except ValidationError as e:
            target = {"save": form, "session": session_form, "conclude": conclude_form}.get(
                action)
            if action == "party" and pf is not None:
                target = pf
                if pf.prefix == "new":
                    party_form = pf
                else:
                    party_forms[int(pf.prefix[1:])] = pf
            if target is not None:
                _form_errors(target, e)
            else:
                messages.error(request, "；".join(e.messages))
        m = mediation_for(user, pk)
    parties = _masked_parties(m)
    for row in parties:
        if row["p"].pk in party_forms:
            row["form"] = party_forms[row["p"].pk]
            row["open"] = True
    return render(request, "cases/mediation.html", {
        "m": m, "case": m.case, "parties": parties, "sessions": m.sessions.order_by("held_at"),
        "form": form, "party_form": party_form, "session_form": session_form,
        "conclude_form": conclude_form, "can_edit": can_edit,
        "can_download": can_download_agreement(user, m),
        "events": m.case.events.filter(action="mediation").select_related("actor"),
    })


@login_required
@require_GET
def agreement_download(request, pk: int):
    m = mediation_for(request.user, pk)
    if not can_view_mediation(request.user, m):
        raise PermissionDenied
    try:
        content, ctype, filename = agreement_docx(request.user, m, request=request)
    except PermissionError as e:
        raise PermissionDenied(str(e)) from e
    return _download(content, ctype, filename)


# --- administrative disputes and reconsiderations ----------------------------------------------


def _aware_date(d: dt.date | None) -> dt.datetime | None:
    return stats.aware(d) if d else None


class ReviewForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("类型"), choices=AdminReview.Kind.choices)
    respondent = forms.CharField(label=gettext_lazy("被申请机关"), max_length=100, required=False)
    accepted = forms.BooleanField(label=gettext_lazy("已受理"), required=False)
    accepted_at = forms.DateField(label=gettext_lazy("受理日期"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    outcome = forms.ChoiceField(label=gettext_lazy("结果"), required=False,
                                choices=AdminReview.Outcome.choices)
    concluded_at = forms.DateField(label=gettext_lazy("审结日期"), required=False,
                                   widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    by_dispute_centre = forms.BooleanField(label=gettext_lazy("由矛盾纠纷调处中心化解"),
                                           required=False)
    amount_recovered = forms.DecimalField(label=gettext_lazy("挽回金额（元）"), required=False,
                                          min_value=0, max_digits=16, decimal_places=2)


def _local_date(value: dt.datetime | None) -> dt.date | None:
    return timezone.localtime(value).date() if value else None


@login_required
def review_page(request, pk: int):
    user = request.user
    r = review_for(user, pk)
    if not can_view_review(user, r):
        raise PermissionDenied(_("只有区司法局工作人员和上级管理人员可以查看行政争议/复议记录。"))
    can_edit = can_edit_review(user, r)
    form = ReviewForm(initial={
        "kind": r.kind, "respondent": r.respondent, "accepted": r.accepted,
        "accepted_at": _local_date(r.accepted_at), "outcome": r.outcome,
        "concluded_at": _local_date(r.concluded_at), "by_dispute_centre": r.by_dispute_centre,
        "amount_recovered": r.amount_recovered})
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied(_("您无权登记该行政争议/复议。"))
        form = ReviewForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                do_save_review(
                    user, r, kind=d["kind"], respondent=d["respondent"], accepted=d["accepted"],
                    accepted_at=_aware_date(d["accepted_at"]), outcome=d["outcome"],
                    concluded_at=_aware_date(d["concluded_at"]),
                    by_dispute_centre=d["by_dispute_centre"],
                    amount_recovered=d["amount_recovered"])
            except ValidationError as e:
                _form_errors(form, e)
            else:
                messages.success(request, _("已保存，并记入诉求办理记录。"))
                return redirect("casestats:review", pk=r.case_id)
    return render(request, "cases/review.html", {
        "r": r, "case": r.case, "form": form, "can_edit": can_edit,
        "events": r.case.events.filter(
            Q(note__startswith="行政复议登记") | Q(note__startswith="行政争议登记"),
            action="note", public=False).select_related("actor").order_by("-at", "-id")[:20],
    })

