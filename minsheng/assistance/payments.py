"""Monthly payment cycles: the only writers of Cycle, Entitlement, PaymentBatch and Payment.

A cycle of 200,000 households is set work, so every step is one SQL statement (or a handful),
never a Python loop over rows (bench/assistance_cycle_bench.py measures it beside a bare
INSERT … SELECT):

- `do_open_cycle` / `do_generate`: INSERT … SELECT of an entitlement for every enrolment in the
  district in force on at least one day of the month by its dated history
  (enrolment.in_force_during), one statement per (programme, area), of the amount due for that
  month (_due_sql / amount_due, the one owner): the basis (members, per-capita income) of the
  month's latest `enrolled` event and the standard of the household's region (street or
  community override before the district's: standards.in_force_under) dated for that month —
  低保: (standard − per-capita income) × members, rounded to the fen, only where positive;
  特困 and 孤儿: the fixed monthly amount of their standard; 低保边缘: the region's edge
  allowance (元/人·月) × members, only where its standards define one; and one statement for
  临时救助: its one-off award, in the first cycle after the decision, never twice;
- `do_approve_cycle`, then `do_approve_entitlements` (bulk UPDATE; refused unless the cycle is
  approved — the model refuses it too);
- `do_export_batch`: INSERT … SELECT of one payment per payee (the sum of their approved
  entitlements) with the account snapshot, then the entitlements pointed at it; the bank file as
  .xlsx or .csv (audited: it carries account numbers);
- `do_reconcile`: the bank's return file, all-or-nothing on lib.tabular, marks payments paid or
  failed; `do_export_batch(retry=True)` issues the failed ones again in a follow-up batch. A
  person never has two live payments in a cycle (a DB constraint).
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import openpyxl
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count, F, Sum
from django.utils import timezone

from minsheng.accounts import masking
from minsheng.accounts.models import AuditLog
from minsheng.accounts.roles import DECIDE_ASSISTANCE
from minsheng.assistance import access
from minsheng.assistance.enrolment import in_force_during, procedures_under
from minsheng.assistance.models import (
    Cycle,
    Enrolment,
    EnrolmentEvent,
    Entitlement,
    Household,
    Payment,
    PaymentBatch,
    Person,
    Procedure,
    Programme,
    Standard,
)
from minsheng.assistance.standards import in_force_under
from minsheng.lib import tabular
from minsheng.lib.tabular import Column, ImportResult, Row, TableImport, csv_bytes
from minsheng.lib.validators import check_no_control_chars

__all__ = ["BANK_HEADER", "RETURN_COLUMNS", "amount_due", "bank_file", "do_approve_cycle",
           "do_approve_entitlements", "do_close_cycle", "do_export_batch", "do_generate",
           "do_open_cycle", "do_reconcile", "month_end"]

C = Cycle.State
# programme → the Standard row that sets its monthly amount
AMOUNT_STANDARD = {Programme.DIBAO: Standard.Programme.DIBAO,
                   Programme.EDGE: Standard.Programme.EDGE_ALLOWANCE,
                   Programme.TEKUN: Standard.Programme.TEKUN,
                   Programme.ORPHAN: Standard.Programme.ORPHAN}
BANK_HEADER = ("流水号", "户名", "开户银行", "账号", "金额（元）", "摘要")


def month_end(month: dt.date) -> dt.date:
    nxt = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return nxt - dt.timedelta(days=1)


def _check(user, cycle_or_region) -> None:
    code = getattr(cycle_or_region, "region_id", None) or cycle_or_region
    if not access.has_right(user, DECIDE_ASSISTANCE, code):
        raise PermissionDenied("救助资金发放由区民政局办理。")


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


@transaction.atomic
def do_open_cycle(user, region_code: str, month: dt.date, *, generated: bool = False) -> Cycle:
    _check(user, region_code)
    month = month.replace(day=1)
    if month > timezone.localdate():
        raise ValidationError("不能开启未来月份的发放周期。")
    if Cycle.objects.filter(region_id=region_code, month=month).exists():
        raise ValidationError(f"{month:%Y年%m月}的发放周期已存在。")
    cycle = Cycle.objects.create(region_id=region_code, month=month, created_by=user,
                                 generated=generated)
    masking.log(user, AuditLog.Action.CREATE, cycle, detail=f"开启发放周期 {month:%Y-%m}")
    return cycle


def _standard_sql(entries: list[tuple[str, Standard]]) -> tuple[str, list[Any]]:
    """The amount of the standard of each enrolment's region, as SQL: the most specific region
    with a row (standards.in_force_under, the lookup's one owner) by code prefix; NULL where
    none is in force."""
    whens, params = [], []
    for prefix, row in entries:
        whens.append("WHEN e.region_id LIKE %s THEN %s")
        params += [prefix + "%", row.amount]
    return f"(CASE {' '.join(whens)} END)", params


def _due_sql(district_code: str, month: dt.date, programme: str, area: str
             ) -> tuple[str, list[Any]] | None:
    """The amount due for month M to every enrolment of the district, programme and area in force
    during M: the one owner of "amount due for household H in month M" (do_generate inserts
    these rows, amount_due reads one). Everything is as it stood in M — who is in force and the
    basis of the benefit from the dated history (enrolment.in_force_during: the members covered
    and the per-capita income of the latest `enrolled` event on or before M's last day, so a
    later re-assessment does not alter M), and the standard of the household's region in force
    on M's last day (standards.in_force_under: a street's or community's own row before the
    district's) — never the enrolment's current state or today's standard. 低保: (standard −
    per-capita income) × members, rounded to the fen; 低保边缘: the edge allowance × members;
    特困, 孤儿: the fixed monthly amount. Rows with nothing due (no standard, income at or
    above it) have a NULL or non-positive amount. None when no region has the standard."""
    entries = in_force_under(district_code, AMOUNT_STANDARD[programme], area, month_end(month))
    entries = [(p, row) for p, row in entries if row.amount is not None]
    if not entries:
        return None
    start, end = month, month_end(month)
    # who is paid: every enrolment in force on at least one day of the month by its dated
    # history (enrolment.in_force_during, the rule's one owner), whatever its state today. By
    # default a benefit that starts on any day of the month is paid for the whole month: the
    # brief (shared/assistance-employment.md A.2, A.5 §6) sets no pro-rata rule, so the monthly
    # amount is the unit [verify the local 起发 rule]…
    # …unless the region's procedure in force for the month pays from the month after the
    # decision (Procedure.first_month): then only a benefit in force on the month's first day
    # and on the day before it (not started or resumed during the month) is paid
    procedures = procedures_under(district_code, end)
    from_next = any(row.first_month == Procedure.FirstMonth.NEXT for _p, row in procedures)
    chosen, chosen_params = (in_force_during(start, end, district_code[:6],
                                             with_day_before=from_next)
                             .filter(programme=programme, area=area).order_by()
                             .values("basis_event",
                                     *(["at_start", "day_before"] if from_next else []),
                                     chosen_id=F("pk"))
                             .query.sql_with_params())
    # b: the month's basis event (members covered, per-capita income)
    std, amount_params = _standard_sql(entries)
    if programme == Programme.DIBAO:
        amount = f"ROUND(({std} - b.per_capita_income) * b.members_covered, 2)"
    elif programme == Programme.EDGE:
        amount = f"ROUND({std} * b.members_covered, 2)"
    else:
        amount = f"ROUND({std}, 2)"
    sql = (f"SELECT e.id AS enrolment_id, e.payee_id AS payee_id, e.region_id AS region_id, "  # noqa: S608 - table names from _meta; values are parameters
           f"e.programme AS programme, {amount} AS amount "
           f"FROM {_table(Enrolment)} e JOIN ({chosen}) f ON f.chosen_id = e.id "
           f"JOIN {_table(EnrolmentEvent)} b ON b.id = f.basis_event")
    params = [*amount_params, *chosen_params]
    if from_next:
        whens = []
        for prefix, row in procedures:
            whens.append("WHEN e.region_id LIKE %s THEN %s")
            params += [prefix + "%", 1 if row.first_month == Procedure.FirstMonth.NEXT else 0]
        sql += (f" WHERE (CASE {' '.join(whens)} ELSE 0 END) = 0 "
                f"OR (f.at_start = %s AND f.day_before = %s)")
        params += [Enrolment.State.ENROLLED, Enrolment.State.ENROLLED]
    return sql, params


def amount_due(enrolment: Enrolment, month: dt.date) -> Decimal | None:
    """What a 低保, 低保边缘, 特困 or 孤儿 enrolment is due for the month (the first of the month
    or any day in it), as a cycle for that month generates it, opened then or later; None
    when nothing is due (not in force in the month, no standard, income at or above it).
    临时救助 is a one-off award (Enrolment.award_amount), not a monthly amount."""
    if enrolment.programme not in AMOUNT_STANDARD:
        return None
    due = _due_sql(enrolment.region_id[:6].ljust(12, "0"), month.replace(day=1),
                   enrolment.programme, enrolment.area)
    if due is None:
        return None
    sql, params = due
    with connection.cursor() as cur:
        cur.execute(f"SELECT d.amount FROM ({sql}) d WHERE d.enrolment_id = %s AND d.amount > 0",  # noqa: S608 - composed from _due_sql; values are parameters
                    [*params, enrolment.pk])
        row = cur.fetchone()
    return None if row is None else Decimal(str(row[0])).quantize(Decimal("0.01"))


@transaction.atomic
def do_generate(user, cycle: Cycle) -> int:
    """An entitlement for every enrolment of the district in force during the month by its dated
    history, of the amount due for that month (_due_sql: one INSERT … SELECT per programme and
    area), even for a cycle opened after the enrolment was paused, ended or re-assessed.
    Returns how many were generated."""
    _check(user, cycle)
    cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
    if cycle.state != C.DRAFT:
        raise ValidationError("只有草稿状态的周期可以生成待遇。")
    end = month_end(cycle.month)
    prefix = cycle.region_id[:6]
    ent, enr = _table(Entitlement), _table(Enrolment)
    total = 0
    for programme in AMOUNT_STANDARD:
        for area in Household.Area.values:
            due = _due_sql(cycle.region_id, cycle.month, programme, area)
            if due is None:
                continue
            sql, params = due
            with connection.cursor() as cur:
                cur.execute(
                    f"INSERT INTO {ent} (cycle_id, enrolment_id, payee_id, region_id, programme, "  # noqa: S608 - table names from _meta; values are parameters
                    f"amount, state, reject_reason) "
                    f"SELECT %s, d.enrolment_id, d.payee_id, d.region_id, d.programme, d.amount, "
                    f"'draft', '' FROM ({sql}) d WHERE d.amount > 0", [cycle.pk, *params])
                total += cur.rowcount
    # 临时救助: the award decided, once — in the first cycle after the decision that has no live
    # (unrejected) entitlement of it yet; still paid if the aid was closed since
    sql = (f"INSERT INTO {ent} (cycle_id, enrolment_id, payee_id, region_id, programme, "  # noqa: S608 - table names from _meta; values are parameters
           f"amount, state, reject_reason) "
           f"SELECT %s, e.id, e.payee_id, e.region_id, e.programme, e.award_amount, 'draft', '' "
           f"FROM {enr} e WHERE e.state IN ('enrolled', 'exited') AND e.programme = %s "
           f"AND e.award_amount > 0 AND e.paid_first = %s AND e.region_id LIKE %s "
           f"AND e.decided_on <= %s "
           f"AND NOT EXISTS (SELECT 1 FROM {ent} x WHERE x.enrolment_id = e.id "
           f"AND x.state <> 'rejected')")
    with connection.cursor() as cur:
        # 先行救助 (paid_first) was paid from the street's 备用金 on the day: never again here
        cur.execute(sql, [cycle.pk, Programme.TEMPORARY, False, prefix + "%", end])
        total += cur.rowcount
    cycle.state = C.TO_APPROVE
    cycle.save(update_fields=["state"])
    masking.log(user, AuditLog.Action.CREATE, cycle, detail=f"生成待遇 {total} 条")
    return total


@transaction.atomic
def do_approve_cycle(user, cycle: Cycle) -> Cycle:
    """The cycle as a whole (its list and total) is approved, by someone other than its opener
    where the office has two people; then its entitlements can be approved."""
    _check(user, cycle)
    cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
    if cycle.state != C.TO_APPROVE:
        raise ValidationError("只有待审批的周期可以审批。")
    cycle.state, cycle.approved_by, cycle.approved_at = C.APPROVED, user, timezone.now()
    cycle.save(update_fields=["state", "approved_by", "approved_at"])
    masking.log(user, AuditLog.Action.UPDATE, cycle, detail="审批发放周期")
    return cycle


@transaction.atomic
def do_approve_entitlements(user, cycle: Cycle, ids: list[int] | None = None) -> int:
    """Approve every draft entitlement of the cycle (or those in `ids`) in one UPDATE."""
    _check(user, cycle)
    cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
    if cycle.state != C.APPROVED:
        raise ValidationError("发放周期尚未审批，不能审批其中的待遇。")
    qs = Entitlement.objects.filter(cycle=cycle, state=Entitlement.State.DRAFT)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    n = qs.update(state=Entitlement.State.APPROVED)
    masking.log(user, AuditLog.Action.UPDATE, cycle, detail=f"批量审批待遇 {n} 条")
    return n


@transaction.atomic
def do_reject_entitlement(user, entitlement: Entitlement, reason: str) -> Entitlement:
    """Reject one entitlement of a cycle before it is paid (wrong amount, the household moved,
    died …), with a written reason; the rest of the cycle goes on. Not once its payee has a
    payment in the cycle: that is corrected through the bank return and a grievance."""
    _check(user, entitlement.cycle)
    cycle = Cycle.objects.select_for_update().get(pk=entitlement.cycle_id)
    if cycle.state not in (C.TO_APPROVE, C.APPROVED):
        raise ValidationError("只有待审批或已审批、未发放的周期中的待遇可以驳回。")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("驳回须写明理由。")
    if len(reason) > 200:
        raise ValidationError("驳回理由不能超过200字。")
    check_no_control_chars(reason)
    ent = Entitlement.objects.select_for_update().get(pk=entitlement.pk)
    if ent.state == Entitlement.State.REJECTED:
        raise ValidationError("该待遇已驳回。")
    if Payment.objects.filter(cycle=cycle, person_id=ent.payee_id).exists():
        raise ValidationError("该领取人本周期已导出发放，不能再驳回。")
    ent.state, ent.reject_reason = Entitlement.State.REJECTED, reason
    ent.save(update_fields=["state", "reject_reason"])
    masking.log(user, AuditLog.Action.UPDATE, ent, region_code=ent.region_id,
                detail=f"驳回待遇：{reason}")
    return ent


@transaction.atomic
def do_export_batch(user, cycle: Cycle, *, retry: bool = False, request=None) -> PaymentBatch:
    """A new batch: one payment per payee of the approved entitlements who has no payment in the
    cycle yet (or, with `retry`, every payee whose latest payment failed), with the account as it
    is now."""
    _check(user, cycle)
    cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
    if cycle.state != C.APPROVED:
        raise ValidationError("只有已审批、未结束的周期可以导出发放批次。")
    batches = PaymentBatch.objects.filter(cycle=cycle)
    if batches.filter(state=PaymentBatch.State.EXPORTED).exists():
        raise ValidationError("上一批次尚未对账，不能导出新批次。")
    seq = batches.count() + 1
    batch = PaymentBatch.objects.create(
        cycle=cycle, seq=seq, kind=PaymentBatch.Kind.RETRY if retry else PaymentBatch.Kind.REGULAR,
        exported_at=timezone.now(), exported_by=user)
    pay, ent, per = _table(Payment), _table(Entitlement), _table(Person)
    with connection.cursor() as cur:
        if retry:
            # the latest failed payment of each person who has no live one, at today's account
            cur.execute(
                f"INSERT INTO {pay} (batch_id, cycle_id, person_id, region_id, amount, bank_name, "  # noqa: S608 - table names from _meta; values are parameters
                f"account, account_name, status, failure_reason) "
                f"SELECT %s, f.cycle_id, f.person_id, p.region_id, f.amount, p.bank_name, "
                f"p.bank_account, p.name, 'issued', '' FROM {pay} f JOIN {per} p ON p.id = f.person_id "
                f"WHERE f.cycle_id = %s AND f.status = 'failed' "
                f"AND f.id = (SELECT MAX(y.id) FROM {pay} y WHERE y.cycle_id = f.cycle_id "
                f"AND y.person_id = f.person_id) "
                f"AND NOT EXISTS (SELECT 1 FROM {pay} x WHERE x.cycle_id = f.cycle_id "
                f"AND x.person_id = f.person_id AND x.status <> 'failed')",
                [batch.pk, cycle.pk])
        else:
            # one payment per payee not yet paid in this cycle: the sum of their entitlements
            cur.execute(
                f"INSERT INTO {pay} (batch_id, cycle_id, person_id, region_id, amount, bank_name, "  # noqa: S608 - table names from _meta; values are parameters
                f"account, account_name, status, failure_reason) "
                f"SELECT %s, e.cycle_id, e.payee_id, p.region_id, SUM(e.amount), p.bank_name, "
                f"p.bank_account, p.name, 'issued', '' FROM {ent} e JOIN {per} p ON p.id = e.payee_id "
                f"WHERE e.cycle_id = %s AND e.state = 'approved' AND NOT EXISTS (SELECT 1 "
                f"FROM {pay} x WHERE x.cycle_id = e.cycle_id AND x.person_id = e.payee_id) "
                f"GROUP BY e.cycle_id, e.payee_id, p.region_id, p.bank_name, p.bank_account, p.name",
                [batch.pk, cycle.pk])
        issued = cur.rowcount
    if issued == 0:
        raise ValidationError("没有可发放的待遇。")
    masking.log(user, AuditLog.Action.EXPORT, batch, object_type="assistance.paymentbatch",
                region_code=cycle.region_id, fields="account",
                detail=f"导出发放批次 {cycle.month:%Y-%m} 第{seq}批 {issued} 笔", request=request)
    return batch


def bank_file(user, batch: PaymentBatch, fmt: str = "csv", request=None) -> tuple[bytes, str, str]:
    """The 一卡通 batch file (account numbers in full: it goes to the bank); each download is
    audited."""
    _check(user, batch.cycle)
    rows = Payment.objects.filter(batch=batch).order_by("id").values_list(
        "id", "account_name", "bank_name", "account", "amount")
    summary = f"{batch.cycle.month:%Y年%m月}社会救助金"
    name = f"一卡通代发_{batch.cycle.region_id[:6]}_{batch.cycle.month:%Y%m}_第{batch.seq}批"
    masking.log(user, AuditLog.Action.EXPORT, batch, object_type="assistance.paymentbatch",
                region_code=batch.cycle.region_id, fields="account",
                detail=f"下载一卡通代发文件 {name}", request=request)
    data = ((pk, n, b, a, amount, summary) for pk, n, b, a, amount in rows)
    if fmt == "csv":
        return csv_bytes(BANK_HEADER, ([str(pk), n, b, a, f"{amount:.2f}", s]
                                       for pk, n, b, a, amount, s in data)), \
            tabular.CSV_TYPE, name + ".csv"
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("代发明细")
    ws.append(list(BANK_HEADER))
    for pk, n, b, a, amount, s in data:
        ws.append([str(pk), tabular.cell_value(n), tabular.cell_value(b), a, float(amount), s])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), tabular.XLSX_TYPE, name + ".xlsx"


# --- reconciliation ------------------------------------------------------------------------

OK_WORDS = {"成功": True, "已到账": True, "success": True, "失败": False, "failed": False,
            "退回": False}
RETURN_COLUMNS = (
    Column("ref", "流水号", tabular.uint, required=True, text=True),
    Column("account", "账号", tabular.text(30), required=True, text=True),
    Column("amount", "金额（元）", lambda t: tabular.decimal(t, "金额"), required=True),
    Column("ok", "结果", tabular.choice(OK_WORDS, ["成功", "失败"]), required=True),
    Column("reason", "失败原因", tabular.text(200), default=""),
    Column("paid_on", "入账日期", tabular.date(), default=None),
)


class BankReturn(TableImport):
    label = "银行回盘"
    columns = RETURN_COLUMNS

    def __init__(self, user, batch: PaymentBatch):
        super().__init__()
        self.user, self.batch = user, batch

    def resolve(self, rows: list[Row]) -> Any:
        issued = {p.pk: p for p in Payment.objects.filter(batch=self.batch,
                                                          status=Payment.Status.ISSUED)}
        seen: dict[int, int] = {}
        paid, failed = [], []
        today = timezone.localdate()
        for r in rows:
            ref = r.val.get("ref")
            if ref is None:
                continue
            p = issued.get(ref)
            if p is None:
                self.error(r, "ref", "不是本批次待对账的流水号")
                continue
            if ref in seen:
                self.error(r, "ref", f"与第{seen[ref]}行重复")
                continue
            seen[ref] = r.num
            if "account" in r.val and r.val["account"] != p.account:
                self.error(r, "account", "账号与发放时的账号不一致")
            if "amount" in r.val and r.val["amount"] != p.amount:
                self.error(r, "amount", f"金额与发放金额 {p.amount} 元不一致")
            when = r.val.get("paid_on") or today
            if when > today or when < self.batch.exported_at.date():
                self.error(r, "paid_on", "入账日期应在导出日期至今天之间")
            if r.val.get("ok") is True:
                paid.append((p.pk, when))
            elif r.val.get("ok") is False:
                failed.append((p.pk, r.val.get("reason") or "银行退回"))
        missing = set(issued) - set(seen)
        if missing and not self.errors:
            self.errors.append(tabular.file_error(
                f"回盘文件缺少 {len(missing)} 笔（如流水号 {min(missing)}），请使用银行完整回盘"))
        return paid, failed

    def write(self, pending: Any) -> ImportResult:
        paid, failed = pending
        by_day: dict[dt.date, list[int]] = {}
        for pk, when in paid:
            by_day.setdefault(when, []).append(pk)
        for when, pks in by_day.items():
            for i in range(0, len(pks), 5000):
                Payment.objects.filter(pk__in=pks[i:i + 5000]).update(
                    status=Payment.Status.PAID, paid_on=when)
        for pk, reason in failed:  # failures are few
            Payment.objects.filter(pk=pk).update(status=Payment.Status.FAILED,
                                                 failure_reason=reason[:200])
        PaymentBatch.objects.filter(pk=self.batch.pk).update(
            state=PaymentBatch.State.RECONCILED, reconciled_at=timezone.now())
        cycle = self.batch.cycle
        if not Payment.objects.filter(cycle=cycle).exclude(status=Payment.Status.PAID).exclude(
                status=Payment.Status.FAILED).exists() and not failed and not \
                Entitlement.objects.filter(cycle=cycle, state=Entitlement.State.APPROVED).exclude(
                    payee_id__in=Payment.objects.filter(
                        cycle=cycle, status=Payment.Status.PAID).values("person_id")).exists():
            Cycle.objects.filter(pk=cycle.pk).update(state=C.PAID)
        return ImportResult(created=0, updated=len(paid) + len(failed))

    def audit(self, result: ImportResult, pending: Any) -> None:
        paid, failed = pending
        masking.log(self.user, AuditLog.Action.IMPORT, self.batch,
                    object_type="assistance.paymentbatch", region_code=self.batch.cycle.region_id,
                    detail=f"银行回盘对账：成功 {len(paid)} 笔，失败 {len(failed)} 笔")


def do_reconcile(user, batch: PaymentBatch, file, filename: str) -> ImportResult:
    """Reads the bank's return file (all-or-nothing): every payment of the batch paid or failed."""
    _check(user, batch.cycle)
    if batch.state != PaymentBatch.State.EXPORTED:
        raise ValidationError("该批次已对账。")
    return BankReturn(user, batch).run(file, filename)


@transaction.atomic
def do_close_cycle(user, cycle: Cycle) -> Cycle:
    _check(user, cycle)
    cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
    if cycle.state != C.PAID:
        raise ValidationError("全部发放到账后才能结束周期。")
    cycle.state = C.CLOSED
    cycle.save(update_fields=["state"])
    return cycle


def totals(cycle: Cycle) -> dict[str, Decimal | int]:
    agg = Entitlement.objects.filter(cycle=cycle).aggregate(n=Count("id"), total=Sum("amount"))
    paid = Payment.objects.filter(cycle=cycle, status=Payment.Status.PAID).aggregate(
        n=Count("id"), total=Sum("amount"))
    return {"entitlements": agg["n"], "amount": agg["total"] or Decimal(0),
            "paid": paid["n"], "paid_amount": paid["total"] or Decimal(0)}
