"""Manual data entry: a department fills in a data set for a region and period, submits it, and
the district approves it, which locks it. Editing approved data needs an un-approval first (by an
approver, with a reason); every step is kept in the return's history.

`save` validates everything before writing anything: each value against its element (a number,
whole where it must be, within its bounds), then the data set's rules across values (优良天数 ≤
监测天数 ≤ DAYS). Errors come back per field in Chinese; nothing is written when there is one.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from minsheng.indicators.access import can_approve, can_enter
from minsheng.indicators.models import Completion, DataElement, DataSet, DataValue
from minsheng.indicators.periods import Period, PeriodError, parse
from minsheng.places.models import Region

S = Completion.State
LARGEST = Decimal(10) ** 16  # DataValue.value holds 20 digits, 4 of them decimals


class EntryError(Exception):
    """`errors` maps an element code (or "" for the whole form) to messages."""

    def __init__(self, errors: dict[str, list[str]] | str):
        self.errors = {"": [errors]} if isinstance(errors, str) else errors
        super().__init__("；".join(m for ms in self.errors.values() for m in ms))


def check_period(dataset: DataSet, period: str | Period) -> Period:
    try:
        p = parse(period) if isinstance(period, str) else period
    except PeriodError as exc:
        raise EntryError(str(exc)) from exc
    if p.kind != dataset.period_kind:
        raise EntryError(f"“{dataset.name}”按{dataset.get_period_kind_display()}填报，"
                         f"期间“{p.id}”不符")
    if p.start > timezone.localdate():
        raise EntryError(f"期间 {p.label} 尚未开始，不能填报")
    return p


def check_region(dataset: DataSet, region: Region) -> None:
    if region.level != dataset.level:
        raise EntryError(f"“{dataset.name}”在{dataset.get_level_display()}一级填报，"
                         f"{region.name}不是{dataset.get_level_display()}")


def completion(dataset: DataSet, region: Region, period: Period, *, lock: bool = False
               ) -> Completion:
    """The return (unsaved when none yet). `lock` (inside a transaction) holds its row until the
    transaction ends, so a save and a submit or approval of the same return cannot interleave."""
    qs = Completion.objects.filter(dataset=dataset, region=region, period=period.id)
    c = (qs.select_for_update() if lock else qs).first()
    return c or Completion(dataset=dataset, region=region, period=period.id)


def values_of(dataset: DataSet, region: Region, period: Period) -> dict[str, Decimal]:
    return dict(DataValue.objects.filter(element__dataset=dataset, region=region,
                                         period=period.id).values_list("element_id", "value"))


def parse_values(dataset: DataSet, raw: dict[str, str], days: int
                 ) -> dict[str, Decimal | None]:
    """Check every value and the data set's rules; raise EntryError listing all problems."""
    errors: dict[str, list[str]] = {}
    values: dict[str, Decimal | None] = {}
    for el in dataset.elements.order_by("order", "code"):
        given = raw.get(el.code)
        text = ("" if given is None else str(given)).strip().replace(",", "").replace("，", "")
        if text == "":
            values[el.code] = None
            continue
        try:
            v = Decimal(text)
            if not v.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            errors.setdefault(el.code, []).append(
                f"“{text}”不是数字，请用阿拉伯数字填写（如 1234 或 12.5）")
            continue
        if el.value_type == DataElement.ValueType.INTEGER and v != v.to_integral_value():
            errors.setdefault(el.code, []).append(f"{el.name}应为整数，填写的是 {text}")
            continue
        if el.min_value is not None and v < el.min_value:
            errors.setdefault(el.code, []).append(
                f"{el.name}不能小于 {el.min_value.normalize():f}")
        if el.max_value is not None and v > el.max_value:
            errors.setdefault(el.code, []).append(
                f"{el.name}不能大于 {el.max_value.normalize():f}")
        if abs(v) >= LARGEST:
            errors.setdefault(el.code, []).append(f"{el.name}数值过大")
            continue
        if v.normalize().as_tuple().exponent < -4:
            errors.setdefault(el.code, []).append(f"{el.name}最多保留 4 位小数")
        values[el.code] = v
    if not errors:
        for rule in dataset.rules.all():
            if rule.holds(values, days) is False:
                errors.setdefault("", []).append(rule.message)
    if errors:
        raise EntryError(errors)
    return values


def _log(c: Completion, user, action: str, note: str = "") -> None:
    c.history = [*c.history, {"at": timezone.now().isoformat(timespec="seconds"),
                              "user": user.get_username(), "action": action, "note": note}]


@transaction.atomic
def save(user, dataset: DataSet, region: Region, period: str | Period,
         raw: dict[str, str]) -> Completion:
    p = check_period(dataset, period)
    check_region(dataset, region)
    if not can_enter(user, region):
        raise EntryError(f"您没有在{region.name}填报数据的权限")
    c = completion(dataset, region, p, lock=True)
    if c.pk and c.state != S.DRAFT:
        raise EntryError(f"本期数据{c.get_state_display()}，不能修改；"
                         "如需修改，请审核人先退回或取消审核")
    values = parse_values(dataset, raw, p.days)
    for code, v in values.items():
        if v is None:
            DataValue.objects.filter(element_id=code, region=region, period=p.id).delete()
        else:
            DataValue.objects.update_or_create(
                element_id=code, region=region, period=p.id,
                defaults={"value": v, "approved": False, "updated_by": user})
    _log(c, user, "save")
    c.save()
    return c


@transaction.atomic
def submit(user, dataset: DataSet, region: Region, period: str | Period) -> Completion:
    p = check_period(dataset, period)
    check_region(dataset, region)
    if not can_enter(user, region):
        raise EntryError(f"您没有在{region.name}填报数据的权限")
    c = completion(dataset, region, p, lock=True)
    if c.state != S.DRAFT or not c.pk:
        raise EntryError("只有已保存、尚未上报的数据才能上报")
    values = values_of(dataset, region, p)
    missing = [el.name for el in dataset.elements.all() if el.code not in values]
    if missing:
        raise EntryError("以下数据项尚未填写，不能上报：" + "、".join(missing))
    c.state, c.submitted_by, c.submitted_at = S.SUBMITTED, user, timezone.now()
    _log(c, user, "submit")
    c.save()
    return c


@transaction.atomic
def approve(user, dataset: DataSet, region: Region, period: str | Period) -> Completion:
    p = check_period(dataset, period)
    check_region(dataset, region)
    if not can_approve(user, region):
        raise EntryError("您没有审核这张填报表的权限")
    c = completion(dataset, region, p, lock=True)
    if c.state != S.SUBMITTED:
        raise EntryError("只有已上报的数据才能审核")
    if c.submitted_by_id == user.pk:
        raise EntryError("不能审核自己上报的数据")
    c.state, c.approved_by, c.approved_at = S.APPROVED, user, timezone.now()
    _log(c, user, "approve")
    c.save()
    DataValue.objects.filter(element__dataset=dataset, region=region,
                             period=p.id).update(approved=True)
    return c


@transaction.atomic
def send_back(user, dataset: DataSet, region: Region, period: str | Period,
              reason: str) -> Completion:
    """Return a submitted return to its department, or un-approve an approved one (unlocks it;
    its values stop counting until approved again)."""
    p = check_period(dataset, period)
    check_region(dataset, region)
    if not can_approve(user, region):
        raise EntryError("您没有审核这张填报表的权限")
    reason = (reason or "").strip()
    if not reason:
        raise EntryError("退回或取消审核必须说明理由")
    c = completion(dataset, region, p, lock=True)
    if c.state not in (S.SUBMITTED, S.APPROVED):
        raise EntryError("这期数据还没有上报，无需退回")
    action = "unapprove" if c.state == S.APPROVED else "return"
    c.state, c.approved_by, c.approved_at = S.DRAFT, None, None
    _log(c, user, action, reason)
    c.save()
    DataValue.objects.filter(element__dataset=dataset, region=region,
                             period=p.id).update(approved=False)
    return c
