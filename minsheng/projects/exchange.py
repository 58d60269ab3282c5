"""Excel import of a year's project list and Excel export of the project table.

The import reads the list the way a district's livelihood office keeps it: sheet “项目” (one row
per project: area, lead department, target, dates, planned money by fund source, up to six
milestones with dates and weights) and an optional sheet “子项” (the places a project is carried
out at: compounds with their renovation standard, villages, schools). It stands on the table
reading, cell parsing and error reporting of minsheng/lib/tabular.py, all-or-nothing like every
import: every
row is checked, every problem is reported with the row the user sees and the column header
(“子项·…” for the second sheet), and nothing is written unless the whole file is right.

Re-importing is an update: projects are matched by (plan, 项目名称). A fund source whose column is
in the file is set from it (the allocated amount recorded since is kept); milestones are replaced
when the file has milestone columns; a project's sub-items are replaced only when the 子项 sheet
lists sub-items for it (matched by 区划代码 + 子项名称, so ticked checklists survive a re-import;
a changed renovation standard recreates the checklist).

The export is the project table (status computed at a date) with a 汇总 sheet; amounts in 万元.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections import Counter
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import openpyxl
from django.core.exceptions import ValidationError
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from minsheng.accounts import masking
from minsheng.accounts.models import AuditLog
from minsheng.accounts.roles import EXPORT
from minsheng.lib import tabular
from minsheng.lib.money import UNITS, format_amount, to_unit
from minsheng.lib.tabular import (
    DATE_HINT,
    XLSX_TYPE,
    CellError,
    Column,
    ImportRejected,
    ImportResult,
    Row,
    RowError,
    TableImport,
    append_row,
    error_report,
    find_header,
    header_key,
    map_header,
    norm,
    read_bytes,
    read_table,
    style_header,
)
from minsheng.places.models import Compound, Organisation, Region, code_prefix
from minsheng.places.scope import scope_of
from minsheng.projects import progress
from minsheng.projects.access import can_manage, projects_for
from minsheng.projects.actions import do_add_sub_item
from minsheng.projects.models import (
    Area,
    FundLine,
    FundSource,
    Milestone,
    Plan,
    Project,
    SubItem,
)
from minsheng.projects.services import with_status

__all__ = [
    "ImportRejected", "ImportResult", "ProjectImportResult", "RowError", "error_report",
    "export_projects", "import_projects", "project_template", "visible_rows",
]

PROJECT_SHEET = "项目"
SUB_SHEET = "子项"
MAX_MILESTONES = 6
WAN = UNITS["万元"]
YI = UNITS["亿元"]
CENT = Decimal("0.01")
MAX_MONEY = Decimal(10) ** 14  # Decimal(16, 2)
LEAD_KINDS = (Organisation.Kind.DEPARTMENT, Organisation.Kind.STREET_OFFICE)


@dataclass
class ProjectImportResult(ImportResult):
    """Projects created/updated, plus the sub-items written (created or kept)."""

    sub_items: int = 0


# --- cell parsers ------------------------------------------------------------------------------

def _quantity(t: str) -> Decimal:
    v = tabular.decimal(t)
    if v < 0:
        raise CellError(f"不能为负数，收到“{t}”")
    if v >= Decimal(10) ** 12:
        raise CellError(f"数值过大，收到“{t}”")
    return v.quantize(CENT)


def _positive_quantity(t: str) -> Decimal:
    v = _quantity(t)
    if v <= 0:
        raise CellError(f"应大于 0，收到“{t}”")
    return v


def _money(t: str) -> tuple[Decimal, Decimal | None]:
    """An amount and the unit written in the cell (“120万”), if any; the column's unit otherwise."""
    s = norm(t).replace(" ", "")
    unit = None
    for suffix, factor in (("亿元", YI), ("亿", YI), ("万元", WAN), ("万", WAN), ("元", Decimal(1))):
        if s.endswith(suffix):
            s, unit = s[: -len(suffix)], factor
            break
    v = tabular.decimal(s, "金额（数字）")
    if v < 0:
        raise CellError(f"金额不能为负数，收到“{t}”")
    return v, unit


def _weight(t: str) -> Decimal:
    v = tabular.decimal(norm(t).rstrip("%"), "百分比权重（如 30）")
    if not Decimal(0) < v <= 100:
        raise CellError(f"权重应大于 0、不超过 100，收到“{t}”")
    return v.quantize(CENT)


_AREA_LABELS = [str(a.label) for a in Area]
_AREA_ALIASES = {  # how offices often head the groups of their lists
    "医疗": Area.HEALTH, "卫生健康": Area.HEALTH, "养老": Area.ELDERLY, "就业": Area.EMPLOYMENT,
    "社保": Area.SOCIAL_SECURITY, "住房保障": Area.HOUSING, "老旧小区改造": Area.HOUSING,
    "生态": Area.ENVIRONMENT, "环境": Area.ENVIRONMENT, "城建": Area.URBAN, "交通": Area.TRANSPORT,
    "乡村振兴": Area.RURAL, "防贫": Area.RURAL, "文体": Area.CULTURE, "文化": Area.CULTURE,
    "体育": Area.CULTURE, "安全": Area.SAFETY,
}
_RENOVATION = {"A": "A", "B": "B", "C": "C", "A类": "A", "B类": "B", "C类": "C", "精品": "A",
               "特色": "B", "达标": "C",
               **{str(c.label): c.value for c in Compound.Renovation if c.value}}

FUND_KEYS = {  # column key -> fund source
    "fund_central": FundSource.CENTRAL, "fund_provincial": FundSource.PROVINCIAL,
    "fund_municipal": FundSource.MUNICIPAL, "fund_district": FundSource.DISTRICT,
    "fund_other": FundSource.OTHER,
}
_FUND_HEADERS = {"fund_central": "中央资金", "fund_provincial": "省级资金",
                 "fund_municipal": "市级资金", "fund_district": "区级资金", "fund_other": "其他资金"}
_MONEY_NOTE = "计划投资，单位为元；表头写“（万元）”则按万元，单元格写“120万”也可；留空为无此来源"


def _fund_column(key: str) -> Column:
    base = _FUND_HEADERS[key]
    short = base.removesuffix("资金")
    aliases = tuple(f"{b}{u}" for b in (base, f"{short}投资", f"{short}财政资金")
                    for u in ("", "（元）", "（万元）", "（亿元）"))
    return Column(key, f"{base}（元）", _money, note=_MONEY_NOTE, aliases=aliases, width=14)


def _milestone_columns(i: int) -> tuple[Column, ...]:
    return (
        Column(f"m{i}_name", f"节点{i}", tabular.text(100), note="节点名称，如“完成招标”",
               aliases=(f"节点{i}名称", f"进度节点{i}"), width=16),
        Column(f"m{i}_date", f"节点{i}日期", tabular.date(True),
               note=f"节点计划完成日期，{DATE_HINT}",
               aliases=(f"节点{i}计划日期", f"节点{i}完成日期", f"节点{i}计划完成日期",
                        f"节点{i}时间"), width=12),
        Column(f"m{i}_weight", f"节点{i}权重", _weight,
               note="百分比，如 30；填写权重时一个项目各节点权重之和须为 100，都不填则平均分配",
               aliases=(f"节点{i}权重（%）", f"节点{i}权重%"), width=10),
    )


PROJECT_COLUMNS: tuple[Column, ...] = (
    Column("name", "项目名称", tabular.text(200), required=True,
           note="本年度计划内不可重复；与已有项目同名的将被更新", aliases=("项目",), width=30),
    Column("area", "领域", tabular.choice({**tabular.labels(Area), **_AREA_ALIASES}, _AREA_LABELS),
           required=True, note="见“允许的值”", choices=tuple(_AREA_LABELS), aliases=("所属领域", "项目领域"),
           width=14),
    Column("lead", "牵头单位", tabular.text(200), required=True,
           note="本区已登记的职能部门或街道办事处/乡镇政府的全称，如“区民政局”",
           aliases=("牵头部门", "责任单位"), width=22),
    Column("responsible_person", "责任人", tabular.text(50), aliases=("负责人",), default="", width=10),
    Column("target", "目标任务", tabular.text(300), required=True, note="量化目标，如“改造老旧小区115个”",
           aliases=("建设内容", "目标任务及建设内容", "目标"), width=36),
    Column("target_quantity", "目标数量", _quantity, note="非负数字，可留空",
           aliases=("数量", "目标任务数量"), width=10),
    Column("target_unit", "单位", tabular.text(20), note="如 个、户、公里", aliases=("计量单位",),
           default="", width=8),
    Column("start_date", "开始日期", tabular.date(False), required=True,
           note=f"{DATE_HINT}；只写月份按当月1日", aliases=("开工日期", "开始时间"), width=12),
    Column("end_date", "完成时限", tabular.date(True), required=True,
           note=f"{DATE_HINT}；只写月份（如“2026年6月底”）按当月最后一天；不能早于开始日期",
           aliases=("完成日期", "完成时间", "计划完成时间"), width=12),
    *(_fund_column(k) for k in FUND_KEYS),
    *(c for i in range(1, MAX_MILESTONES + 1) for c in _milestone_columns(i)),
)

SUB_COLUMNS: tuple[Column, ...] = (
    Column("project", "项目名称", tabular.text(200), required=True, note="须与“项目”表（或本计划已有项目）中的名称一致",
           aliases=("所属项目",), width=30),
    Column("name", "子项名称", tabular.text(200), required=True, note="如小区、学校、村的名称",
           aliases=("子项",), width=24),
    Column("region", "区划代码", tabular.code, required=True,
           note="12位统计用区划代码（本区内的社区/村、街道，或区本级）；请把该列设为“文本”格式",
           aliases=("所在区划代码", "社区/村区划代码", "所属社区/村区划代码"), width=16, text=True),
    Column("compound", "小区名称", tabular.text(100), note="老旧小区改造子项填写，须是该区划内已登记的小区",
           aliases=("小区",), default="", width=20),
    Column("renovation_class", "改造标准",
           tabular.choice({**_RENOVATION, "无": ""}, ["A", "B", "C"], "（非老旧小区改造请留空）"),
           note="A（精品）、B（特色）、C（达标），会生成对应的改造清单", choices=("A", "B", "C"),
           aliases=("改造类别", "改造标准（A/B/C）"), default="", width=10),
    Column("quantity", "数量", _positive_quantity, note="留空为 1", aliases=("子项数量",),
           default=Decimal(1), width=8),
)


@dataclass(frozen=True)
class _Sheet:
    """One sheet of the template: its name and columns."""

    label: str
    columns: tuple[Column, ...]

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


# 序号 is read apart from the mapped columns (lib.tabular ignores it as a header).
NUMBER_COLUMN = Column("number", "序号", tabular.text(20), note="可留空；导出和通报按序号排列",
                       default="", width=6)
PROJECTS = _Sheet(PROJECT_SHEET, PROJECT_COLUMNS)
SUBS = _Sheet(SUB_SHEET, SUB_COLUMNS)


# --- template ----------------------------------------------------------------------------------

_NOTES = [
    "“项目”表每行一个项目，“子项”表每行一个子项（可不填）；第1行为表头（深色为必填列），请勿修改列名。",
    "同一年度计划内与已有项目同名的会被更新：资金按文件中的资金列重设（已下达金额保留），"
    "有节点列时进度节点整体替换。",
    "“子项”表列出某项目的子项时，该项目原有的子项被替换（同一区划同名的子项保留其改造清单勾选情况）；"
    "未列出子项的项目不受影响。",
    "金额默认单位为元；表头写“（万元）”则整列按万元。日期可写 2026-03-01、2026/3/1、2026年3月1日，"
    "完成时限可写“2026年6月底”。日期须在计划年度前后一年之内。",
    "进度节点最多6个；填写权重时各节点权重之和须为100，都不填则平均分配。节点日期须在开始日期与完成时限之间。",
    "文件中只要有一处问题，整个文件都不会导入，并会列出所有问题（含所在表、行、列）。",
]


def project_template() -> tuple[bytes, str, str]:
    """An empty import template (项目, 子项 and 说明 sheets): (xlsx, content_type, filename)."""
    wb = openpyxl.Workbook()
    wb.active.title = PROJECT_SHEET
    tabular.template_sheet(wb.active, (NUMBER_COLUMN, *PROJECT_COLUMNS))
    tabular.template_sheet(wb.create_sheet(SUB_SHEET), SUB_COLUMNS)
    # 节点2…6 are listed as 节点1
    shown = [replace(c, header=c.header.replace("节点1", "节点1…节点6")) for c in PROJECT_COLUMNS
             if not (c.key.startswith("m") and c.key[1:2].isdigit() and c.key[1] != "1")]
    tabular.help_sheet(wb, "民生项目清单导入说明", _NOTES,
                       [(f"“{PROJECT_SHEET}”表", (NUMBER_COLUMN, *shown)),
                        (f"“{SUB_SHEET}”表", SUB_COLUMNS)], index=None)
    return tabular.workbook_bytes(wb), XLSX_TYPE, "民生项目导入模板.xlsx"


# --- import ------------------------------------------------------------------------------------


def _in_sheet(errors: list[RowError], sheet: _Sheet) -> list[RowError]:
    """Errors of the second sheet name it: column “子项·区划代码”, file-level messages prefixed."""
    out = []
    for e in errors:
        column = f"{sheet.label}·{e.column}" if e.column else sheet.label
        message = e.message if e.row else f"“{sheet.label}”表：{e.message}"
        out.append(RowError(e.row, column, e.value, message, column_no=e.column_no))
    return out


class _ProjectImport(TableImport):
    """Sheet 项目 (the projects) and, when the file has one, sheet 子项 (their sub-items)."""

    label = PROJECT_SHEET
    columns = PROJECT_COLUMNS

    def __init__(self, user, plan: Plan, filename: str, request=None) -> None:
        super().__init__()
        self.user = user
        self.plan = plan
        self.filename = filename
        self.request = request
        self.prefix = code_prefix(plan.region_id)
        self.sub_errors: list[RowError] = []
        self.sub_rows: list[Row] = []
        self.sub_positions: dict[str, int] = {}
        self.number_at: int | None = None
        self.first_day = dt.date(plan.year - 1, 1, 1)
        self.last_day = dt.date(plan.year + 1, 12, 31)

    # reading both sheets
    def read(self, file: bytes | IO[bytes] | Path, filename: str) -> list[tuple[int, list[str]]]:
        content = read_bytes(file)
        data = super().read(content, filename)
        self.number_at = _number_column(self.header)
        if SUB_SHEET in self.table.sheets:
            self._read_sub_sheet(content, filename)
        return data

    def _read_sub_sheet(self, content: bytes, filename: str) -> None:
        try:
            table = read_table(content, filename, sheet=SUB_SHEET)
            if len(table.rows) <= 1:  # no sub-items listed
                return
            header_row, header, data = find_header(table, SUB_COLUMNS, SUB_SHEET)
            mapping = map_header(SUB_COLUMNS, header_row, header, label=SUB_SHEET)
        except ImportRejected as e:
            if not (len(e.errors) == 1 and "只有表头" in e.errors[0].message):  # no sub-items
                self.sub_errors.extend(_in_sheet(e.errors, SUBS))
            return
        self.sub_positions = {c.key: i + 1 for i, c in mapping.items()}
        self.sub_rows = [self.parse(n, cells, mapping, self.sub_error) for n, cells in data]

    def parse(self, num: int, cells: list[str], mapping=None, report=None) -> Row:
        row = super().parse(num, cells, mapping, report)
        if mapping is None and self.number_at is not None:  # sheet 1's 序号
            number = cells[self.number_at] if self.number_at < len(cells) else ""
            if len(number) > 20:
                self.errors.append(RowError(num, "序号", number, "序号不能超过 20 个字符",
                                            column_no=self.number_at + 1))
            row.val["_number"] = number[:20]
        return row

    # the steps
    def resolve(self, rows: list[Row]) -> tuple[list[Row], dict[int, tuple[Project, bool]]]:
        self.projects(rows, self.mapping, self.header)
        self.sub_items(self.sub_rows, {r.val["name"] for r in rows if r.val.get("name")})
        existing = {p.name: p for p in self.plan.projects.filter(
            name__in=[r.val["name"] for r in rows if r.val.get("name")])}
        _check_funds(self, rows, existing)
        return rows, _build(self, rows, existing)

    def write(self, pending: tuple[list[Row], dict[int, tuple[Project, bool]]]
              ) -> ProjectImportResult:
        rows, projects = pending
        return _write(self, rows, projects, self.sub_rows)

    def audit(self, result: ProjectImportResult, pending: Any) -> None:
        plan = self.plan
        masking.log(
            self.user, AuditLog.Action.IMPORT, object_type="projects.project",
            object_id=str(plan.pk), region_code=plan.region_id,
            detail=f"导入{plan.name}项目清单：新增 {result.created} 个，更新 {result.updated} 个，"
                   f"子项 {result.sub_items} 个（文件 {self.filename or '未命名'}）",
            request=self.request)

    # errors
    def sub_error(self, row: Row, key: str, message: str, value: str | None = None) -> None:
        col = SUBS.column(key)
        self.sub_errors.append(RowError(row.num, f"{SUB_SHEET}·{col.header}",
                                        row.raw.get(key, "") if value is None else value, message,
                                        column_no=self.sub_positions.get(key, 0)))

    def _in_year(self, row: Row, key: str) -> bool:
        d = row.val.get(key)
        if d is None:
            return False
        if not self.first_day <= d <= self.last_day:
            self.error(row, key, f"日期 {d:%Y-%m-%d} 不在{self.plan.year}年度计划的合理范围内"
                                 f"（{self.plan.year - 1}年至{self.plan.year + 1}年）")
            del row.val[key]
            return False
        return True

    # sheet 1
    def projects(self, rows: list[Row], mapping: dict[int, Column], header: list[str]) -> None:
        units = {c.key: _header_unit(header[i]) for i, c in mapping.items() if c.key in FUND_KEYS}
        self.fund_keys = set(units)
        self.has_milestones = any(c.key.startswith("m") and c.key[1:2].isdigit()
                                  for c in mapping.values())
        leads = self._lead_lookup()
        seen: dict[str, int] = {}
        for r in rows:
            name = r.val.get("name")
            if name:
                if name in seen:
                    self.error(r, "name", f"与第{seen[name]}行重复：同一计划内项目名称不能相同")
                    r.val["_dup"] = True
                else:
                    seen[name] = r.num
            self._lead(r, leads)
            ok_start = self._in_year(r, "start_date")
            ok_end = self._in_year(r, "end_date")
            if ok_start and ok_end and r.val["end_date"] < r.val["start_date"]:
                self.error(r, "end_date", f"完成时限不能早于开始日期（{r.val['start_date']:%Y-%m-%d}）")
                del r.val["end_date"]
            for key, factor in units.items():
                if r.val.get(key) is None:
                    continue
                amount, cell_unit = r.val[key]
                yuan = (amount * (cell_unit or factor)).quantize(CENT)
                if yuan >= MAX_MONEY:
                    self.error(r, key, f"金额过大，收到“{r.raw[key]}”")
                    del r.val[key]
                else:
                    r.val[key] = yuan
            r.val["_milestones"] = self._milestones(r)

    def _lead_lookup(self) -> dict[str, list[Organisation]]:
        out: dict[str, list[Organisation]] = {}
        for o in Organisation.objects.filter(kind__in=LEAD_KINDS,
                                             region__code__startswith=self.prefix):
            out.setdefault(norm(o.name).replace(" ", ""), []).append(o)
        return out

    def _lead(self, r: Row, leads: dict[str, list[Organisation]]) -> None:
        name = r.val.get("lead")
        if not name:
            return
        found = leads.get(norm(name).replace(" ", ""), [])
        if not found:
            self.error(r, "lead", f"在{self.plan.region.name}找不到名为“{name}”的职能部门或街道办事处/"
                                  "乡镇政府：请填写组织机构中登记的全称（如“区民政局”）")
            del r.val["lead"]
        elif len(found) > 1:
            self.error(r, "lead", f"有 {len(found)} 个名为“{name}”的单位，无法确定是哪一个")
            del r.val["lead"]
        else:
            r.val["lead"] = found[0]

    def _milestones(self, r: Row) -> list[tuple[str, dt.date, Decimal | None]] | None:
        """The row's milestones (name, date, weight); None when any of them is wrong."""
        nodes: list[tuple[int, str | None, dt.date | None, Decimal | None]] = []
        ok = True
        for i in range(1, MAX_MILESTONES + 1):
            keys = (f"m{i}_name", f"m{i}_date", f"m{i}_weight")
            if not any(r.raw.get(k) for k in keys):
                continue
            name, date, weight = (r.val.get(k) for k in keys)
            if not r.raw.get(keys[0]):
                self.error(r, keys[0], "填写了节点日期或权重，但没有节点名称")
                ok = False
            if not r.raw.get(keys[1]):
                self.error(r, keys[1], f"节点{i}“{name or ''}”缺少计划完成日期")
                ok = False
            if date is not None:
                start, end = r.val.get("start_date"), r.val.get("end_date")
                if start and date < start:
                    self.error(r, keys[1], f"节点日期不能早于开始日期（{start:%Y-%m-%d}）")
                    ok = False
                elif end and date > end:
                    self.error(r, keys[1], f"节点日期不能晚于完成时限（{end:%Y-%m-%d}）")
                    ok = False
            if any(r.raw.get(k) and k not in r.val for k in keys):
                ok = False  # a cell that did not parse, already reported
            nodes.append((i, name, date, weight))
        if not nodes:
            return []
        weighted = [n for n in nodes if r.raw.get(f"m{n[0]}_weight")]
        if weighted:
            for i, *_ in nodes:
                if not r.raw.get(f"m{i}_weight"):
                    self.error(r, f"m{i}_weight", "其他节点填写了权重，本节点也须填写")
                    ok = False
            if ok:
                total = sum((w for *_, w in nodes), Decimal(0))
                if total != 100:
                    first = f"m{weighted[0][0]}_weight"
                    self.error(r, first, f"各节点权重之和应为 100，现为 {total.normalize():f}",
                               value=str(total.normalize()))
                    ok = False
        if not ok:
            return None
        if not weighted:
            even = (Decimal(100) / len(nodes)).quantize(CENT)
            return [(name, date, even) for _, name, date, _ in nodes]
        return [(name, date, weight) for _, name, date, weight in nodes]

    # sheet 2
    def sub_items(self, rows: list[Row], file_projects: set[str]) -> None:
        names = {r.val["project"] for r in rows if r.val.get("project")}
        existing = set(self.plan.projects.filter(name__in=names).values_list("name", flat=True))
        codes = {r.val["region"] for r in rows if "region" in r.val}
        regions = Region.objects.in_bulk(list(codes))
        district = self.plan.region.name
        seen: dict[tuple, int] = {}
        for r in rows:
            project = r.val.get("project")
            if project and project not in file_projects and project not in existing:
                self.sub_error(r, "project", f"项目“{project}”不在“项目”表中，也不是本计划已有的项目")
                del r.val["project"]
            code = r.val.get("region")
            if code:
                region = regions.get(code)
                if region is None:
                    self.sub_error(r, "region", f"区划代码“{code}”不存在，请核对（应为统计用区划代码）")
                    del r.val["region"]
                elif not code.startswith(self.prefix):
                    self.sub_error(r, "region", f"“{region.name}”（{code}）不在{district}范围内")
                    del r.val["region"]
                else:
                    r.val["region"] = region
            if r.val.get("compound") and isinstance(r.val.get("region"), Region):
                region = r.val["region"]
                found = list(Compound.objects.filter(
                    region__code__startswith=code_prefix(region.code), name=r.val["compound"])[:2])
                if not found:
                    self.sub_error(r, "compound",
                                   f"在{region.name}（{region.code}）找不到名为“{r.val['compound']}”的小区："
                                   "请核对名称或区划代码，或先在小区名录中登记")
                    del r.val["compound"]
                elif len(found) > 1:
                    self.sub_error(r, "compound", f"{region.name}有多个名为“{r.val['compound']}”的小区："
                                                  "请填写小区所在社区的区划代码")
                    del r.val["compound"]
                else:
                    r.val["compound"] = found[0]
            if all(k in r.val for k in ("project", "region", "name")):
                key = (r.val["project"], r.val["region"].code, r.val["name"])
                if key in seen:
                    self.sub_error(r, "name", f"与第{seen[key]}行重复：同一项目在同一区划的子项名称不能相同")
                else:
                    seen[key] = r.num

    def sorted_errors(self) -> list[RowError]:
        """Sheet 项目's problems, then sheet 子项's, each by row and column."""
        return super().sorted_errors() + sorted(self.sub_errors,
                                                key=lambda e: (e.row, e.column_no))


def _header_unit(text: str) -> Decimal:
    t = norm(text)
    if "亿元" in t:
        return YI
    if "万元" in t:
        return WAN
    return Decimal(1)


def _number_column(header: list[str]) -> int | None:
    return next((i for i, t in enumerate(header) if header_key(t) in ("序号", "编号")), None)


def _check_funds(imp: _ProjectImport, rows: list[Row], existing: dict[str, Project]) -> None:
    """A fund source cannot be cleared while money has been allocated to it."""
    if not existing:
        return
    allocated = {(f.project_id, f.source): f.allocated for f in
                 FundLine.objects.filter(project__in=existing.values(), allocated__gt=0)}
    for r in rows:
        project = existing.get(r.val.get("name"))
        if project is None:
            continue
        for key in imp.fund_keys:
            if r.raw.get(key) == "" and (project.pk, FUND_KEYS[key]) in allocated:
                money = allocated[project.pk, FUND_KEYS[key]]
                shown = format_amount(money, "元", show_unit=False)
                imp.error(r, key, f"{FundSource(FUND_KEYS[key]).label}资金已下达 {shown} 元，"
                                  "不能清空该来源的计划投资")


def import_projects(user, plan: Plan, content: bytes, filename: str, *,
                    request=None) -> ProjectImportResult:
    """Import a year's project list (.xlsx; sheet 1 also as .csv) into `plan`.

    Raises PermissionError unless can_manage(user, plan); ImportRejected (nothing written) listing
    every problem; otherwise returns the counts (projects created/updated, sub-items written)."""
    if not can_manage(user, plan):
        raise PermissionError("只有本区民生工作管理人员可以导入项目清单")
    return _ProjectImport(user, plan, filename, request).run(content, filename)


_PROJECT_FIELDS = ("name", "area", "responsible_person", "target", "target_quantity",
                   "target_unit", "start_date", "end_date")


def _build(imp: _ProjectImport, rows: list[Row], existing: dict[str, Project]
           ) -> dict[int, tuple[Project, bool]]:
    """The project objects to save, by row number (only rows without problems)."""
    pending: dict[int, tuple[Project, bool]] = {}
    for r in rows:
        if r.val.get("_dup") or r.val.get("_milestones") is None:
            continue
        if not all(k in r.val for k in ("name", "area", "lead", "target", "start_date", "end_date")):
            continue
        if any(r.raw.get(k) and k not in r.val for k in imp.fund_keys):
            continue
        project = existing.get(r.val["name"])
        is_new = project is None
        if is_new:
            project = Project(plan=imp.plan)
        for key in _PROJECT_FIELDS:
            if key in r.val:
                setattr(project, key, r.val[key])
        project.lead_department = r.val["lead"]
        if "_number" in r.val:
            project.number = r.val["_number"]
        try:
            project.clean_fields(exclude=["plan", "lead_department"])
        except ValidationError as e:
            for name, messages in e.message_dict.items():
                header = next((c.header for c in PROJECT_COLUMNS if c.key == name), name)
                imp.errors.append(RowError(r.num, header, r.raw.get(name, ""), "；".join(messages),
                                           column_no=imp.positions.get(name, 0)))
            continue
        pending[r.num] = (project, is_new)
    return pending


def _write(imp: _ProjectImport, rows: list[Row], pending: dict[int, tuple[Project, bool]],
           sub_rows: list[Row]) -> ProjectImportResult:
    by_name: dict[str, Project] = {}
    for r in rows:
        project, _ = pending[r.num]  # every row is pending when there is no error
        project.save()
        by_name[project.name] = project
        # funds: each source whose column is in the file
        lines = {f.source: f for f in project.funds.all()}
        for key in imp.fund_keys:
            source = FUND_KEYS[key]
            amount = r.val.get(key)
            line = lines.get(source)
            if amount is None:
                if line is not None:
                    line.delete()
            elif line is None:
                FundLine.objects.create(project=project, source=source, planned=amount)
            elif line.planned != amount:
                line.planned = amount
                line.save(update_fields=["planned"])
        if imp.has_milestones:
            project.milestones.all().delete()
            Milestone.objects.bulk_create([
                Milestone(project=project, name=name, planned_date=date, weight=weight)
                for name, date, weight in r.val["_milestones"]])

    written = 0
    groups: dict[str, list[Row]] = {}
    for r in sub_rows:
        groups.setdefault(r.val["project"], []).append(r)
    for project_name, items in groups.items():
        project = by_name.get(project_name) or imp.plan.projects.get(name=project_name)
        current: dict[tuple[str, str], SubItem] = {}
        for s in project.sub_items.all():
            current.setdefault((s.region_id, s.name), s)
        keep: set[int] = set()
        for r in items:
            region, compound = r.val["region"], r.val.get("compound") or None
            cls, qty = r.val.get("renovation_class") or "", r.val.get("quantity") or Decimal(1)
            item = current.get((region.code, r.val["name"]))
            if item is not None and item.renovation_class == cls:
                item.compound, item.quantity = compound, qty
                item.save(update_fields=["compound", "quantity"])
            else:
                item = do_add_sub_item(project, name=r.val["name"], region=region,
                                       compound=compound, quantity=qty, renovation_class=cls)
            keep.add(item.pk)
            written += 1
        project.sub_items.exclude(pk__in=keep).delete()

    created = sum(1 for _, is_new in pending.values() if is_new)
    return ProjectImportResult(created=created, updated=len(pending) - created, sub_items=written)


# --- figures shared by the export and the briefing ---------------------------------------------


@dataclass
class ProjectRow:
    project: Project
    status: progress.Status
    planned: Decimal  # 元
    allocated: Decimal  # 元

    @property
    def spent(self) -> Decimal:
        return self.status.spent


def may_export(user) -> bool:
    return scope_of(user).has_right(EXPORT)


def visible_rows(user, plan: Plan, at: dt.date) -> list[ProjectRow]:
    """The plan's projects the user may see, with status at `at` and money (one pass, prefetched)."""
    qs = projects_for(user).filter(plan=plan).select_related("lead_department").order_by(
        "number", "id")
    out = []
    for p, s in with_status(qs, at):
        funds = list(p.funds.all())
        out.append(ProjectRow(p, s, sum((f.planned for f in funds), Decimal(0)),
                              sum((f.allocated for f in funds), Decimal(0))))
    return _natural(out)


def _natural(rows: list[ProjectRow]) -> list[ProjectRow]:
    """By 序号 as a person reads it (2 before 10), unnumbered last."""
    def key(r: ProjectRow):
        n = r.project.number
        parts = [(0, int(x), "") if x.isdigit() else (1, 0, x) for x in re.findall(r"\d+|\D+", n)]
        return (not n, parts, r.project.pk)

    return sorted(rows, key=key)


def flag_counts(rows: list[ProjectRow]) -> dict[str, int]:
    counts = Counter(r.status.flag for r in rows)
    return {f: counts.get(f, 0) for f in progress.FLAG_ORDER}


# --- export ------------------------------------------------------------------------------------

EXPORT_HEADERS = [
    ("序号", 6), ("项目名称", 32), ("领域", 14), ("牵头单位", 20), ("目标任务", 36),
    ("开始日期", 12), ("完成时限", 12), ("计划投资(万元)", 14), ("已下达(万元)", 14),
    ("累计支出(万元)", 14), ("计划进度%", 10), ("实际进度%", 10), ("滞后(百分点)", 12),
    ("状态", 12),
]
FLAG_FILLS = {
    "lagging": PatternFill("solid", fgColor="FFF2CC"),
    "at_risk": PatternFill("solid", fgColor="F8CBAD"),
    "overdue": PatternFill("solid", fgColor="FF9999"),
    "completed": PatternFill("solid", fgColor="E2EFDA"),
}
_MONEY_FMT = "#,##0.00"
_PCT_FMT = "0.0"


def export_projects(user, plan: Plan, at: dt.date, *, request=None) -> tuple[bytes, str, str]:
    """The plan's project table as the user may see it, status at `at`: (xlsx, type, filename).

    Raises PermissionError for a user without the export right."""
    if not may_export(user):
        raise PermissionError("没有导出数据的权限")
    rows = visible_rows(user, plan, at)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "项目表"
    append_row(ws, [h for h, _ in EXPORT_HEADERS])
    style_header(ws, [w for _, w in EXPORT_HEADERS])
    for i, r in enumerate(rows, start=1):
        p, s = r.project, r.status
        append_row(ws, [
            p.number or str(i), p.name, str(p.get_area_display()), p.lead_department.name,
            p.target, p.start_date, p.end_date, to_unit(r.planned, "万元", 2),
            to_unit(r.allocated, "万元", 2), to_unit(r.spent, "万元", 2),
            s.planned, s.actual, s.lag, s.label,
        ])
        n = ws.max_row
        for c in (6, 7):
            ws.cell(row=n, column=c).number_format = "yyyy-mm-dd"
        for c in (8, 9, 10):
            ws.cell(row=n, column=c).number_format = _MONEY_FMT
        for c in (11, 12, 13):
            ws.cell(row=n, column=c).number_format = _PCT_FMT
        for c in (2, 5):
            ws.cell(row=n, column=c).alignment = Alignment(wrap_text=True, vertical="top")
        if s.flag in FLAG_FILLS:
            ws.cell(row=n, column=14).fill = FLAG_FILLS[s.flag]
    if rows:
        append_row(ws, ["合计", f"{len(rows)} 个项目", None, None, None, None, None,
                        to_unit(sum((r.planned for r in rows), Decimal(0)), "万元", 2),
                        to_unit(sum((r.allocated for r in rows), Decimal(0)), "万元", 2),
                        to_unit(sum((r.spent for r in rows), Decimal(0)), "万元", 2)])
        n = ws.max_row
        for c in range(1, len(EXPORT_HEADERS) + 1):
            ws.cell(row=n, column=c).font = Font(bold=True)
        for c in (8, 9, 10):
            ws.cell(row=n, column=c).number_format = _MONEY_FMT
    ws.auto_filter.ref = f"A1:{get_column_letter(len(EXPORT_HEADERS))}{len(rows) + 1}"
    _summary_sheet(wb.create_sheet("汇总"), plan, at, rows)

    buf = io.BytesIO()
    wb.save(buf)
    masking.log(user, AuditLog.Action.EXPORT, object_type="projects.project",
                object_id=str(plan.pk), region_code=plan.region_id,
                detail=f"导出{plan.name}项目表 {len(rows)} 个项目（截至 {at:%Y-%m-%d}）",
                request=request)
    return buf.getvalue(), XLSX_TYPE, f"{plan.name}项目表_{at:%Y%m%d}.xlsx"


def _bold_row(ws, fill: bool = False) -> None:
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
        if fill:
            cell.fill = PatternFill("solid", fgColor="D9E1F2")


def _summary_sheet(ws, plan: Plan, at: dt.date, rows: list[ProjectRow]) -> None:
    append_row(ws, [f"{plan.name}项目汇总（截至{at.year}年{at.month}月{at.day}日）"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([])
    append_row(ws, ["按状态", "项目数", "占比%"])
    _bold_row(ws, fill=True)
    total = len(rows)
    for flag, n in flag_counts(rows).items():
        append_row(ws, [progress.FLAG_LABELS[flag], n, round(n * 100 / total, 1) if total else 0])
    append_row(ws, ["合计", total, 100 if total else 0])
    _bold_row(ws)
    ws.append([])
    append_row(ws, ["按领域", "项目数", "计划投资(万元)", "已下达(万元)", "累计支出(万元)",
                    "滞后及逾期项目数"])
    _bold_row(ws, fill=True)
    behind = {"lagging", "at_risk", "overdue"}
    for area in Area:
        mine = [r for r in rows if r.project.area == area.value]
        if not mine:
            continue
        append_row(ws, [str(area.label), len(mine),
                        to_unit(sum((r.planned for r in mine), Decimal(0)), "万元", 2),
                        to_unit(sum((r.allocated for r in mine), Decimal(0)), "万元", 2),
                        to_unit(sum((r.spent for r in mine), Decimal(0)), "万元", 2),
                        sum(1 for r in mine if r.status.flag in behind)])
        for c in (3, 4, 5):
            ws.cell(row=ws.max_row, column=c).number_format = _MONEY_FMT
    append_row(ws, ["合计", total, to_unit(sum((r.planned for r in rows), Decimal(0)), "万元", 2),
                    to_unit(sum((r.allocated for r in rows), Decimal(0)), "万元", 2),
                    to_unit(sum((r.spent for r in rows), Decimal(0)), "万元", 2),
                    sum(1 for r in rows if r.status.flag in behind)])
    _bold_row(ws)
    for c in (3, 4, 5):
        ws.cell(row=ws.max_row, column=c).number_format = _MONEY_FMT
    ws.append([])
    append_row(ws, [f"说明：计划进度按进度节点及权重计算，实际进度取截至统计日已审核通过的最新进度报告；"
                    f"滞后 {progress.LAGGING_POINTS} 个百分点及以上为“滞后”，{progress.AT_RISK_POINTS} 个百分点"
                    f"及以上或距完成时限 {progress.AT_RISK_DAYS} 天内仍滞后为“严重滞后”。"])
    for letter, width in zip("ABCDEF", (22, 10, 16, 16, 16, 16), strict=True):
        ws.column_dimensions[letter].width = width
