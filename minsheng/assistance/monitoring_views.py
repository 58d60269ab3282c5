"""Pages of 防返贫 monitoring (parse, check, call, render): the dashboard, the alert list and an
alert, a household's monitoring record with its actions, and the department-list import. Reads
come from monitoring_access, writes go through monitoring.do_*."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django.views.decorators.http import require_POST

from minsheng.accounts.masking import mask
from minsheng.accounts.roles import RECORD_MONITORING, VIEW_MONITORING
from minsheng.assistance import monitoring, relapse
from minsheng.assistance import monitoring_access as access
from minsheng.assistance.models import Household
from minsheng.assistance.monitoring_exchange import LISTS, can_import, import_list, list_template
from minsheng.assistance.monitoring_models import (
    Alert,
    CaseRisk,
    Measure,
    MonitoringCase,
    MonitoringThreshold,
)
from minsheng.cases.access import cases_for
from minsheng.lib import widgets
from minsheng.lib.http import download
from minsheng.lib.tabular import ImportRejected, show_rejection
from minsheng.lib.validators import SINGLE_LINE, InputChecked, check_no_control_chars
from minsheng.places.regionswitch import current_region

S = MonitoringCase.State
# relapse.py has no Django: its Chinese labels are marked here for the catalogue
STEP_LABELS = {s.code: s.label for s in relapse.STEPS} | {
    "alert": gettext_noop("登记预警"), "dismiss": gettext_noop("不予纳入"),
    "removal": gettext_noop("风险消除")}
_MARKED = (gettext_noop("入户核查"), gettext_noop("农户承诺授权"), gettext_noop("部门信息比对"),
           gettext_noop("村级民主评议"), gettext_noop("村级公示（无异议）"),
           gettext_noop("乡镇（街道）审核"), gettext_noop("区级审定，纳入监测"))


def _prefix(request) -> str | None:
    """The region the dashboard shows: the switcher's region if the user may read it there."""
    prefixes = access.aggregate_prefixes(request.user)
    if not prefixes:
        return None
    region = current_region(request)
    if region is not None:
        p = relapse.prefix_of(region.code)
        if any(p.startswith(x) for x in prefixes):
            return p
    return prefixes[0]


def _counts(qs, field: str, choices) -> list[tuple[str, str, int]]:
    found = dict(qs.order_by().values_list(field).annotate(n=Count("pk", distinct=True)))
    return [(v, label, found.get(v, 0)) for v, label in choices]


@login_required
def dashboard(request):
    prefix = _prefix(request)
    if prefix is None:
        raise PermissionDenied
    records = any(prefix.startswith(p) for p in access.prefixes_with(request.user,
                                                                      VIEW_MONITORING))
    cases = MonitoringCase.objects.filter(region__code__startswith=prefix)
    live = cases.filter(state=S.MONITORED)
    now = timezone.now()
    alerts = Alert.objects.filter(region__code__startswith=prefix)
    by_state = _counts(cases, "state", S.choices)
    by_category = _counts(live, "category", MonitoringCase.Category.choices)
    by_risk = _counts(CaseRisk.objects.filter(case__in=live), "risk", CaseRisk.Risk.choices)
    figures = {
        "monitored": live.count(),
        "people": live.aggregate(n=Count("household__members", distinct=True))["n"],
        "with_measure": live.filter(measures__isnull=False).distinct().count(),
        "safety_net": live.filter(measures__kind=Measure.Kind.SAFETY_NET).distinct().count(),
        "waiting": alerts.filter(state=Alert.State.OPEN).count(),
        "overdue": alerts.filter(state=Alert.State.OPEN, due_at__lt=now).count(),
        "removed": cases.filter(state=S.REMOVED).count(),
    }
    if not records:  # aggregates only: cells of 1–4 households suppressed
        figures = {k: access.suppress(v) for k, v in figures.items()}
        by_state = [(v, lab, access.suppress(n)) for v, lab, n in by_state]
        by_category = [(v, lab, access.suppress(n)) for v, lab, n in by_category]
        by_risk = [(v, lab, access.suppress(n)) for v, lab, n in by_risk]
    return render(request, "assistance/monitoring/dashboard.html", {
        "records": records, "figures": figures, "by_state": by_state,
        "by_category": by_category, "by_risk": by_risk, "prefix": prefix,
        "can_import": records and can_import(request.user),
        "can_report": records and bool(access.prefixes_with(request.user, RECORD_MONITORING)),
        "recent": access.cases_for(request.user).filter(region__code__startswith=prefix)
        .exclude(state__in=(S.REMOVED, S.DISMISSED))[:20] if records else [],
    })


@login_required
def alert_list(request):
    if not access.can_view_records(request.user):
        raise PermissionDenied
    qs = access.alerts_for(request.user)
    show = request.GET.get("show", "open")
    now = timezone.now()
    if show == "open":
        qs = qs.filter(state=Alert.State.OPEN)
    elif show == "overdue":
        qs = qs.filter(state=Alert.State.OPEN, due_at__lt=now)
    return render(request, "assistance/monitoring/alerts.html", {
        "alerts": qs[:200], "show": show, "now": now})


MANUAL_CHANNELS = (Alert.Channel.SELF_REPORT, Alert.Channel.CADRE_VISIT,
                   Alert.Channel.SUPERVISION)


@login_required
def alert_new(request):
    """A self-report or a cadre's finding, on a phone: the household by its number (in the
    user's region), the risk, the day and what happened."""
    if not access.prefixes_with(request.user, RECORD_MONITORING):
        raise PermissionDenied
    P = request.POST
    errors = []
    if request.method == "POST":
        number = P.get("household", "").strip()
        household = Household.objects.filter(number=number).first() if number else None
        if household is None or not access.can_record(request.user, household.region_id):
            errors.append(_("找不到该户编号（或不在您管辖的区划内）。"))
        if P.get("channel") not in MANUAL_CHANNELS:
            errors.append(_("请选择发现渠道。"))
        if P.get("risk") not in CaseRisk.Risk.values:
            errors.append(_("请选择风险类型。"))
        try:
            check_no_control_chars(P.get("description", ""))
            day = _date(P.get("event_date", "")) or timezone.localdate()
            amount = _decimal(P.get("amount", ""))
            if amount is not None and amount < 0:
                raise ValidationError(_("应为数字。"))
        except ValidationError as e:
            errors.extend(e.messages)
        if not errors:
            try:
                alert = monitoring.do_report_alert(
                    request.user, household, channel=P["channel"], risk=P["risk"],
                    event_date=day, amount=amount, description=P.get("description", ""))
            except ValidationError as e:
                errors.extend(e.messages)
            else:
                messages.success(request, _("预警已登记。"))
                return redirect("monitoring:alert", pk=alert.pk)
    return render(request, "assistance/monitoring/alert_new.html", {
        "errors": errors, "channels": [(c.value, c.label) for c in MANUAL_CHANNELS],
        "risks": CaseRisk.Risk.choices, "today": timezone.localdate(), "data": P})


@login_required
def alert_detail(request, pk: int):
    alert = access.access_alert_by_id(request.user, pk)
    if request.method == "POST" and request.POST.get("do") == "grievance":
        try:
            monitoring.do_link_grievance(request.user, alert,
                                         request.POST.get("grievance", "")[:64], request=request)
        except ValidationError as e:
            messages.error(request, "；".join(e.messages))
        else:
            messages.success(request, _("已保存。"))
        return redirect("monitoring:alert", pk=alert.pk)
    if request.method == "POST":
        reason = request.POST.get("reason", "").strip()
        try:
            check_no_control_chars(reason)
            if request.POST.get("do") == "dismiss" and not reason:
                raise ValidationError(_("请写明不予纳入的原因。"))
            monitoring.do_handle_alert(request.user, alert, dismiss_reason=reason
                                       if request.POST.get("do") == "dismiss" else "")
        except ValidationError as e:
            messages.error(request, "；".join(e.messages))
        else:
            messages.success(request, _("预警已处置。"))
        return redirect("monitoring:alert", pk=alert.pk)
    return render(request, "assistance/monitoring/alert.html", {
        "alert": alert, "now": timezone.now(),
        "grievance_readable": alert.grievance_id is not None and cases_for(request.user).filter(
            pk=alert.grievance_id).exists(),
        "can_link": access.can_record(request.user, alert.region_id),
        "can_handle": alert.state == Alert.State.OPEN and access.can_record(request.user,
                                                                            alert.region_id)})


@login_required
def case_detail(request, pk: int, revealed: dict | None = None):
    case = access.access_case_by_id(request.user, pk)
    members = list(case.household.members.all())
    revealed = revealed or {}
    rows = [(p, revealed.get(f"id:{p.pk}") or mask(p.id_number)) for p in members]
    step = relapse.next_step(case.state)
    return render(request, "assistance/monitoring/case.html", {
        "case": case, "members": rows, "revealed": bool(revealed),
        "income": revealed.get("income") if revealed else None,
        "steps": [(st, _(STEP_LABELS.get(st.step, st.step)), S(st.to_state).label)
                  for st in case.steps.select_related("by")], "measures": case.measures.all(),
        "risks": case.risks.all(), "reviews": case.reviews.all(),
        "alerts": case.alerts.all(), "next_step": step,
        "assessment": monitoring.assessment_for(case.household, timezone.localdate())
        if step is not None and step.code == "data_match" else None,
        "can_step": step is not None and access.can_take(request.user, case, step.level),
        "can_dismiss": relapse.can_dismiss(case.state) and access.can_take(
            request.user, case, relapse.DISMISS_LEVEL),
        "can_measure": case.state == S.MONITORED and access.can_record(request.user,
                                                                       case.region_id),
        "can_review": case.state == S.MONITORED and access.can_manage(request.user,
                                                                      case.region_id),
        "can_unmask": access.can_unmask(request.user, case.region_id),
        "categories": MonitoringCase.Category.choices, "measure_kinds": Measure.Kind.choices,
        "risk_kinds": CaseRisk.Risk.choices, "today": timezone.localdate(),
    })


def _decimal(raw: str) -> Decimal | None:
    raw = (raw or "").strip().replace(",", "")
    if not raw:
        return None
    try:
        v = Decimal(raw)
    except InvalidOperation:
        raise ValidationError(_("应为数字。")) from None
    if not v.is_finite() or abs(v) >= Decimal("1e9"):
        raise ValidationError(_("应为数字。"))
    return v


def _date(raw: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        raise ValidationError(_("日期格式不正确。")) from None


ACTIONS = ("step", "dismiss", "measure", "review", "reveal", "risk")


@login_required
@require_POST
def case_act(request, pk: int, action: str):
    case = access.access_case_by_id(request.user, pk)
    if action not in ACTIONS:
        raise Http404
    P = request.POST
    note = P.get("note", "")
    try:
        check_no_control_chars(note, multiline=True)
        check_no_control_chars(P.get("description", ""))
        check_no_control_chars(P.get("reason", ""))
        if action == "reveal":
            return case_detail(request, pk, revealed=monitoring.do_reveal(request.user, case,
                                                                          request))
        if action == "step":
            monitoring.do_step(request.user, case, P.get("step", ""), note=note,
                               per_capita_income=_decimal(P.get("per_capita_income", "")),
                               category=P.get("category", ""))
        elif action == "dismiss":
            monitoring.do_dismiss(request.user, case, reason=P.get("reason", ""))
        elif action == "risk":
            monitoring.do_add_risk(request.user, case, P.get("risk", ""))
        elif action == "measure":
            start = _date(P.get("start_date", ""))
            if start is None:
                raise ValidationError(_("请填写开始日期。"))
            monitoring.do_add_measure(request.user, case, kind=P.get("kind", ""),
                                      start_date=start, end_date=_date(P.get("end_date", "")),
                                      description=P.get("description", ""))
        elif action == "review":
            income = _decimal(P.get("per_capita_income", ""))
            if income is None:
                raise ValidationError(_("请填写家庭年人均纯收入。"))
            monitoring.do_review_removal(
                request.user, case, reviewed_on=_date(P.get("reviewed_on", "")) or
                timezone.localdate(), per_capita_income=income,
                income_stable=bool(P.get("income_stable")),
                spending_resolved=bool(P.get("spending_resolved")),
                guarantees_secure=bool(P.get("guarantees_secure")),
                risk_gone=bool(P.get("risk_gone")))
    except ValidationError as e:
        messages.error(request, "；".join(e.messages))
    else:
        messages.success(request, _("已保存。"))
    return redirect("monitoring:case", pk=case.pk)


@login_required
def thresholds(request):
    """The rules in force and past, as data: each with its region, dates, source and whether it
    was checked against that source (public rules: anyone who reads the region)."""
    if not access.aggregate_prefixes(request.user):
        raise PermissionDenied
    rows = list(access.thresholds_for(request.user).order_by("region_id", "kind", "-valid_from"))
    return render(request, "assistance/monitoring/thresholds.html", {
        "rows": rows, "can_manage": access.threshold_regions(request.user).exists(),
        "editable": {t.pk for t in rows if access.can_manage(request.user, t.region_id)},
        "today": timezone.localdate()})


class ThresholdForm(InputChecked, forms.Form):
    """A dated threshold of a region; the rules (positive, no overlap) are monitoring.py's."""

    region = forms.ModelChoiceField(label=gettext_lazy("适用区划"), queryset=None)
    kind = forms.ChoiceField(label=gettext_lazy("类别"), choices=MonitoringThreshold.Kind.choices)
    amount = forms.DecimalField(label=gettext_lazy("数值"), max_digits=12, decimal_places=2,
                                min_value=Decimal("0.01"))
    valid_from = forms.DateField(label=gettext_lazy("起始日期"), widget=widgets.DateInput())
    valid_to = forms.DateField(label=gettext_lazy("截止日期"), required=False,
                               widget=widgets.DateInput(),
                               help_text=gettext_lazy("留空为长期有效；新标准生效前，请为旧标准填写截止日期"))
    source = forms.CharField(label=gettext_lazy("依据"), max_length=300, required=False,
                             validators=[SINGLE_LINE])
    verified = forms.BooleanField(label=gettext_lazy("已核对依据"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = access.threshold_regions(user)


def _threshold_form(request, t: MonitoringThreshold | None):
    initial = ({f: getattr(t, f) for f in ("kind", "amount", "valid_from", "valid_to", "source",
                                          "verified")} | {"region": t.region_id}
               if t is not None else {"valid_from": timezone.localdate()})
    form = ThresholdForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if t is None:
                monitoring.do_add_threshold(request.user, **form.cleaned_data)
            else:
                monitoring.do_edit_threshold(request.user, t, **form.cleaned_data)
        except ValidationError as err:
            for field, msgs in (err.message_dict.items() if hasattr(err, "error_dict")
                                else [(None, err.messages)]):
                for m in msgs:
                    form.add_error(field if field in form.fields else None, m)
        else:
            messages.success(request, _("已保存。"))
            return redirect("monitoring:thresholds")
    return render(request, "web/form.html", {
        "form": form, "cancel": "/assistance/monitoring/thresholds/",
        "title": _("新增监测标准") if t is None else _("修改监测标准")})


@login_required
def threshold_new(request):
    if not access.threshold_regions(request.user).exists():
        raise PermissionDenied
    return _threshold_form(request, None)


@login_required
def threshold_edit(request, pk: int):
    return _threshold_form(request, access.access_threshold_for_edit(request.user, pk))


@login_required
def import_page(request):
    if not can_import(request.user):
        raise PermissionDenied
    errors, report, result = [], "", None
    kind = request.POST.get("kind") or request.GET.get("kind") or "medical"
    if kind not in LISTS:
        kind = "medical"
    if request.method == "POST":
        f = request.FILES.get("file")
        if f is None:
            messages.error(request, _("请选择文件。"))
        else:
            try:
                result = import_list(request.user, kind, f, f.name, request=request)
            except ImportRejected as e:
                errors, report = show_rejection(request, e)
            else:
                messages.success(request, _("导入完成：生成预警 %(n)d 条。") % {"n": result.created})
    return render(request, "assistance/monitoring/import.html", {
        "lists": [(k, v[0]) for k, v in LISTS.items()], "kind": kind, "errors": errors,
        "report": report, "result": result})


@login_required
def template(request):
    if not can_import(request.user):
        raise PermissionDenied
    kind = request.GET.get("kind", "medical")
    if kind not in LISTS:
        raise Http404
    content, ctype, name = list_template(kind)
    return download(content, name, ctype)


def nav_visible(user) -> bool:
    return access.can_view_records(user)


__all__ = ["alert_detail", "alert_list", "alert_new", "threshold_edit", "threshold_new",
           "thresholds", "case_act", "case_detail", "dashboard", "import_page",
           "nav_visible", "template"]
