"""Pages of a compound's committee, elections and cadres: parse, check (access), call
(committees.do_*), render. Members' phone numbers are masked unless revealed (audited) by a role
that unmasks personal data there (accounts.masking)."""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from minsheng.accounts.masking import can_unmask, mask, personal_values
from minsheng.governance import access, committees
from minsheng.governance.forms import (
    CadreForm,
    DayForm,
    ElectionForm,
    MemberEndForm,
    ReturnForm,
    election_initial,
)
from minsheng.governance.models import Cadre, CommitteeMember, Election


def _members(request, members, *, unmask: bool = False) -> list[tuple[CommitteeMember, str]]:
    return [(m, personal_values(request.user, m, unmask=unmask, request=request)["phone"])
            for m in members]


def _committee(request: HttpRequest, pk: int, *, unmask: bool = False) -> HttpResponse:
    c = access.access_registry_compound_by_id(request.user, pk)
    today = timezone.localdate()
    members = list(CommitteeMember.objects.filter(compound=c, started_on__isnull=False)
                   .select_related("election", "compound").order_by("-started_on", "role", "pk"))
    current = [m for m in members if m.ended_on is None or m.ended_on > today]
    past = [m for m in members if m not in current]
    shown = _members(request, members, unmask=unmask)
    editable = access.can_edit_registry(request.user, c)
    asked = DayForm(request.GET or None, label=_("查看某日在任成员"))
    on = asked.cleaned_data["on"] if asked.is_bound and asked.is_valid() else None
    elections = list(Election.objects.filter(compound=c).prefetch_related("members")
                     .order_by("-held_on", "-pk"))
    return render(request, "governance/committee.html", {
        "c": c, "today": today, "editable": editable, "revealed": unmask,
        "current": [x for x in shown if x[0] in current],
        "past": [x for x in shown if x[0] in past],
        "can_reveal": not unmask and can_unmask(request.user, c.region_id)
        and any(m.phone for m in members),
        "elections": [(e, access.can_approve(request.user, e)) for e in elections],
        "cadres": Cadre.objects.filter(compound=c).order_by("-started_on", "pk"),
        "asked": asked if asked.is_bound else DayForm(label=_("查看某日在任成员")), "on": on,
        "on_members": [x for x in shown if on and x[0].started_on <= on
                       and (x[0].ended_on is None or x[0].ended_on > on)],
        "on_cadres": committees.cadres_on(c, on) if on else []})


@login_required
def committee(request: HttpRequest, pk: int) -> HttpResponse:
    return _committee(request, pk)


@require_POST
@login_required
def committee_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """The members' phone numbers in clear, once, each written to the audit log."""
    c = access.access_registry_compound_by_id(request.user, pk)
    if not can_unmask(request.user, c.region_id):
        raise PermissionDenied
    return _committee(request, pk, unmask=True)


def _editable(request: HttpRequest, obj):
    """`obj` (a compound, or a record of one) if the user records its compound's committee,
    elections and cadres (EDIT_PLACES there); PermissionDenied otherwise."""
    compound = getattr(obj, "compound", obj)
    if not access.can_edit_registry(request.user, compound):
        raise PermissionDenied
    return obj


def _election_form(request: HttpRequest, c, election: Election | None = None) -> HttpResponse:
    """Record an election, or correct a draft one (sent back by the street, or not submitted):
    one form, one page; the action does the checks."""
    stored = {mask(m.phone): m.phone for m in election.members.all() if m.phone} \
        if election else {}
    form = ElectionForm(request.POST or None, stored_phones=stored,
                        initial=election_initial(election) if election else None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        record = (partial(committees.do_change_election, election) if election
                  else partial(committees.do_record_election, c))
        try:
            record(committee=d["committee"], held_on=d["held_on"], turnout=d["turnout"],
                   members=form.members(), by=request.user, note=d["note"],
                   submit=request.POST.get("submit") == "submit")
            messages.success(request, _("已登记选举"))
            return redirect("governance:registry-committee", pk=c.pk)
        except ValidationError as exc:
            form.add_error(None, exc)
    return render(request, "governance/election_new.html", {"c": c, "form": form,
                                                            "election": election})


@login_required
def election_new(request: HttpRequest, pk: int) -> HttpResponse:
    c = _editable(request, access.access_registry_compound_by_id(request.user, pk))
    return _election_form(request, c)


@login_required
def election_edit(request: HttpRequest, pk: int) -> HttpResponse:
    e = _editable(request, access.access_election_by_id(request.user, pk))
    if e.state != Election.State.DRAFT:
        messages.error(request, _("只有草稿可以修改"))
        return redirect("governance:registry-committee", pk=e.compound_id)
    return _election_form(request, e.compound, e)


@require_POST
@login_required
def election_submit(request: HttpRequest, pk: int) -> HttpResponse:
    e = _editable(request, access.access_election_by_id(request.user, pk))
    try:
        committees.do_submit_election(e, by=request.user)
        messages.success(request, _("已提交街道审批"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("governance:registry-committee", pk=e.compound_id)


def _approver(request: HttpRequest, pk: int) -> Election:
    e = access.access_election_by_id(request.user, pk)
    if not access.can_approve(request.user, e):
        raise PermissionDenied
    return e


def _approve_page(request: HttpRequest, e: Election, form=None, back=None) -> HttpResponse:
    submitted = e.state == Election.State.SUBMITTED
    return render(request, "governance/election_approve.html", {
        "e": e, "form": form or (DayForm(label=_("批准日期")) if submitted else None),
        "back": back or (ReturnForm() if submitted else None),
        "returns": e.returns.select_related("returned_by"),
        "members": _members(request, e.members.select_related("compound"))})


@login_required
def election_approve(request: HttpRequest, pk: int) -> HttpResponse:
    """The street office of the compound's street reads the election and approves it."""
    e = _approver(request, pk)
    if request.method != "POST":
        return _approve_page(request, e)
    if e.state != Election.State.SUBMITTED:
        messages.error(request, _("只有已提交的选举可以批准"))
        return redirect("governance:election-approve", pk=e.pk)
    form = DayForm(request.POST, label=_("批准日期"))
    if form.is_valid():
        try:
            committees.do_approve_election(e, on=form.cleaned_data["on"], by=request.user)
            messages.success(request, _("已批准，成员自批准日期起任职"))
            return redirect("governance:registry-committee", pk=e.compound_id)
        except ValidationError as exc:
            form.add_error(None, exc)
    return _approve_page(request, e, form=form)


@require_POST
@login_required
def election_return(request: HttpRequest, pk: int) -> HttpResponse:
    """The street sends a submitted election back to the community with its reason."""
    e = _approver(request, pk)
    back = ReturnForm(request.POST)
    if back.is_valid():
        try:
            committees.do_return_election(e, reason=back.cleaned_data["reason"],
                                          by=request.user)
            messages.success(request, _("已退回社区修改"))
            return redirect("governance:registry-committee", pk=e.compound_id)
        except ValidationError as exc:
            back.add_error(None, exc)
    return _approve_page(request, e, back=back)


@login_required
def cadre_new(request: HttpRequest, pk: int) -> HttpResponse:
    c = _editable(request, access.access_registry_compound_by_id(request.user, pk))
    form = CadreForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            committees.do_add_cadre(c, name=d["name"], unit=d["unit"], full_time=d["full_time"],
                                    started_on=d["started_on"], by=request.user)
            messages.success(request, _("已登记下派干部"))
            return redirect("governance:registry-committee", pk=c.pk)
        except ValidationError as exc:
            form.add_error(None, exc)
    return render(request, "governance/cadre_form.html", {"c": c, "form": form, "cadre": None})


def _ending(request: HttpRequest, obj, form, end, done: str, template: str,
            context: dict) -> HttpResponse:
    """A dated end of a cadre's posting or a member's term: the form, the action, back to the
    committee page, or the form again with the action's refusal."""
    if request.method == "POST" and form.is_valid():
        try:
            end(form.cleaned_data)
            messages.success(request, done)
            return redirect("governance:registry-committee", pk=obj.compound_id)
        except ValidationError as exc:
            form.add_error(None, exc)
    return render(request, template, {"c": obj.compound, "form": form, **context})


@login_required
def cadre_end(request: HttpRequest, pk: int) -> HttpResponse:
    cadre = _editable(request, access.access_cadre_by_id(request.user, pk))
    return _ending(
        request, cadre, DayForm(request.POST or None, label=_("结束日期")),
        lambda d: committees.do_end_cadre(cadre, on=d["on"], by=request.user),
        _("已结束下派"), "governance/cadre_form.html", {"cadre": cadre})


@login_required
def member_end(request: HttpRequest, pk: int) -> HttpResponse:
    """A member leaving mid-term (resignation, death, removal)."""
    member = _editable(request, access.access_member_by_id(request.user, pk))
    return _ending(
        request, member, MemberEndForm(request.POST or None),
        lambda d: committees.do_end_member(member, on=d["on"], reason=d["reason"],
                                           note=d["note"], by=request.user),
        _("已登记成员离任"), "governance/member_end.html", {"member": member})
