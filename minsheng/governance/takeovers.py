"""Takeovers of compounds without management: each compound's standards as items with deadlines.

    open ──company reports done──▶ done ──inspection passes──▶ passed
                                    │
                                    └──inspection fails──▶ failed ──company reports done──▶ done

Overdue: not passed and past its deadline (local date). On time: passed, and reported done by the
deadline. A takeover is complete when every item passed; on time when each did on time.
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
from minsheng.governance.models import Takeover, TakeoverItem

S = TakeoverItem.State


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


def takeover_rows(takeovers: QuerySet[Takeover], today: dt.date | None = None) -> list[dict]:
    rows = (takeovers.order_by().values("pk").annotate(
        n=Count("items"), passed=Count("items", filter=Q(items__state=S.PASSED)),
        overdue=Count("items", filter=~Q(items__state=S.PASSED)
                      & Q(items__deadline__lt=today or timezone.localdate())),
        compounds=Count("items__compound", distinct=True)))
    return list(rows)
