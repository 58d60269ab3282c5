"""Pages of enrolment (application → street review → 公示 → decision), review tasks and the
monthly payment cycles. Parse → check (access.py) → call (enrolment.do_*, payments.do_*) →
render."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, Sum
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from minsheng.accounts.roles import DECIDE_ASSISTANCE, REVIEW_ASSISTANCE
from minsheng.assistance import access, configuration, payments
from minsheng.assistance import enrolment as en
from minsheng.assistance.models import (
    Cycle,
    Entitlement,
    Objection,
    Payment,
    PaymentBatch,
    Procedure,
    Programme,
    Review,
    Standard,
)
from minsheng.lib import widgets
from minsheng.lib.http import download
from minsheng.lib.tabular import ImportRejected, show_rejection
from minsheng.lib.validators import SINGLE_LINE, InputChecked
from minsheng.places.models import Region


class ApplyForm(InputChecked, forms.Form):
    programme = forms.ChoiceField(label=gettext_lazy("项目"), choices=Programme.choices)
    person = forms.ModelChoiceField(label=gettext_lazy("保障对象（特困、孤儿必选）"),
                                    queryset=None, required=False)
    consent_on = forms.DateField(label=gettext_lazy("书面授权核对日期"),
                                 widget=widgets.DateInput())

    def __init__(self, *args, household, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = household.members.all()


def _errors(form, e: ValidationError) -> None:
    if hasattr(e, "error_dict"):
        for field, errs in e.message_dict.items():
            form.add_error(field if field in form.fields else None, errs)
    else:
        form.add_error(None, e.messages)


@login_required
def apply(request, pk: int):
    h = access.access_household_by_id(request.user, pk)
    if not access.can_register(request.user, h.region_id):
        raise PermissionDenied
    form = ApplyForm(request.POST or None, household=h,
                     initial={"consent_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            e = en.do_apply(request.user, h, programme=d["programme"], person=d["person"],
                            consent_on=d["consent_on"], request=request)
        except ValidationError as err:
            _errors(form, err)
        else:
            messages.success(request, _("已提交申请，等待街道审核。"))
            return redirect("assistance:enrolment", pk=e.pk)
    return render(request, "web/form.html", {
        "form": form, "title": _("申请救助：%(n)s") % {"n": h.number},
        "cancel": f"/assistance/households/{h.pk}/"})


@login_required
def enrolment_detail(request, pk: int):
    e = access.access_enrolment_by_id(request.user, pk)
    S = e.State
    street = access.has_right(request.user, REVIEW_ASSISTANCE, e.region_id)
    decide = en.can_decide(request.user, e)
    return render(request, "assistance/enrolment_detail.html", {
        "e": e, "events": e.events.select_related("actor"), "objections": e.objections.all(),
        "can_review": street and e.state == S.APPLIED,
        "can_publicise": street and e.state == S.REVIEWED,
        "can_object": street and e.state == S.PUBLICISED,
        "can_decide": decide and e.state == S.PUBLICISED,
        "award_ceiling": en.award_ceiling(e, timezone.localdate())
        if (decide or street) and e.programme == "temporary" else None,
        "can_refuse": decide and e.state in (S.APPLIED, S.REVIEWED, S.PUBLICISED),
        "can_pay_first": (street or decide) and e.programme == "temporary"
        and e.state in (S.APPLIED, S.REVIEWED),
        "can_after_review": decide and e.paid_first and not e.after_review_outcome,
        "today": timezone.localdate(),
        "entitlements": e.entitlements.select_related("cycle").order_by("-cycle__month")[:12],
        "can_reject": access.has_right(request.user, DECIDE_ASSISTANCE, e.region_id),
    })


@login_required
@require_POST
def enrolment_act(request, pk: int):
    e = access.access_enrolment_by_id(request.user, pk)
    step = request.POST.get("step", "")
    note = request.POST.get("note", "")[:500]
    try:
        if step == "review":
            en.do_street_review(request.user, e, note, request=request)
        elif step == "publicise":
            en.do_publicise(request.user, e, request=request)
        elif step == "object":
            en.do_record_objection(request.user, e, note)
        elif step == "answer":
            o = Objection.objects.filter(enrolment=e, pk=request.POST.get("objection") or 0
                                         ).first()
            if o is None:
                raise PermissionDenied
            en.do_answer_objection(request.user, o, answer=note,
                                   upheld=request.POST.get("upheld") == "1")
        elif step == "pay_first":
            en.do_pay_first(request.user, e, reason=note, request=request,
                            award_amount=request.POST.get("award_amount", "")[:20] or None)
        elif step in ("after_confirm", "after_refuse"):
            en.do_after_review(request.user, e, confirm=step == "after_confirm", reason=note,
                               request=request)
        elif step in ("enrol", "refuse"):
            en.do_decide(request.user, e, enrol=step == "enrol", reason=note, request=request,
                         award_amount=request.POST.get("award_amount", "")[:20] or None)
        else:
            raise PermissionDenied
    except ValidationError as err:
        messages.error(request, "；".join(err.messages))
    else:
        messages.success(request, _("已办理。"))
    return redirect("assistance:enrolment", pk=e.pk)


@login_required
def review_list(request):
    if not access.can_view_registry(request.user):
        raise PermissionDenied
    today = timezone.localdate()
    qs = access.reviews_for(request.user).filter(done_on__isnull=True).order_by("due_on")
    return render(request, "assistance/reviews.html", {
        "reviews": qs.select_related("enrolment__household", "enrolment__person")[:200],
        "today": today, "outcomes": Review.Outcome.choices[1:5],
        "overdue": qs.filter(due_on__lt=today).count(),
    })


@login_required
@require_POST
def review_done(request, pk: int):
    r = access.access_review_by_id(request.user, pk)
    note = request.POST.get("note", "")[:300]
    try:
        SINGLE_LINE(note)
        en.do_complete_review(request.user, r, outcome=request.POST.get("outcome", ""), note=note)
    except ValidationError as err:
        messages.error(request, "；".join(err.messages))
    else:
        messages.success(request, _("复核已完成。"))
    return redirect("assistance:reviews")


# --- payment cycles ------------------------------------------------------------------------

class OpenCycleForm(InputChecked, forms.Form):
    region = forms.ModelChoiceField(label=gettext_lazy("区县"), queryset=None)
    month = forms.DateField(label=gettext_lazy("发放月份（任一天）"),
                            widget=widgets.DateInput())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = access.decide_regions_for(user)


@login_required
def cycle_list(request):
    regions = access.decide_regions_for(request.user)
    if not regions.exists():
        raise PermissionDenied
    form = OpenCycleForm(request.POST or None, user=request.user,
                         initial={"month": timezone.localdate(), "region": regions.first()})
    if request.method == "POST" and form.is_valid():
        try:
            c = payments.do_open_cycle(request.user, form.cleaned_data["region"].code,
                                       form.cleaned_data["month"])
        except ValidationError as err:
            _errors(form, err)
        else:
            return redirect("assistance:cycle", pk=c.pk)
    cycles = access.cycles_for(request.user).annotate(
        n=Count("entitlements"), total=Sum("entitlements__amount")).order_by("-month")[:36]
    return render(request, "assistance/cycles.html", {"cycles": cycles, "form": form})


@login_required
def cycle_detail(request, pk: int):
    c = access.access_cycle_by_id(request.user, pk)
    by_programme = (Entitlement.objects.filter(cycle=c).values("programme", "state")
                    .annotate(n=Count("id"), total=Sum("amount")).order_by("programme", "state"))
    labels = dict(Programme.choices)
    states = dict(Entitlement.State.choices)
    batches = c.batches.annotate(
        n=Count("payments"), paid=Count("payments", filter=Q(payments__status="paid")),
        failed=Count("payments", filter=Q(payments__status="failed")),
        total=Sum("payments__amount")).order_by("seq")
    failed = Payment.objects.filter(cycle=c, status=Payment.Status.FAILED).exclude(
        person_id__in=Payment.objects.filter(cycle=c).exclude(
            status=Payment.Status.FAILED).values("person_id"))
    S = Cycle.State
    open_batch = c.batches.filter(state=PaymentBatch.State.EXPORTED).exists()
    return render(request, "assistance/cycle_detail.html", {
        "c": c, "rows": [{"programme": labels.get(r["programme"], r["programme"]),
                          "state": states.get(r["state"], r["state"]), "n": r["n"],
                          "total": r["total"]} for r in by_programme],
        "totals": payments.totals(c), "batches": batches,
        "can_generate": c.state == S.DRAFT, "can_approve": c.state == S.TO_APPROVE,
        "can_approve_all": c.state == S.APPROVED and Entitlement.objects.filter(
            cycle=c, state=Entitlement.State.DRAFT).exists(),
        "can_export": c.state == S.APPROVED and not open_batch and Entitlement.objects.filter(
            cycle=c, state=Entitlement.State.APPROVED).exclude(
            payee_id__in=Payment.objects.filter(cycle=c).values("person_id")).exists(),
        "can_retry": c.state == S.APPROVED and not open_batch and failed.exists(),
        "can_close": c.state == S.PAID,
    })


@login_required
@require_POST
def cycle_act(request, pk: int):
    c = access.access_cycle_by_id(request.user, pk)
    step = request.POST.get("step", "")
    do = {"generate": lambda: payments.do_generate(request.user, c),
          "approve": lambda: payments.do_approve_cycle(request.user, c),
          "approve_all": lambda: payments.do_approve_entitlements(request.user, c),
          "export": lambda: payments.do_export_batch(request.user, c, request=request),
          "retry": lambda: payments.do_export_batch(request.user, c, retry=True,
                                                    request=request),
          "close": lambda: payments.do_close_cycle(request.user, c),
          "reject": lambda: payments.do_reject_entitlement(
              request.user, _entitlement_of(c, request.POST.get("entitlement")),
              request.POST.get("reason", ""))}.get(step)
    if do is None:
        raise PermissionDenied
    try:
        do()
    except ValidationError as err:
        messages.error(request, "；".join(err.messages))
    else:
        messages.success(request, _("已办理。"))
    return redirect("assistance:cycle", pk=c.pk)


def _entitlement_of(cycle: Cycle, pk) -> Entitlement:
    try:
        return Entitlement.objects.select_related("cycle").get(cycle=cycle, pk=int(pk))
    except (Entitlement.DoesNotExist, TypeError, ValueError):
        raise ValidationError(_("本周期没有该待遇。")) from None


@login_required
def batch_file(request, pk: int, fmt: str):
    batch = access.access_batch_by_id(request.user, pk)
    if fmt not in ("csv", "xlsx"):
        raise PermissionDenied
    content, ctype, name = payments.bank_file(request.user, batch, fmt, request=request)
    return download(content, name, ctype)


class ReturnForm(InputChecked, forms.Form):
    file = forms.FileField(label=gettext_lazy("银行回盘文件 (.xlsx / .csv)"))


@login_required
def batch_reconcile(request, pk: int):
    batch = access.access_batch_by_id(request.user, pk)
    form = ReturnForm(request.POST or None, request.FILES or None)
    errors = report = None
    if request.method == "POST" and form.is_valid():
        f = form.cleaned_data["file"]
        try:
            result = payments.do_reconcile(request.user, batch, f.read(), f.name)
        except ImportRejected as err:
            errors, report = show_rejection(request, err)
        except ValidationError as err:
            messages.error(request, "；".join(err.messages))
        else:
            messages.success(request, _("对账完成：%(n)d 笔。") % {"n": result.updated})
            return redirect("assistance:cycle", pk=batch.cycle_id)
    return render(request, "assistance/reconcile.html", {
        "form": form, "batch": batch, "errors": errors, "report": report})


__all__ = ["apply", "batch_file", "batch_reconcile", "cycle_act", "cycle_detail", "cycle_list",
           "enrolment_act", "enrolment_detail", "review_done", "review_list"]


# --- local rules as dated configuration (救助标准, 办理规则) --------------------------------

def _config_regions(user):
    return Region.objects.filter(
        access._q(access.prefixes_with(user, DECIDE_ASSISTANCE), "code"),
        level__in=(Region.Level.DISTRICT, Region.Level.STREET)).order_by("code")


class StandardForm(InputChecked, forms.ModelForm):
    class Meta:
        model = Standard
        fields = ["region", "programme", "area", "valid_from", "amount", "multiplier", "source",
                  "verified"]
        widgets = {"valid_from": widgets.DateInput()}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = _config_regions(user)
        self.fields["source"].validators.append(SINGLE_LINE)


class ProcedureForm(InputChecked, forms.ModelForm):
    class Meta:
        model = Procedure
        fields = ["region", "valid_from", "publicity_days", "review_months_unable",
                  "review_months_partial", "review_months_able", "payment_due_day",
                  "after_review_days", "first_month", "street_decides", "source", "verified"]
        widgets = {"valid_from": widgets.DateInput()}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = _config_regions(user)
        self.fields["source"].validators.append(SINGLE_LINE)
        self.fields["after_review_days"].required = False
        self.fields["first_month"].required = False


@login_required
def standards_page(request):
    """The region's standards and procedure rules with their history; 区民政局 adds a new row
    from a date (configuration.py), never edits one."""
    if not access.can_decide(request.user):
        raise PermissionDenied
    today = timezone.localdate()
    what = request.POST.get("what", "")
    sform = StandardForm(request.POST if what == "standard" else None, user=request.user,
                         prefix="s", initial={"valid_from": today})
    pform = ProcedureForm(request.POST if what == "procedure" else None, user=request.user,
                          prefix="p", initial={"valid_from": today})
    if request.method == "POST":
        form, do = {"standard": (sform, configuration.do_add_standard),
                    "procedure": (pform, configuration.do_add_procedure)}.get(what, (None, None))
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                do(request.user, **form.cleaned_data)
            except ValidationError as err:
                for m in err.messages:
                    form.add_error(None, m)
            else:
                messages.success(request, _("已保存，自执行日期起生效。"))
                return redirect("assistance:standards")
    regions = _config_regions(request.user).values("code")
    return render(request, "assistance/standards.html", {
        "standards": Standard.objects.filter(region__in=regions).select_related("region"),
        "procedures": Procedure.objects.filter(region__in=regions).select_related("region"),
        "sform": sform, "pform": pform})
