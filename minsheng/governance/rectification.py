"""Rectification lists (整改清单): imported from Excel, each problem assigned to a responsible
unit, evidence of rectification, verification by the issuing office.

    assigned ──submit──▶ submitted ──verify(pass)──▶ verified
        ▲                    │
        └──── returned ◀─────┘ verify(fail, with a reason); returned ──submit──▶ submitted

Overdue: not verified and past its deadline (on the local date). 整改完成率 = verified ÷ all
problems, per list and per unit (SQL aggregates).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from minsheng.accounts.masking import log
from minsheng.governance.models import Task, TaskList, TaskPhoto
from minsheng.lib import tabular
from minsheng.lib.images import Photo
from minsheng.lib.tabular import Column, ImportResult, Row, TableImport
from minsheng.places.models import Organisation, code_prefix

T = Task.State
SUBMITTABLE = (T.ASSIGNED, T.RETURNED)


def overdue_q(today: dt.date | None = None) -> Q:
    return ~Q(state=T.VERIFIED) & Q(deadline__lt=today or timezone.localdate())


def completion(tasks: QuerySet[Task], today: dt.date | None = None) -> dict[str, Any]:
    agg = tasks.order_by().aggregate(n=Count("id"), done=Count("id", filter=Q(state=T.VERIFIED)),
                                     overdue=Count("id", filter=overdue_q(today)))
    agg["rate"] = round(100.0 * agg["done"] / agg["n"], 1) if agg["n"] else None
    return agg


def by_unit(tasks: QuerySet[Task], today: dt.date | None = None) -> list[dict[str, Any]]:
    rows = (tasks.order_by().values("unit_id", "unit__name")
            .annotate(n=Count("id"), done=Count("id", filter=Q(state=T.VERIFIED)),
                      overdue=Count("id", filter=overdue_q(today)))
            .order_by("unit__name"))
    return [{**r, "rate": round(100.0 * r["done"] / r["n"], 1) if r["n"] else None}
            for r in rows]


@transaction.atomic
def do_submit(task: Task, *, evidence: str, photos: list[Photo], by) -> Task:
    """The responsible unit reports what it did (text and photos)."""
    task = Task.objects.select_for_update().get(pk=task.pk)
    if task.state not in SUBMITTABLE:
        raise ValidationError(_("该事项当前不能提交整改情况"))
    evidence = (evidence or "").strip()
    if not evidence and not photos:
        raise ValidationError(_("请填写整改情况或上传照片"))
    task.evidence, task.state, task.submitted_at = evidence[:2000], T.SUBMITTED, timezone.now()
    task.save(update_fields=["evidence", "state", "submitted_at"])
    for p in photos:
        TaskPhoto.objects.create(task=task, image=p.file())
    log(by, "governance.task_submit", task, region_code=task.task_list.region_id)
    return task


@transaction.atomic
def do_verify(task: Task, *, passed: bool, reason: str = "", by) -> Task:
    """The issuing office checks the rectification; a failure sends it back with a reason."""
    task = Task.objects.select_for_update().get(pk=task.pk)
    if task.state != T.SUBMITTED:
        raise ValidationError(_("只有已提交的事项可以核验"))
    if passed:
        task.state, task.verified_at, task.verified_by = T.VERIFIED, timezone.now(), by
        task.return_reason = ""
    else:
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError(_("核验不通过须说明理由"))
        task.state, task.return_reason = T.RETURNED, reason[:300]
    task.save(update_fields=["state", "verified_at", "verified_by", "return_reason"])
    log(by, "governance.task_verify", task, region_code=task.task_list.region_id,
        detail="passed" if passed else f"returned: {task.return_reason}")
    return task


# --- the Excel import ------------------------------------------------------------------------

def _deadline(t: str) -> dt.date:
    d = tabular.date(month_end=True)(t)
    if not 2000 <= d.year <= 2100:
        raise tabular.CellError("日期应在 2000—2100 年之间")
    return d


COLUMNS = (
    Column("area", "领域/区域", tabular.text(100), required=True, width=16,
           aliases=("区域", "领域"), note="问题所属的领域或区域，如“物业管理”“某某小区”"),
    Column("problem", "问题", tabular.text(1000), required=True, width=40,
           aliases=("问题描述", "突出问题")),
    Column("unit", "责任单位", tabular.text(200), required=True, width=24,
           note="与系统中的组织机构名称一致"),
    Column("deadline", "整改时限", _deadline, required=True, width=14, aliases=("完成时限",),
           format=f"日期，{tabular.DATE_HINT}；只写月份按当月最后一天",
           note="2000—2100 年之间"),
)


class TaskListImport(TableImport):
    """All or nothing: any bad cell or unknown unit rejects the whole file."""

    label = "整改清单"
    columns = COLUMNS

    def __init__(self, *, name: str, kind: str, region_code: str, by) -> None:
        super().__init__()
        self.name, self.kind, self.region_code, self.by = name, kind, region_code, by

    def resolve(self, rows: list[Row]) -> list[dict[str, Any]]:
        units: dict[str, list[int]] = {}
        for pk, name in Organisation.objects.filter(
                region__code__startswith=code_prefix(self.region_code)).values_list("pk", "name"):
            units.setdefault(tabular.norm(name), []).append(pk)
        out = []
        for row in rows:
            name = row.val.get("unit")
            if name is None:
                continue
            found = units.get(tabular.norm(name), [])
            if not found:
                self.error(row, "unit", "本区没有这个单位，请按系统中的组织机构名称填写")
            elif len(found) > 1:
                self.error(row, "unit", "有多个同名单位，请联系管理员")
            else:
                out.append({**row.val, "unit_id": found[0]})
        if not rows:
            self.errors.append(tabular.file_error("文件中没有整改事项"))
        return out

    def write(self, pending: list[dict[str, Any]]) -> ImportResult:
        self.task_list = TaskList.objects.create(name=self.name, kind=self.kind,
                                                 region_id=self.region_code, created_by=self.by)
        Task.objects.bulk_create(
            Task(task_list=self.task_list, number=k, area=p["area"], problem=p["problem"],
                 unit_id=p["unit_id"], deadline=p["deadline"])
            for k, p in enumerate(pending, start=1))
        return ImportResult(created=len(pending), updated=0)

    def audit(self, result: ImportResult, pending: Any) -> None:
        log(self.by, "governance.task_import", self.task_list, region_code=self.region_code,
            detail=f"{self.name}: {result.created}")


def do_import_list(file, filename: str, *, name: str, kind: str, region_code: str,
                   by, allowed) -> TaskList:
    """Import a list into `region_code`; `allowed(region_code)` is the caller's rights check."""
    if not allowed(region_code):
        raise PermissionDenied
    imp = TaskListImport(name=name, kind=kind, region_code=region_code, by=by)
    imp.run(file, filename)
    return imp.task_list


def template_xlsx() -> bytes:
    return tabular.template_xlsx(TaskListImport.label, COLUMNS, (
        "第1行为表头（深色为必填列），请勿修改列名；从第2行起每行一个问题，按顺序编号。",
        "每个问题交给“责任单位”整改，整改后由发文单位核验；超过整改时限未核验通过的计为逾期。",
        "文件中只要有一处问题（单元格格式不对、系统中没有该责任单位），整个文件都不会导入，并会列出所有问题。",
    ))
