"""The only writers of the assistance registry (do_*): registering a household with its head,
and the change requests through which every later edit goes. Each is atomic, checks the right
itself and is audited (accounts.masking.log).

Change requests follow this table (the model's docstring draws it); any other step is refused::

    draft ──submit──▶ submitted ──approve──▶ approved ──apply──▶ applied
      └──cancel──▶ cancelled     └──reject──▶ rejected
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from minsheng.accounts import masking
from minsheng.accounts.models import AuditLog
from minsheng.assistance import access
from minsheng.assistance import eligibility as el
from minsheng.assistance.models import (
    Assessment,
    ChangeEvent,
    ChangeRequest,
    Grievance,
    Household,
    IncomeItem,
    Person,
    SpendingItem,
    Supporter,
)
from minsheng.assistance.standards import exclusions_in_force
from minsheng.cases import workflow
from minsheng.cases.models import Case, CaseType
from minsheng.lib.validators import check_no_control_chars

GRIEVANCE_CASE_TYPE = "assistance_grievance"  # added by migration 0007

__all__ = ["EDITABLE", "TRANSITIONS", "do_apply_change", "do_approve_change",
           "do_cancel_change", "do_draft_change", "do_file_grievance", "do_record_assessment", "do_register_household",
           "do_reject_change", "do_submit_change"]

S = ChangeRequest.State
K = ChangeRequest.Kind
TRANSITIONS: dict[str, dict[str, str]] = {
    "submit": {S.DRAFT: S.SUBMITTED},
    "cancel": {S.DRAFT: S.CANCELLED, S.SUBMITTED: S.CANCELLED},
    "approve": {S.SUBMITTED: S.APPROVED},
    "reject": {S.SUBMITTED: S.REJECTED},
    "apply": {S.APPROVED: S.APPLIED},
}
MEMBER_FIELDS = ("name", "relationship", "id_number", "sex", "birth_date", "phone",
                 "labour_capacity", "disability_grade")
# the fields a change request of each kind may set
EDITABLE: dict[str, tuple[str, ...]] = {
    K.HOUSEHOLD: ("address", "area", "was_registered_poor"),
    K.ADD_MEMBER: MEMBER_FIELDS,
    K.EDIT_MEMBER: MEMBER_FIELDS,
    K.ADD_SUPPORTER: ("name", "relationship", "id_number", "able_to_support"),
}


def _clean_texts(values: dict) -> None:
    for k, v in values.items():
        try:
            check_no_control_chars(v)
        except ValidationError as e:
            raise ValidationError({k: e.messages}) from None


@transaction.atomic
def do_register_household(user, *, number: str, region, area: str, address: str = "",
                          was_registered_poor: bool = False, head: dict,
                          request=None) -> Household:
    """A new household with its head (户主); later edits go through change requests."""
    if not access.can_register(user, region.code):
        raise PermissionDenied("您无权在该社区登记家庭户。")
    _clean_texts({"number": number, "address": address, **{k: v for k, v in head.items()
                                                           if isinstance(v, str)}})
    household = Household(number=number, region=region, area=area, address=address,
                          was_registered_poor=was_registered_poor)
    household.full_clean()
    household.save()
    person = Person(household=household, region=region, relationship=Person.Relationship.HEAD,
                    **head)
    person.full_clean()
    person.save()
    masking.log(user, AuditLog.Action.CREATE, household, detail=f"登记家庭户：{number}",
                request=request)
    return household


def _values(change_kind: str, data: dict) -> dict:
    allowed = EDITABLE[change_kind]
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError(f"不能通过变更申请修改：{'、'.join(sorted(unknown))}")
    return dict(data)


def _build(change: ChangeRequest):
    """The object the change would save, validated (full_clean), not saved."""
    data = dict(change.data)
    if "birth_date" in data and isinstance(data["birth_date"], str):
        data["birth_date"] = dt.date.fromisoformat(data["birth_date"])
    h = change.household
    if change.kind == K.HOUSEHOLD:
        obj = Household.objects.get(pk=h.pk)
        for k, v in data.items():
            setattr(obj, k, v)
    elif change.kind == K.ADD_MEMBER:
        obj = Person(household=h, region_id=h.region_id, **data)
    elif change.kind == K.EDIT_MEMBER:
        obj = Person.objects.get(pk=change.person_id, household=h)
        for k, v in data.items():
            setattr(obj, k, v)
    else:  # ADD_SUPPORTER
        obj = Supporter(person_id=change.person_id, **data)
    obj.full_clean()
    return obj


@transaction.atomic
def do_draft_change(user, household: Household, *, kind: str, data: dict, reason: str,
                    person: Person | None = None, request=None) -> ChangeRequest:
    """A change request as a draft, checked now as it would be applied (so errors show early)."""
    if not access.can_register(user, household.region_id):
        raise PermissionDenied("您无权为该家庭户申请变更。")
    if kind in (K.EDIT_MEMBER, K.ADD_SUPPORTER) and (
            person is None or person.household_id != household.pk):
        raise ValidationError("请选择本户的成员。")
    _clean_texts({"reason": reason, **{k: v for k, v in data.items() if isinstance(v, str)}})
    if not reason.strip():
        raise ValidationError({"reason": ["请填写变更原因。"]})
    change = ChangeRequest(household=household, person=person, kind=kind,
                           data=_values(kind, data), reason=reason.strip()[:300], created_by=user)
    _build(change)
    change.save()
    ChangeEvent.objects.create(change=change, state=S.DRAFT, actor=user, note="")
    masking.log(user, AuditLog.Action.CREATE, household, object_type="assistance.changerequest",
                object_id=str(change.pk), detail=f"变更申请（草稿）：{change.get_kind_display()}",
                request=request)
    return change


def _move(user, change: ChangeRequest, step: str, note: str = "") -> ChangeRequest:
    # read the row again under a lock: two approvers clicking at once do not both succeed
    current = ChangeRequest.objects.select_for_update().get(pk=change.pk)
    target = TRANSITIONS[step].get(current.state)
    if target is None:
        raise ValidationError(f"当前状态为“{current.get_state_display()}”，不能{STEP_WORDS[step]}。")
    _clean_texts({"note": note})
    change.state = target
    change.save(update_fields=["state"])
    ChangeEvent.objects.create(change=change, state=target, actor=user, note=note[:300])
    masking.log(user, AuditLog.Action.UPDATE, change.household,
                object_type="assistance.changerequest", object_id=str(change.pk),
                detail=f"变更申请{STEP_WORDS[step]}：{change.get_kind_display()}")
    return change


STEP_WORDS = {"submit": "提交", "cancel": "撤销", "approve": "批准", "reject": "退回",
              "apply": "生效"}


@transaction.atomic
def do_submit_change(user, change: ChangeRequest) -> ChangeRequest:
    if change.created_by_id != user.pk and not access.can_register(user, change.household.region_id):
        raise PermissionDenied("您无权提交该变更申请。")
    return _move(user, change, "submit")


@transaction.atomic
def do_cancel_change(user, change: ChangeRequest, note: str = "") -> ChangeRequest:
    if change.created_by_id != user.pk:
        raise PermissionDenied("只有申请人可以撤销。")
    return _move(user, change, "cancel", note)


@transaction.atomic
def do_approve_change(user, change: ChangeRequest, note: str = "") -> ChangeRequest:
    if not access.can_approve(user, change):
        raise PermissionDenied("您无权审批该变更申请（申请人不能审批自己的申请）。")
    return _move(user, change, "approve", note)


@transaction.atomic
def do_reject_change(user, change: ChangeRequest, note: str) -> ChangeRequest:
    if not access.can_approve(user, change):
        raise PermissionDenied("您无权审批该变更申请（申请人不能审批自己的申请）。")
    if not note.strip():
        raise ValidationError("退回时请写明原因。")
    return _move(user, change, "reject", note)


@transaction.atomic
def do_apply_change(user, change: ChangeRequest) -> ChangeRequest:
    """Write the approved change into the registry (checked again: the registry may have moved
    since the request was drafted)."""
    if not access.can_approve(user, change):
        raise PermissionDenied("您无权使该变更生效。")
    if change.state != S.APPROVED:
        raise ValidationError(f"当前状态为“{change.get_state_display()}”，不能生效。")
    obj = _build(change)
    obj.save()
    return _move(user, change, "apply")


MAX_AMOUNT = Decimal("100000000")  # 1亿元 over a window: anything larger is a typing error


@transaction.atomic
def do_record_assessment(user, household: Household, *, assessed_on: dt.date,
                         incomes: list[tuple[Person | None, str, Decimal]],
                         spending: list[tuple[str, Decimal]] = (), months: int = 12,
                         savings: Decimal = Decimal(0), vehicles: int = 0, homes: int = 0,
                         business_stake: Decimal = Decimal(0), assets_within_rules: bool = True,
                         emergency: str = "", note: str = "", request=None) -> Assessment:
    """One economic assessment over the `months` before `assessed_on`: income by kind (for a
    member or the whole household), the region's exclusions then in force applied, rigid
    spending and assets; the counted per-capita monthly income is computed and kept."""
    if not access.can_register(user, household.region_id):
        raise PermissionDenied("您无权为该家庭户记录经济状况核对。")
    if assessed_on > timezone.localdate() or assessed_on.year < 2000:
        raise ValidationError({"assessed_on": ["核对日期应在 2000 年至今天之间。"]})
    if not 1 <= months <= 24:
        raise ValidationError({"months": ["收入计算期应为 1～24 个月。"]})
    _clean_texts({"emergency": emergency, "note": note})
    for _p, _k, amount in incomes:
        if not Decimal(0) <= amount <= MAX_AMOUNT:
            raise ValidationError("收入金额应在 0 至 1 亿元之间。")
    for _k, amount in spending:
        if not Decimal(0) <= amount <= MAX_AMOUNT:
            raise ValidationError("支出金额应在 0 至 1 亿元之间。")
    for p, _k, _a in incomes:
        if p is not None and p.household_id != household.pk:
            raise ValidationError("收入所属成员不在本户。")
    members = household.members.count()
    if members == 0:
        raise ValidationError("家庭户没有成员，无法核对。")
    excluded = exclusions_in_force(household.region_id, assessed_on)
    items = [(k, a) for _p, k, a in incomes]
    total = sum((a for _k, a in items), Decimal(0))
    monthly = el.counted_monthly_income(items, excluded, months)
    a = Assessment.objects.create(
        household=household, assessed_on=assessed_on,
        window_start=el.window_start(assessed_on, months),
        window_end=assessed_on, months=months, members_counted=members,
        income_total=total, income_counted=monthly * months,
        rigid_spending=sum((x for _k, x in spending), Decimal(0)),
        per_capita_monthly=(monthly / members).quantize(Decimal("0.01"), ROUND_HALF_UP),
        savings=savings, vehicles=vehicles, homes=homes, business_stake=business_stake,
        assets_within_rules=assets_within_rules, emergency=emergency.strip()[:100],
        note=note.strip()[:300], created_by=user)
    IncomeItem.objects.bulk_create([IncomeItem(assessment=a, person=p, kind=k, amount=amount,
                                               excluded=k in excluded)
                                    for p, k, amount in incomes])
    SpendingItem.objects.bulk_create([SpendingItem(assessment=a, kind=k, amount=amount)
                                      for k, amount in spending])
    masking.log(user, AuditLog.Action.CREATE, household, object_type="assistance.assessment",
                object_id=str(a.pk), detail=f"经济状况核对：人均月收入 {a.per_capita_monthly} 元",
                request=request)
    return a


@transaction.atomic
def do_file_grievance(user, household: Household, *, description: str, about: str,
                      enrolment=None, payment=None, request=None) -> Grievance:
    """A grievance about a decision or a payment, filed by a worker of the household's area as a
    case (cases.workflow.do_file: routed, clocked, with its history) tied to the household."""
    if not access.can_register(user, household.region_id):
        raise PermissionDenied("您无权为该家庭户登记申诉。")
    if about not in Grievance.About.values:
        raise ValidationError({"about": ["请选择申诉事由。"]})
    if enrolment is not None and enrolment.household_id != household.pk:
        raise ValidationError("救助申请不属于该家庭户。")
    try:
        check_no_control_chars(description, multiline=True)
    except ValidationError as e:
        raise ValidationError({"description": e.messages}) from None
    case_type = CaseType.objects.filter(pk=GRIEVANCE_CASE_TYPE, active=True).first()
    if case_type is None:
        raise ValidationError("未配置“社会救助申诉”案件类别。")
    case = workflow.do_file(case_type=case_type, description=description.strip()[:2000],
                            channel=Case.Channel.STAFF, region=household.region,
                            reporter=user)
    g = Grievance.objects.create(household=household, case=case, about=about,
                                 enrolment=enrolment, payment=payment)
    masking.log(user, AuditLog.Action.CREATE, household, object_type="assistance.grievance",
                object_id=str(g.pk), detail=f"登记救助申诉，案件 {case.pk}", request=request)
    return g
