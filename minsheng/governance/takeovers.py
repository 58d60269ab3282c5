"""Takeovers of compounds without management: each compound's standards as items with deadlines.

    open ──company reports done──▶ done ──inspection passes──▶ passed
                                    │
                                    └──inspection fails──▶ failed ──company reports done──▶ done

Overdue: not passed and past its deadline (local date). On time: passed, and reported done by the
deadline. A takeover is complete when every item passed; on time when each did on time.

The district's managers set a takeover up (do_create_takeover: the company, compounds without
management, the checklist of standards with deadlines) and change its items while it is open (not
complete): add items, change or remove an item the company has not reported done yet. The same
checks (check_item) hold for the page and the Excel import (exchange.TakeoverItemImport).

A compound joining a takeover is, in the governance registry, managed by the takeover's company
from the takeover's start (take_over, through registry.do_change_governance: history kept); a
compound whose last item is removed before the start day is over goes back to how it was
governed before (release). After that the company has taken it over: a later change of its
management is the registry's (registry_views).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from minsheng.accounts.masking import log
from minsheng.governance import registry
from minsheng.governance.models import GovernanceRecord, Takeover, TakeoverItem
from minsheng.places.models import Compound, Organisation, code_prefix

S = TakeoverItem.State
STD = TakeoverItem.Standard
# the checklist offered for a new takeover: standard, quality/hardware requirement, days after start
DEFAULTS = [
    (STD.CLEANING, "楼道、绿地、屋面垃圾清理完毕，建立日常保洁制度", 30),
    (STD.REPAIR, "单元门、路灯、排水设施修复完好", 90),
    (STD.PARKING, "划定停车位，设置道闸或专人管理", 120),
    (STD.GREENING, "补植绿化，主要道路照明全覆盖", 150),
]
REQUIREMENT_MAX = TakeoverItem._meta.get_field("requirement").max_length


def overdue_q(today: dt.date | None = None) -> Q:
    return ~Q(state=S.PASSED) & Q(deadline__lt=today or timezone.localdate())


def figures(items: QuerySet[TakeoverItem], today: dt.date | None = None) -> dict[str, Any]:
    return items.order_by().aggregate(
        n=Count("id"), passed=Count("id", filter=Q(state=S.PASSED)),
        on_time=Count("id", filter=Q(state=S.PASSED, done_on__lte=F("deadline"))),
        overdue=Count("id", filter=overdue_q(today)))


@transaction.atomic
def do_report_done(item: TakeoverItem, *, by, day: dt.date | None = None) -> TakeoverItem:
    item = TakeoverItem.objects.select_for_update().get(pk=item.pk)
    if item.state not in (S.OPEN, S.FAILED):
        raise ValidationError(_("该项目当前不能报完成"))
    item.state, item.done_on = S.DONE, day or timezone.localdate()
    item.save(update_fields=["state", "done_on"])
    log(by, "governance.takeover_done", item, region_code=item.compound.region_id)
    return item


@transaction.atomic
def do_check(item: TakeoverItem, *, passed: bool, note: str = "", by) -> TakeoverItem:
    """An inspection against the standard; a failure needs a note and sends it back."""
    item = TakeoverItem.objects.select_for_update().get(pk=item.pk)
    if item.state != S.DONE:
        raise ValidationError(_("企业报完成后才能检查"))
    note = (note or "").strip()
    if not passed and not note:
        raise ValidationError(_("检查未达标须说明原因"))
    item.state = S.PASSED if passed else S.FAILED
    item.checked_on, item.checked_by, item.check_note = timezone.localdate(), by, note[:300]
    item.save(update_fields=["state", "checked_on", "checked_by", "check_note"])
    log(by, "governance.takeover_check", item, region_code=item.compound.region_id,
        detail="passed" if passed else f"failed: {item.check_note}")
    return item


def takeover_rows(items: QuerySet[TakeoverItem], today: dt.date | None = None) -> list[dict]:
    """Per takeover ("pk"), the figures of `items` (those the user sees: an inspector's area,
    so a list row agrees with the takeover's page and the total above it)."""
    today = today or timezone.localdate()
    rows = (items.order_by().values("takeover_id").annotate(
        n=Count("id"), passed=Count("id", filter=Q(state=S.PASSED)),
        overdue=Count("id", filter=overdue_q(today)),
        compounds=Count("compound", distinct=True)))
    return [{"pk": r["takeover_id"], **r} for r in rows]


# --- setting a takeover up (the district's managers) -----------------------------------------

def is_open(to: Takeover) -> bool:
    """Open until every item passed (a takeover without items is still being set up)."""
    return not to.items.exists() or to.items.exclude(state=S.PASSED).exists()


def eligible_compounds(region_code: str, takeover: Takeover | None = None) -> QuerySet[Compound]:
    """Compounds a takeover of `region_code` may include: without management (places.Compound's
    property_status, kept by registry.do_change_governance) and in no other takeover; a
    takeover's own compounds stay eligible for it."""
    if takeover is not None and takeover.pk is None:  # one being created
        takeover = None
    others = TakeoverItem.objects.all()
    if takeover is not None:
        others = others.exclude(takeover=takeover)
    q = Q(property_status=Compound.PropertyStatus.NONE) & ~Q(
        pk__in=others.values("compound_id"))
    if takeover is not None:
        q |= Q(pk__in=takeover.items.values("compound_id"))
    return Compound.objects.filter(q, region__code__startswith=code_prefix(region_code))


def check_item(to: Takeover, *, standard: str, requirement: str, deadline: dt.date | None
               ) -> list[tuple[str, str]]:
    """What is wrong with one checklist item of `to`, as (field, message) pairs (none: fine)."""
    problems = []
    if standard not in STD.values:
        problems.append(("standard", _("标准项目无效")))
    requirement = (requirement or "").strip()
    if not requirement:
        problems.append(("requirement", _("请填写质量和硬件标准")))
    elif len(requirement) > REQUIREMENT_MAX:
        problems.append(("requirement", _("质量和硬件标准不能超过 %(n)d 个字")
                         % {"n": REQUIREMENT_MAX}))
    if deadline is None:
        problems.append(("deadline", _("请填写完成时限")))
    elif deadline < to.started_on:
        problems.append(("deadline", _("完成时限（%(d)s）不能早于接管日期（%(s)s）")
                         % {"d": deadline, "s": to.started_on}))
    return problems


def _check_open(to: Takeover) -> None:
    if not is_open(to):
        raise ValidationError(_("该接管的标准项目已全部检查达标，不能再修改"))


def _check_compounds(to: Takeover, compounds: list[Compound]) -> None:
    if not compounds:
        raise ValidationError(_("请选择接管的小区"))
    allowed = set(eligible_compounds(to.region_id, to).filter(
        pk__in=[c.pk for c in compounds]).values_list("pk", flat=True))
    wrong = [c.name for c in compounds if c.pk not in allowed]
    if wrong:
        raise ValidationError(_("这些小区不在本区、已有物业管理或已在其他接管中：%(c)s")
                              % {"c": "、".join(wrong)})


def _items(to: Takeover, compounds: list[Compound], checklist: list[dict]) -> list[TakeoverItem]:
    if not checklist:
        raise ValidationError(_("请至少填写一个标准项目"))
    problems = []
    standards = [c["standard"] for c in checklist]
    if len(set(standards)) != len(standards):
        problems.append(_("同一标准项目只能填写一次"))
    for c in checklist:
        problems += [f"{STD(c['standard']).label if c['standard'] in STD.values else ''}："
                     f"{p}" for _f, p in check_item(to, **c)]
    if problems:
        raise ValidationError(problems)
    have = set(to.items.values_list("compound_id", "standard")) if to.pk else set()
    dup = sorted({f"{cp.name} {STD(c['standard']).label}" for cp in compounds for c in checklist
                  if (cp.pk, c["standard"]) in have})
    if dup:
        raise ValidationError(_("已有这些标准项目：%(i)s") % {"i": "、".join(dup)})
    return [TakeoverItem(takeover=to, compound=cp, standard=c["standard"],
                         requirement=c["requirement"].strip(), deadline=c["deadline"])
            for cp in compounds for c in checklist]


def take_over(to: Takeover, compounds: list[Compound], *, by) -> None:
    """Each compound managed by the takeover's company from its start (the registry's history:
    a compound whose registry changed after the start is refused, naming it)."""
    for c in compounds:
        try:
            registry.do_change_governance(
                c, on=to.started_on, by=by, scheduled=True,
                note=_("无物业小区接管：%(n)s") % {"n": to.name},
                form=GovernanceRecord.Form.COMPANY, property_company=to.company)
        except ValidationError as exc:
            raise ValidationError(_("%(c)s：%(m)s") % {
                "c": c.name, "m": " ".join(exc.messages)}) from None
        c.refresh_from_db()


def release(to: Takeover, compound: Compound, *, by) -> bool:
    """Undo take_over for a compound no longer in `to`, if the takeover's start day is not over
    and its registry change is still the compound's last: back to how it was governed the day
    before. Otherwise (started, or changed since) the registry stays as it is. True: undone."""
    if to.started_on < timezone.localdate():
        return False
    row = GovernanceRecord.objects.filter(compound=compound, valid_to__isnull=True).first()
    if (row is None or row.valid_from != to.started_on or row.form != GovernanceRecord.Form.COMPANY
            or row.property_company_id != to.company_id):
        return False
    before = registry.record_on(compound, to.started_on - dt.timedelta(days=1))
    if before is None:
        return False
    registry.do_change_governance(
        compound, on=to.started_on, by=by, scheduled=True, note=_("移出接管"),
        form=before.form, property_company=before.property_company)
    return True


@transaction.atomic
def do_create_takeover(*, name: str, company: Organisation, region_code: str,
                       compounds: list[Compound], started_on: dt.date, checklist: list[dict],
                       by, project=None) -> Takeover:
    """A takeover of `compounds` by `company` in the district `region_code`, each compound with
    the `checklist` (standard, requirement, deadline). All or nothing."""
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("请填写名称"))
    prefix = code_prefix(region_code)
    if (company.kind != Organisation.Kind.PROPERTY_COMPANY
            or not company.region_id.startswith(prefix)):
        raise ValidationError(_("接管企业须是本区的物业服务企业"))
    if project is not None and not project.plan.region_id.startswith(prefix):
        raise ValidationError(_("民生项目须是本区的项目"))
    to = Takeover(name=name[:100], company=company, region_id=region_code,
                  started_on=started_on, project=project)
    compounds = list(Compound.objects.select_for_update().filter(
        pk__in=[c.pk for c in compounds]).order_by("pk"))
    _check_compounds(to, compounds)
    items = _items(to, compounds, checklist)
    to.save()
    TakeoverItem.objects.bulk_create(items)
    take_over(to, compounds, by=by)
    log(by, "governance.takeover_new", to, region_code=region_code,
        detail=f"{to.name}: {len(compounds)} × {len(checklist)}")
    return to


@transaction.atomic
def do_add_items(to: Takeover, *, compounds: list[Compound], checklist: list[dict],
                 by) -> list[TakeoverItem]:
    """More items for an open takeover: its own compounds, or more compounds without
    management."""
    to = Takeover.objects.select_for_update().get(pk=to.pk)
    _check_open(to)
    compounds = list(Compound.objects.select_for_update().filter(
        pk__in=[c.pk for c in compounds]).order_by("pk"))  # as do_create_takeover: one takeover
    _check_compounds(to, compounds)
    joining = [c for c in compounds if not to.items.filter(compound=c).exists()]
    items = TakeoverItem.objects.bulk_create(_items(to, compounds, checklist))
    take_over(to, joining, by=by)
    log(by, "governance.takeover_items", to, region_code=to.region_id,
        detail=f"+{len(items)}")
    return items


def _editable(item: TakeoverItem) -> TakeoverItem:
    item = TakeoverItem.objects.select_for_update().select_related("takeover").get(pk=item.pk)
    _check_open(item.takeover)
    if item.state != S.OPEN:
        raise ValidationError(_("企业已报完成或已检查的项目不能修改"))
    return item


@transaction.atomic
def do_change_item(item: TakeoverItem, *, requirement: str, deadline: dt.date,
                   by) -> TakeoverItem:
    item = _editable(item)
    problems = check_item(item.takeover, standard=item.standard, requirement=requirement,
                          deadline=deadline)
    if problems:
        raise ValidationError([p for _f, p in problems])
    item.requirement, item.deadline = requirement.strip(), deadline
    item.save(update_fields=["requirement", "deadline"])
    log(by, "governance.takeover_item", item, region_code=item.takeover.region_id,
        detail=f"{item.deadline}: {item.requirement}")
    return item


@transaction.atomic
def do_remove_item(item: TakeoverItem, *, by) -> bool:
    """Remove an item; the compound's last one takes it out of the takeover (release). True:
    the compound's registry went back to how it was governed before."""
    item = _editable(item)
    log(by, "governance.takeover_item_removed", item, region_code=item.takeover.region_id,
        detail=str(item))
    item.delete()
    to, compound = item.takeover, item.compound
    if to.items.filter(compound=compound).exists():
        return False
    return release(to, compound, by=by)
