"""Mediation and administrative review pages of a case: the mediation record (parties, sessions,
agreement, conclusion), the 人民调解协议书 download, and the administrative dispute /
reconsideration record.

Every change goes through cases/mediation.py (do_*, each with its CaseEvent), which also decides
who may see and edit; these views parse, check, call and render.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from minsheng.accounts import masking
from minsheng.cases import stats
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
from minsheng.lib import widgets
from minsheng.lib.http import download
from minsheng.lib.validators import InputChecked


def _download(content: bytes, ctype: str, filename: str) -> HttpResponse:
    return download(content, filename, ctype)


def _form_errors(form: forms.Form, err: ValidationError) -> None:
    if hasattr(err, "error_dict"):
        for field, errs in err.message_dict.items():
            form.add_error(field if field in form.fields else None, errs)
    else:
        form.add_error(None, err.messages)


# --- mediation -------------------------------------------------------------------------------


class MediationForm(InputChecked, forms.Form):
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


class PartyForm(InputChecked, forms.Form):
    party = forms.IntegerField(required=False, widget=forms.HiddenInput)
    role = forms.ChoiceField(label=gettext_lazy("身份"), choices=Party.Role.choices)
    name = forms.CharField(label=gettext_lazy("姓名/名称"), max_length=100)
    phone = forms.CharField(label=gettext_lazy("联系电话"), max_length=30, required=False)
    id_number = forms.CharField(label=gettext_lazy("身份证号/统一社会信用代码"), max_length=18,
                                required=False)
    address = forms.CharField(label=gettext_lazy("住址"), max_length=200, required=False)


class SessionForm(InputChecked, forms.Form):
    held_at = forms.DateTimeField(label=gettext_lazy("时间"), widget=widgets.DateTimeInput())
    place = forms.CharField(label=gettext_lazy("地点"), max_length=100, required=False)
    notes = forms.CharField(label=gettext_lazy("调解记录"), widget=forms.Textarea(attrs={"rows": 3}))


class ConcludeForm(InputChecked, forms.Form):
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


class ReviewForm(InputChecked, forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("类型"), choices=AdminReview.Kind.choices)
    respondent = forms.CharField(label=gettext_lazy("被申请机关"), max_length=100, required=False)
    accepted = forms.BooleanField(label=gettext_lazy("已受理"), required=False)
    accepted_at = forms.DateField(label=gettext_lazy("受理日期"), required=False,
                                  widget=widgets.DateInput())
    outcome = forms.ChoiceField(label=gettext_lazy("结果"), required=False,
                                choices=AdminReview.Outcome.choices)
    concluded_at = forms.DateField(label=gettext_lazy("审结日期"), required=False,
                                   widget=widgets.DateInput())
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

