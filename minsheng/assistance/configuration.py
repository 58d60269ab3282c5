"""The only writers of a region's local rules (dated configuration, never code): a new 救助标准
row (Standard) or a new 办理规则 row (Procedure, incl. the delegation of decisions to the street)
from a date. Rows are never edited: a change is a new row from its own date, so decisions
already made keep the rule they were made under, and no new row may start in the past."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from minsheng.accounts import masking
from minsheng.accounts.models import AuditLog
from minsheng.assistance import access
from minsheng.assistance.models import Procedure, Standard
from minsheng.lib.validators import check_no_control_chars
from minsheng.places.models import Region

__all__ = ["do_add_procedure", "do_add_standard"]

MAX_AMOUNT = Decimal("100000")  # per person per month: anything above is a typing error
MAX_ASSET = Decimal("99999999")  # an asset limit in 元 (the field holds 10 digits)
ASSET_PROGRAMMES = (Standard.Programme.ASSET_SAVINGS, Standard.Programme.ASSET_VEHICLES,
                    Standard.Programme.ASSET_HOMES, Standard.Programme.ASSET_BUSINESS)


def _common(user, region: Region, valid_from: dt.date, source: str) -> str:
    if not access.can_decide(user, region.code):
        raise PermissionDenied("救助标准和办理规则由区民政局设定。")
    if valid_from < timezone.localdate():
        raise ValidationError("执行日期不能早于今天：已作出的决定按当时的标准，不能倒签。")
    if valid_from.year > 2100:
        raise ValidationError("执行日期不合理")
    source = (source or "").strip()
    if not source:
        raise ValidationError("须写明依据（文件名称和文号）。")
    check_no_control_chars(source)
    return source


@transaction.atomic
def do_add_standard(user, *, region: Region, programme: str, area: str, valid_from: dt.date,
                    amount: Decimal | None = None, multiplier: Decimal | None = None,
                    source: str, verified: bool = False) -> Standard:
    source = _common(user, region, valid_from, source)
    if programme in (Standard.Programme.EDGE, Standard.Programme.TEMPORARY):
        if multiplier is None or not Decimal("0") < multiplier <= Decimal("36"):
            raise ValidationError("低保边缘和临时救助须填写倍数（大于0、不超过36）。")
        amount = None
    elif programme in ASSET_PROGRAMMES:
        # a limit may be 0 (no private vehicle); counts are whole numbers
        top = MAX_ASSET if programme in (Standard.Programme.ASSET_SAVINGS,
                                         Standard.Programme.ASSET_BUSINESS) else Decimal("99")
        if amount is None or not Decimal("0") <= amount <= top or (
                top == Decimal("99") and amount != amount.to_integral_value()):
            raise ValidationError(f"财产上限须填写0至{top}之间的数值（辆、套为整数）。")
        multiplier = None
    else:
        if amount is None or not Decimal("0") < amount <= MAX_AMOUNT:
            raise ValidationError("须填写金额（大于0、不超过100000元）。")
        multiplier = None
    if Standard.objects.filter(region=region, programme=programme, area=area,
                               valid_from=valid_from).exists():
        raise ValidationError("该区划该项目在该日期已有标准。")
    row = Standard.objects.create(region=region, programme=programme, area=area,
                                  valid_from=valid_from, amount=amount, multiplier=multiplier,
                                  source=source, verified=verified)
    masking.log(user, AuditLog.Action.CREATE, row, region_code=region.code,
                detail=f"救助标准 {programme} {area} 自 {valid_from}：{amount or multiplier}")
    return row


@transaction.atomic
def do_add_procedure(user, *, region: Region, valid_from: dt.date, publicity_days: int,
                     review_months_unable: int, review_months_partial: int,
                     review_months_able: int, payment_due_day: int, street_decides: bool,
                     source: str, verified: bool = False,
                     after_review_days: int | None = None,
                     first_month: str = Procedure.FirstMonth.WHOLE) -> Procedure:
    source = _common(user, region, valid_from, source)
    if not 1 <= publicity_days <= 60:
        raise ValidationError("公示天数应在1到60天之间。")
    for months in (review_months_unable, review_months_partial, review_months_able):
        if not 1 <= months <= 24:
            raise ValidationError("复核间隔应在1到24个月之间。")
    if not 1 <= payment_due_day <= 28:
        raise ValidationError("每月发放截止日应在1到28日之间。")
    if after_review_days is None:  # left empty: the model's default
        after_review_days = Procedure._meta.get_field("after_review_days").default
    if not 1 <= after_review_days <= 90:
        raise ValidationError("先行救助补办审核时限应在1到90天之间。")
    if first_month in (None, ""):  # left empty: the model's default
        first_month = Procedure.FirstMonth.WHOLE
    if first_month not in Procedure.FirstMonth.values:
        raise ValidationError("起发月份应为“认定当月全月发放”或“自认定次月起发放”。")
    if Procedure.objects.filter(region=region, valid_from=valid_from).exists():
        raise ValidationError("该区划在该日期已有办理规则。")
    row = Procedure.objects.create(
        region=region, valid_from=valid_from, publicity_days=publicity_days,
        review_months_unable=review_months_unable, review_months_partial=review_months_partial,
        review_months_able=review_months_able, payment_due_day=payment_due_day,
        after_review_days=after_review_days, first_month=first_month,
        street_decides=street_decides, source=source, verified=verified)
    masking.log(user, AuditLog.Action.CREATE, row, region_code=region.code,
                detail=f"办理规则自 {valid_from}（下放街道：{'是' if street_decides else '否'}）")
    return row
