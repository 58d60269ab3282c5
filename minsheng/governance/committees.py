"""Owners' and management committees, their elections and the cadres sent down to compound party
branches: every change here, atomic and audited (accounts.masking.log).

An election is recorded with the members it chose (draft), submitted, and approved by the street
office of the compound's street (the 法定程序):

    draft ──submit──▶ submitted ──approve (street)──▶ approved

On approval the members take office from the approval date and the members of the previous
committee leave on that date, so a committee's composition on any day is the members whose term
covers it (started_on ≤ day < ended_on). A cadre is in post from started_on until ended_on.

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
from django.utils import timezone
from django.utils.translation import gettext as _

from minsheng.accounts.masking import log
from minsheng.governance import registry
from minsheng.governance.models import Cadre, CommitteeMember, Election
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


@transaction.atomic
def do_record_election(compound: Compound, *, committee: str, held_on: dt.date,
                       turnout: Decimal | float, members: list[dict], by, submit: bool = False,
                       note: str = "") -> Election:
    """Record an election with the members it chose (name, role, is_party_secretary, phone):
    exactly one 主任; a draft, or submitted to the street at once."""
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
    election = Election.objects.create(
        compound=compound, committee=committee, held_on=held_on, turnout=turnout,
        state=S.SUBMITTED if submit else S.DRAFT,
        submitted_at=timezone.now() if submit else None, created_by=by, note=note[:200])
    CommitteeMember.objects.bulk_create(
        CommitteeMember(compound=compound, election=election, name=m["name"].strip()[:50],
                        role=m["role"], is_party_secretary=bool(m.get("is_party_secretary")),
                        phone=(m.get("phone") or "").strip()[:30]) for m in members)
    log(by, "governance.election", election, region_code=compound.region_id,
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
    election.state, election.approved_on, election.approver = S.APPROVED, on, by
    election.save(update_fields=["state", "approved_on", "approver"])
    log(by, "governance.election_approve", election, region_code=compound.region_id,
        detail=str(on))
    return election


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
