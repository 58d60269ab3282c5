"""Owners' and management committees, their elections and the cadres sent down to compound party
branches: every change here, atomic and audited (accounts.masking.log).

An election is recorded with the members it chose (draft), submitted, and approved by the street
office of the compound's street (the 法定程序):

    draft ──submit──▶ submitted ──approve (street)──▶ approved
      ▲                   │
      └──return (street, with a reason: ElectionReturn)

A draft is corrected by the community (do_change_election) and submitted again. On approval the
members take office from the approval date and the members of the previous committee leave on
that date, so a committee's composition on any day is the members whose term covers it
(started_on ≤ day < ended_on); the compound's own fields (places.Compound's committee head and
phone) follow the approved chair. A member may leave mid-term (do_end_member: resignation, death,
removal) and a cadre is in post from started_on until ended_on.

The registry may not say what the approved members in office contradict: a change by hand goes
through do_change_by_hand, which refuses one (contradictions).

The dated facts that the figures count (a committee, its head a party secretary elected and
approved, a party branch, a full-time cadre) are written through registry.do_change_governance,
the one owner of the registry's history, dated on the day of the change: the coverage figures as
of a day (registry.figures_on, the indicator sources) read this year's change only from its date,
and last year's figures stay last year's.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from minsheng.accounts.masking import log
from minsheng.governance import registry
from minsheng.governance.models import (
    Cadre,
    CommitteeMember,
    Election,
    ElectionReturn,
    GovernanceRecord,
)
from minsheng.places.models import Compound

S = Election.State
MAX_MEMBERS = 15


def in_office_on(day: dt.date) -> Q:
    """Members (or cadres) whose term covers `day`."""
    return (Q(started_on__isnull=False, started_on__lte=day)
            & (Q(ended_on__isnull=True) | Q(ended_on__gt=day)))


def members_on(compound: Compound, day: dt.date) -> QuerySet[CommitteeMember]:
    return CommitteeMember.objects.filter(in_office_on(day), compound=compound)


def cadres_on(compound: Compound, day: dt.date) -> QuerySet[Cadre]:
    return Cadre.objects.filter(in_office_on(day), compound=compound)


def _not_future(day: dt.date, message: str) -> None:
    if day > timezone.localdate():
        raise ValidationError(message)


def _checked_election(*, committee: str, held_on: dt.date, turnout: Decimal | float,
                      members: list[dict]) -> tuple[Decimal, list[dict]]:
    """The checks of an election's facts and members (recorded or corrected)."""
    if committee not in dict(Election._meta.get_field("committee").choices):
        raise ValidationError(_("请选择业委会或物管会"))
    _not_future(held_on, _("选举日期不能晚于今天"))
    turnout = Decimal(str(turnout))
    if not Decimal(0) <= turnout <= Decimal(100):
        raise ValidationError(_("参选率须在0到100之间"))
    members = [m for m in members if (m.get("name") or "").strip()]
    if not members:
        raise ValidationError(_("请填写选出的成员"))
    if len(members) > MAX_MEMBERS:
        raise ValidationError(_("成员不能超过%(n)s人") % {"n": MAX_MEMBERS})
    roles = [m.get("role") for m in members]
    if any(r not in CommitteeMember.Role.values for r in roles):
        raise ValidationError(_("成员职务无效"))
    if roles.count(CommitteeMember.Role.CHAIR) != 1:
        raise ValidationError(_("须有且只有一名主任"))
    return turnout, members


def _add_members(election: Election, members: list[dict]) -> None:
    CommitteeMember.objects.bulk_create(
        CommitteeMember(compound_id=election.compound_id, election=election,
                        name=m["name"].strip()[:50], role=m["role"],
                        is_party_secretary=bool(m.get("is_party_secretary")),
                        phone=(m.get("phone") or "").strip()[:30]) for m in members)


@transaction.atomic
def do_record_election(compound: Compound, *, committee: str, held_on: dt.date,
                       turnout: Decimal | float, members: list[dict], by, submit: bool = False,
                       note: str = "") -> Election:
    """Record an election with the members it chose (name, role, is_party_secretary, phone):
    exactly one 主任; a draft, or submitted to the street at once."""
    turnout, members = _checked_election(committee=committee, held_on=held_on, turnout=turnout,
                                         members=members)
    election = Election.objects.create(
        compound=compound, committee=committee, held_on=held_on, turnout=turnout,
        state=S.SUBMITTED if submit else S.DRAFT,
        submitted_at=timezone.now() if submit else None, created_by=by, note=note[:200])
    _add_members(election, members)
    log(by, "governance.election", election, region_code=compound.region_id,
        detail=f"{held_on} {election.state}")
    return election


@transaction.atomic
def do_change_election(election: Election, *, committee: str, held_on: dt.date,
                       turnout: Decimal | float, members: list[dict], by, submit: bool = False,
                       note: str = "") -> Election:
    """Correct a draft (one the street sent back, or not yet submitted): its facts and its
    members replaced; kept a draft, or submitted again."""
    election = Election.objects.select_for_update().get(pk=election.pk)
    if election.state != S.DRAFT:
        raise ValidationError(_("只有草稿可以修改"))
    turnout, members = _checked_election(committee=committee, held_on=held_on, turnout=turnout,
                                         members=members)
    election.members.all().delete()
    _add_members(election, members)
    election.committee, election.held_on, election.turnout = committee, held_on, turnout
    election.note = note[:200]
    if submit:
        election.state, election.submitted_at = S.SUBMITTED, timezone.now()
    election.save(update_fields=["committee", "held_on", "turnout", "note", "state",
                                 "submitted_at"])
    log(by, "governance.election_change", election, region_code=election.compound.region_id,
        detail=f"{held_on} {election.state}")
    return election


@transaction.atomic
def do_submit_election(election: Election, *, by) -> Election:
    election = Election.objects.select_for_update().get(pk=election.pk)
    if election.state != S.DRAFT:
        raise ValidationError(_("只有草稿可以提交"))
    election.state, election.submitted_at = S.SUBMITTED, timezone.now()
    election.save(update_fields=["state", "submitted_at"])
    log(by, "governance.election_submit", election, region_code=election.compound.region_id)
    return election


RETURN_REASON_MAX = ElectionReturn._meta.get_field("reason").max_length


@transaction.atomic
def do_return_election(election: Election, *, reason: str, by) -> Election:
    """The street sends a submitted election back to the community, saying why: a draft
    again, to be corrected and resubmitted; the return is kept (ElectionReturn)."""
    election = Election.objects.select_for_update().get(pk=election.pk)
    if election.state != S.SUBMITTED:
        raise ValidationError(_("只有已提交的选举可以退回"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("请填写退回理由"))
    if len(reason) > RETURN_REASON_MAX:
        raise ValidationError(_("退回理由不能超过 %(n)d 个字") % {"n": RETURN_REASON_MAX})
    ElectionReturn.objects.create(election=election, reason=reason, returned_at=timezone.now(),
                                  returned_by=by)
    election.state, election.submitted_at, election.return_reason = S.DRAFT, None, reason
    election.save(update_fields=["state", "submitted_at", "return_reason"])
    log(by, "governance.election_return", election, region_code=election.compound.region_id,
        detail=reason)
    return election


def _set_head(compound: Compound, chair: CommitteeMember | None) -> None:
    """places.Compound's committee head and phone, which other pages and exports read, from the
    approved chair in office (none: empty)."""
    Compound.objects.filter(pk=compound.pk).update(
        committee_head=chair.name if chair else "",
        committee_head_phone=chair.phone if chair else "")


@transaction.atomic
def do_approve_election(election: Election, *, on: dt.date, by) -> Election:
    """The street approves a submitted election: its members take office on `on`, the previous
    committee's members leave that day, and the registry records the committee from that day."""
    election = (Election.objects.select_for_update().select_related("compound")
                .get(pk=election.pk))
    if election.state != S.SUBMITTED:
        raise ValidationError(_("只有已提交的选举可以批准"))
    _not_future(on, _("批准日期不能晚于今天"))
    if on < election.held_on:
        raise ValidationError(_("批准日期不能早于选举日期"))
    compound = election.compound
    later = CommitteeMember.objects.filter(compound=compound, started_on__gt=on)
    if later.exists():
        raise ValidationError(_("该小区已有批准日期更晚的选举"))
    members = list(election.members.all())
    chair = next(m for m in members if m.role == CommitteeMember.Role.CHAIR)
    changes = {"committee": election.committee, "election_date": election.held_on,
               "turnout": election.turnout, "street_approved": True,
               "head_is_party_secretary": chair.is_party_secretary}
    if chair.is_party_secretary:  # a party secretary heads it: the compound has a branch
        changes["has_party_branch"] = True
    # the registry refuses a date before its last change: ask it before touching the members
    registry.do_change_governance(compound, on=on, by=by, note=_("选举经街道批准"), **changes)
    (CommitteeMember.objects.filter(compound=compound, started_on__isnull=False,
                                    ended_on__isnull=True)
     .exclude(election=election).update(ended_on=on))
    election.members.update(started_on=on)
    _set_head(compound, chair)
    election.state, election.approved_on, election.approver = S.APPROVED, on, by
    election.return_reason = ""
    election.save(update_fields=["state", "approved_on", "approver", "return_reason"])
    log(by, "governance.election_approve", election, region_code=compound.region_id,
        detail=str(on))
    return election


LEAVING = CommitteeMember.Leaving


@transaction.atomic
def do_end_member(member: CommitteeMember, *, on: dt.date, reason: str, note: str = "",
                  by) -> CommitteeMember:
    """A member leaves mid-term (resignation, death, removal) on `on`, the first day out of
    office: members_on(day) before it still lists them. The chair leaving empties the
    compound's head fields and, if the chair was the party secretary, the registry no longer
    counts a secretary heading it from `on`; the last member leaving ends the committee in the
    registry from `on`."""
    member = (CommitteeMember.objects.select_for_update().select_related("compound")
              .get(pk=member.pk))
    if member.started_on is None or member.ended_on is not None:
        raise ValidationError(_("该成员不在任"))
    if reason not in LEAVING.values:
        raise ValidationError(_("请选择离任原因"))
    _not_future(on, _("离任日期不能晚于今天"))
    if on < member.started_on:
        raise ValidationError(_("离任日期不能早于任职日期（%(d)s）") % {"d": member.started_on})
    compound = member.compound
    left = members_on(compound, on).exclude(pk=member.pk)
    changes: dict = {}
    if not left.exists():
        changes = {"committee": "", "head_is_party_secretary": False}
    elif member.role == CommitteeMember.Role.CHAIR and member.is_party_secretary:
        changes = {"head_is_party_secretary": False}
    if changes:  # the registry refuses a date before its last change: before any write
        registry.do_change_governance(compound, on=on, by=by, note=_("业委会/物管会成员离任"),
                                      **changes)
    member.ended_on, member.left_because = on, reason
    member.leave_note = (note or "").strip()[:200]
    member.save(update_fields=["ended_on", "left_because", "leave_note"])
    if member.role == CommitteeMember.Role.CHAIR:
        _set_head(compound, None)
    log(by, "governance.member_end", member, region_code=compound.region_id,
        detail=f"{on} {reason}")
    return member


def contradictions(compound: Compound, on: dt.date, values: dict) -> list[str]:
    """What registry `values` (FIELDS, those given) say against the approved members in office
    on `on` (none in office: nothing to contradict, the registry speaks alone)."""
    members = list(members_on(compound, on).select_related("election"))
    if not members:
        return []
    election = max((m.election for m in members), key=lambda e: (e.approved_on, e.pk))
    chair = next((m for m in members if m.role == CommitteeMember.Role.CHAIR), None)
    d = {"d": on, "e": election.held_on, "c": election.get_committee_display()}
    problems = []
    if "committee" in values and values["committee"] != election.committee:
        problems.append(
            _("%(d)s 有经街道批准的%(c)s成员在任，不能登记为没有业委会/物管会") % d
            if not values["committee"] else
            _("%(d)s 在任的成员由%(c)s选举产生，登记的类型须一致") % d)
    if "head_is_party_secretary" in values:
        secretary = bool(chair and chair.is_party_secretary)
        if values["head_is_party_secretary"] and not secretary:
            problems.append(_("%(d)s 在任主任不是小区党支部书记（或没有在任主任）") % d)
        elif not values["head_is_party_secretary"] and secretary:
            problems.append(_("%(d)s 在任主任由小区党支部书记担任") % d)
    if "street_approved" in values and not values["street_approved"]:
        problems.append(_("%(d)s 在任成员的选举已经街道批准") % d)
    if values.get("election_date") not in (None, election.held_on):
        problems.append(_("在任成员的选举日期是 %(e)s，登记的选举日期须一致") % d)
    return problems


@transaction.atomic
def do_change_by_hand(compound: Compound, *, on: dt.date, by, note: str = "",
                      **changes) -> object:
    """A registry change recorded by hand (registry_views): refused where it contradicts the
    approved members in office that day (their records are changed here, by elections and
    departures, and the registry follows them)."""
    problems = contradictions(compound, on, changes)
    if problems:
        raise ValidationError([*problems, _("成员的变化请在业委会/物管会页面登记（选举、成员离任）")])
    return registry.do_change_governance(compound, on=on, by=by, note=note, **changes)


def _cadre_facts(compound: Compound, day: dt.date) -> dict:
    """The registry's cadre facts from the cadres in post on `day`."""
    full = cadres_on(compound, day).filter(full_time=True).order_by("started_on", "pk").first()
    return {"cadre_full_time": full is not None, "cadre_unit": full.unit if full else ""}


@transaction.atomic
def do_add_cadre(compound: Compound, *, name: str, unit: str, full_time: bool,
                 started_on: dt.date, by) -> Cadre:
    """A cadre sent down to the compound's party branch from `started_on`."""
    name, unit = (name or "").strip(), (unit or "").strip()
    if not name or not unit:
        raise ValidationError(_("请填写干部姓名和派出单位"))
    _not_future(started_on, _("下派日期不能晚于今天"))
    Compound.objects.select_for_update().get(pk=compound.pk)
    cadre = Cadre.objects.create(compound=compound, name=name[:50], unit=unit[:100],
                                 full_time=full_time, started_on=started_on, created_by=by)
    registry.do_change_governance(compound, on=started_on, by=by, note=_("下派干部"),
                                  has_party_branch=True, **_cadre_facts(compound, started_on))
    log(by, "governance.cadre_add", cadre, region_code=compound.region_id)
    return cadre


@transaction.atomic
def do_end_cadre(cadre: Cadre, *, on: dt.date, by) -> Cadre:
    """The cadre leaves the compound on `on` (the last day in post is the day before)."""
    cadre = Cadre.objects.select_for_update().select_related("compound").get(pk=cadre.pk)
    if cadre.ended_on is not None:
        raise ValidationError(_("该干部已结束下派"))
    _not_future(on, _("结束日期不能晚于今天"))
    if on <= cadre.started_on:
        raise ValidationError(_("结束日期须晚于下派日期"))
    cadre.ended_on = on
    cadre.save(update_fields=["ended_on"])
    registry.do_change_governance(cadre.compound, on=on, by=by, note=_("下派干部结束"),
                                  **_cadre_facts(cadre.compound, on))
    log(by, "governance.cadre_end", cadre, region_code=cadre.compound.region_id, detail=str(on))
    return cadre


# --- what places may not say against the registry and the committees -------------------------

# places.Compound's fields that mirror the governance registry and the approved committee
GOVERNED = ("property_status", "property_company", "committee", "head_is_party_secretary",
            "committee_head")


def _key(value) -> object:
    """A foreign key's value as its key (instance, key or None alike)."""
    return getattr(value, "pk", value)


def compound_edit_problems(compound: Compound | None, values: dict) -> dict[str, list[str]]:
    """The check places asks before a compound's form, API or import changes it
    (places.hooks, registered in apps.py): a governed field (GOVERNED) may not change to a value
    the governance records contradict — the registry's state today where the registry holds the
    compound's history, the approved members in office today where there are some. Unchanged
    values and new compounds pass. Answers {field: [message]}, each pointing to the page where
    such a change is recorded."""
    if compound is None or compound.pk is None:
        return {}
    stored = Compound.objects.filter(pk=compound.pk).first()
    if stored is None:
        return {}
    changed = {f: _key(values[f]) for f in GOVERNED
               if f in values and _key(values[f]) != _key(getattr(stored, f))}
    if not changed:
        return {}
    today = timezone.localdate()
    problems: dict[str, list[str]] = {}
    url = reverse("governance:registry-compound", args=[stored.pk])
    if registry.has_history(stored):
        now = registry.management_on(stored, today)
        held = registry.current_values(stored, today)
        company = now["property_company"]
        form_label = GovernanceRecord.Form(now["form"]).label
        state = f"{form_label}（{company.name}）" if company else str(form_label)
        later = ""
        if now["scheduled"] and now["scheduled"]["property_company"]:
            later = _("；%(c)s接管将于 %(d)s 开始") % {
                "c": now["scheduled"]["property_company"].name, "d": now["scheduled"]["on"]}
        registry_says = {
            "property_status": registry.STATUS[held["form"]],
            "property_company": _key(held["property_company"]),
            "committee": held["committee"],
            "head_is_party_secretary": held["head_is_party_secretary"]}
        for f in ("property_status", "property_company"):
            if f in changed and changed[f] != registry_says[f]:
                problems.setdefault(f, []).append(
                    _("小区治理登记记录该小区现为“%(s)s”%(later)s，不能在此修改：管理形式和物业服务"
                      "企业的变更请在小区治理登记页面（%(url)s）按日期登记")
                    % {"s": state, "later": later, "url": url})
        for f in ("committee", "head_is_party_secretary"):
            if f in changed and changed[f] != registry_says[f]:
                problems.setdefault(f, []).append(
                    _("与小区治理登记不符（现为：%(v)s），不能在此修改：请在小区治理登记页面"
                      "（%(url)s）按日期登记")
                    % {"v": _shown(f, registry_says[f]), "url": url})
    members = list(members_on(stored, today).select_related("election"))
    if members:
        election = max((m.election for m in members), key=lambda e: (e.approved_on, e.pk))
        chair = next((m for m in members if m.role == CommitteeMember.Role.CHAIR), None)
        members_say = {"committee": election.committee,
                       "head_is_party_secretary": bool(chair and chair.is_party_secretary),
                       "committee_head": chair.name if chair else ""}
        page = reverse("governance:registry-committee", args=[stored.pk])
        for f, v in members_say.items():
            if f in changed and changed[f] != v and not problems.get(f):
                problems.setdefault(f, []).append(
                    _("与经街道批准、在任的%(c)s成员不符（%(d)s 选举产生，现为：%(v)s），不能在此"
                      "修改：成员的变化请在业委会/物管会页面（%(url)s）登记（选举、成员离任）")
                    % {"c": election.get_committee_display(), "d": election.held_on,
                       "v": _shown(f, v), "url": page})
    return problems


def _shown(field: str, value) -> str:
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if field == "committee":
        return str(Compound.Committee(value).label)
    return str(value) or _("（空）")
