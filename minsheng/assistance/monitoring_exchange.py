"""Department lists into 防返贫 alerts (部门筛查预警): a 医保 list of large out-of-pocket medical
bills, an 应急 disaster-loss list, an accident or schooling-cost list, as .xlsx or .csv.

All-or-nothing on lib.tabular: every row is parsed and checked (ID number well formed, amount,
date not in the future, no repeated row, the name matching the registry where both are given, a
warning line in force for the person's region on the day), and if anything is wrong the whole file
is refused with every problem by row and column. Otherwise each row is matched by ID number
against the registry (assistance.Person) in the importer's region: a registered person whose amount
reaches the line in force (relapse.reaches) becomes an alert on their household; a person not
registered there, an amount below the line and a row already imported are counted, not stored.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from minsheng.accounts import masking
from minsheng.accounts.models import AuditLog
from minsheng.assistance import monitoring, relapse
from minsheng.assistance import monitoring_access as access
from minsheng.assistance.models import Person
from minsheng.assistance.monitoring_models import Alert, CaseRisk, MonitoringThreshold
from minsheng.lib import tabular
from minsheng.lib.tabular import (
    XLSX_TYPE,
    CellError,
    Column,
    ImportResult,
    Row,
    TableImport,
    norm,
)

K = MonitoringThreshold.Kind
# list kind → (label, warning-line kind, risk type)
LISTS: dict[str, tuple[str, str, str]] = {
    "medical": ("医保大额医疗费用名单", K.MEDICAL, CaseRisk.Risk.ILLNESS),
    "disaster": ("应急灾害损失名单", K.DISASTER, CaseRisk.Risk.DISASTER),
    "accident": ("意外事故支出名单", K.ACCIDENT, CaseRisk.Risk.ACCIDENT),
    "schooling": ("教育支出名单", K.SCHOOLING, CaseRisk.Risk.SCHOOLING),
}
MAX_AMOUNT = Decimal("100000000")  # 1亿元: anything larger is a typing error
EARLIEST = dt.date(2000, 1, 1)
ID_RE = re.compile(r"^\d{17}[\dX]$")


def _id_number(t: str) -> str:
    s = norm(t).replace(" ", "").upper().lstrip("'")
    if "*" in s:
        raise CellError(f"身份证号不完整（含 *），请填写完整号码，收到“{t}”")
    if not ID_RE.match(s):
        raise CellError(f"应为18位身份证号（最后一位可为X），收到“{t}”")
    return s


def _amount(t: str) -> Decimal:
    v = tabular.decimal(t, "金额（元）")
    if v < 0:
        raise CellError(f"金额不能为负数，收到“{t}”")
    if v >= MAX_AMOUNT:
        raise CellError(f"金额过大，请核对（单位为元），收到“{t}”")
    return v.quantize(Decimal("0.01"))


def _event_date(t: str) -> dt.date:
    d = tabular.date()(t)
    if d < EARLIEST:
        raise CellError(f"日期早于 {EARLIEST:%Y年}，请核对，收到“{t}”")
    if d > timezone.localdate():
        raise CellError(f"日期晚于今天，请核对，收到“{t}”")
    return d


COLUMNS = (
    Column("id_number", "身份证号", _id_number, required=True, text=True, width=22,
           format="18位身份证号（文本格式）",
           note="按身份证号与本区登记的人员比对", aliases=("公民身份号码", "证件号码", "身份证号码")),
    Column("name", "姓名", tabular.text(50), default="", width=10, note="填写时须与登记的姓名一致",
           aliases=("患者姓名", "户主姓名")),
    Column("amount", "金额（元）", _amount, required=True, width=14, format="金额（元），数字",
           note="医保名单为个人自付医疗费用；灾害名单为损失金额", aliases=("金额", "自付费用", "个人自付",
                                                       "损失金额", "费用（元）")),
    Column("event_date", "发生日期", _event_date, required=True, width=14,
           format=f"日期，{tabular.DATE_HINT}",
           note=f"{tabular.DATE_HINT}；不能晚于今天", aliases=("结算日期", "日期", "受灾日期")),
    Column("description", "说明", tabular.text(300), default="", width=30,
           aliases=("备注说明", "病种", "情况")),
)


@dataclass
class ListResult(ImportResult):
    below: int = 0
    unregistered: int = 0
    repeated: int = 0
    alerts: list[Alert] = field(default_factory=list)


class _ListImport(TableImport):
    columns = COLUMNS

    def __init__(self, user, kind: str, filename: str, request=None) -> None:
        super().__init__()
        self.user = user
        self.kind = kind
        self.label, self.threshold_kind, self.risk = LISTS[kind]
        self.filename = filename
        self.request = request
        self.prefixes = access.prefixes_with(user, "manage_monitoring")
        self.counts = {"below": 0, "unregistered": 0, "repeated": 0}

    def resolve(self, rows: list[Row]) -> list[dict[str, Any]]:
        seen: dict[tuple, int] = {}
        for r in rows:
            key = (r.val.get("id_number"), r.val.get("event_date"), r.val.get("amount"))
            if None not in key:
                if key in seen:
                    self.error(r, "id_number", f"与第{seen[key]}行重复（同一人、同一日期、同一金额）")
                else:
                    seen[key] = r.num
        ids = {r.val["id_number"] for r in rows if r.val.get("id_number")}
        people = {p.id_number: p for p in Person.objects.filter(
            id_number__in=ids, household__isnull=False).select_related("household")
            if any(p.household.region_id.startswith(x) for x in self.prefixes)}
        lines: dict[tuple[str, dt.date], relapse.Threshold | None] = {}
        existing = set(Alert.objects.filter(
            person__in=list(people.values()), channel=Alert.Channel.DEPT_WARNING,
            kind=self.threshold_kind).values_list("person__id_number", "event_date", "amount"))
        pending = []
        for r in rows:
            if any(k not in r.val for k in ("id_number", "amount", "event_date")):
                continue
            p = people.get(r.val["id_number"])
            if p is None:
                self.counts["unregistered"] += 1
                continue
            if r.val.get("name") and r.val["name"] != p.name:
                self.error(r, "name", "姓名与该身份证号登记的姓名不一致，请核对")
                continue
            key = (p.household.region_id, r.val["event_date"])
            if key not in lines:
                lines[key] = monitoring.threshold(self.threshold_kind, *key)
            line = lines[key]
            if line is None:
                self.error(r, "amount", f"该户所在区划在{r.val['event_date']}没有有效的预警线，"
                                        "请先设置监测标准")
                continue
            if (p.id_number, r.val["event_date"], r.val["amount"]) in existing:
                self.counts["repeated"] += 1
                continue
            if not relapse.reaches(r.val["amount"], line):
                self.counts["below"] += 1
                continue
            pending.append({"person": p, "amount": r.val["amount"],
                            "event_date": r.val["event_date"],
                            "description": r.val.get("description") or ""})
        return pending

    def write(self, pending: list[dict[str, Any]]) -> ListResult:
        now = timezone.now()
        alerts = [monitoring.do_report_alert(
            self.user, g["person"].household, person=g["person"], channel=Alert.Channel.DEPT_WARNING,
            risk=self.risk, kind=self.threshold_kind, amount=g["amount"],
            event_date=g["event_date"], description=g["description"], source_list=self.label,
            at=now, check=False) for g in pending]
        return ListResult(created=len(alerts), updated=0, alerts=alerts, **self.counts)

    def audit(self, result: ListResult, pending: Any) -> None:
        masking.log(self.user, AuditLog.Action.IMPORT, object_type="assistance.alert",
                    region_code=self.prefixes[0].ljust(12, "0") if self.prefixes[0] else "",
                    detail=f"导入{self.label}：生成预警 {result.created} 条，未达预警线 "
                           f"{result.below} 行，未登记 {result.unregistered} 行，已导入过 "
                           f"{result.repeated} 行（文件 {self.filename or '未命名'}）",
                    request=self.request)


def can_import(user) -> bool:
    return access.can_manage(user)


def import_list(user, kind: str, content, filename: str, *, request=None) -> ListResult:
    """Import a department list; ImportRejected (nothing written) or the counts."""
    if not can_import(user):
        raise PermissionDenied("只有区级防返贫监测部门可以导入部门筛查名单。")
    if kind not in LISTS:
        raise PermissionDenied("未知的名单类别。")
    return _ListImport(user, kind, filename, request).run(content, filename)


def list_template(kind: str) -> tuple[bytes, str, str]:
    label = LISTS[kind][0]
    content = tabular.template_xlsx(label, COLUMNS, (
        "按身份证号与本区登记的家庭成员比对；金额达到该户所在区划当日有效预警线的，自动生成“部门筛查预警”。",
        "文件中只要有一处问题，整个文件都不会导入，并会列出所有问题。",
    ), mark_required=True, help_index=None)
    return content, XLSX_TYPE, f"{label}模板.xlsx"
