"""Livelihood spending and its share of the general public budget, from expenditure by functional
class (支出功能分类科目). Pure Python (openpyxl for .xlsx): the CLI `minsheng budget share FILE`
and the pages call the same `livelihood_share`.

A budget file has one row per class (类, 3-digit code such as 205 教育) or section (款, 5 digits,
20502 普通教育) or item (项, 7 digits) with its amount in 元 (a header saying 万元 or 亿元 is
honoured). Each class is counted once: from its class row when there is one, else as the sum of
its sections' (or items') rows, so a file that lists both does not count twice. Which classes are
livelihood is configuration (data/livelihood_classes.json, or MINSHENG_LIVELIHOOD_CLASSES).

The file is read by minsheng/lib/tabular.py (encodings, disguised or damaged files) and every
problem is a RowError; the budget's own header rule (a code and an amount column within the first
ten rows, extra columns ignored) stays here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.conf import settings

from minsheng.lib import tabular
from minsheng.lib.tabular import CellError, ImportRejected, RowError, file_error, read_table

DEFAULT_CONFIG = Path(__file__).resolve().parent / "data" / "livelihood_classes.json"

CODE_HEADERS = ("科目编码", "功能分类科目编码", "科目代码", "编码", "代码", "code")
NAME_HEADERS = ("科目名称", "功能分类科目", "名称", "项目", "name")
AMOUNT_HEADERS = ("金额", "支出", "决算数", "预算数", "执行数", "支出金额", "amount")
UNITS = {"亿元": Decimal(100_000_000), "万元": Decimal(10_000), "元": Decimal(1)}


class BudgetFileError(ValueError):
    """The file cannot be used. `row_errors` lists every problem (RowError, the one shape of
    lib.tabular); `errors` gives them as (row, message) pairs, row 0 for the file, which is how
    the budget page (projects/views.py, budget.html) and `minsheng budget share` list them."""

    def __init__(self, row_errors: list[RowError]):
        self.row_errors = row_errors
        self.errors = [(e.row, e.message) for e in row_errors]
        super().__init__("；".join(str(e) for e in row_errors))


@dataclass
class BudgetLine:
    row: int
    code: str
    name: str
    amount: Decimal  # 元


@dataclass
class ShareResult:
    total: Decimal
    livelihood: Decimal
    by_class: dict[str, Decimal]  # class code -> amount (元), each class once
    names: dict[str, str]
    livelihood_classes: dict[str, str]
    notes: list[str] = field(default_factory=list)

    @property
    def share(self) -> Decimal:
        return (self.livelihood / self.total * 100) if self.total else Decimal(0)

    def lines(self) -> list[str]:
        out = [
            f"一般公共预算支出合计：{yuan_display(self.total)}（{self.total:,.2f} 元）",
            f"民生支出：{yuan_display(self.livelihood)}（{self.livelihood:,.2f} 元）",
            f"民生支出占比：{self.share:.2f}%",
            "计入民生的科目：" + "、".join(
                f"{c} {self.names.get(c) or self.livelihood_classes[c]} {yuan_display(a)}"
                for c, a in sorted(self.by_class.items()) if c in self.livelihood_classes),
        ]
        return out + [f"注：{n}" for n in self.notes]


def yuan_display(amount: Decimal) -> str:
    """亿元 above 1亿, 万元 above 1万, 元 otherwise, as Chinese finance reports write amounts."""
    a = abs(amount)
    if a >= UNITS["亿元"]:
        return f"{amount / UNITS['亿元']:,.2f}亿元"
    if a >= UNITS["万元"]:
        return f"{amount / UNITS['万元']:,.2f}万元"
    return f"{amount:,.2f}元"


def load_livelihood_classes(path: Path | None = None) -> dict[str, str]:
    configured = settings.LIVELIHOOD_CLASSES_FILE if settings.configured else None
    path = Path(path or configured or DEFAULT_CONFIG)
    data = json.loads(path.read_text(encoding="utf-8"))
    classes = data["classes"]
    bad = [c for c in classes if not re.fullmatch(r"\d{3}", c)]
    if bad:
        raise ValueError(f"民生科目配置中的类级科目编码应为3位数字：{', '.join(bad)}")
    return dict(classes)


def class_of(code: str) -> str:
    """The functional class (类) a budget line counts towards: the first three digits of its code
    (20502 普通教育 → 205 教育支出)."""
    return code[:3]


def is_livelihood(code: str, classes: dict[str, str] | None = None) -> bool:
    """Whether a line's class counts as livelihood spending (the configured class list)."""
    classes = load_livelihood_classes() if classes is None else classes
    return class_of(code) in classes


def _rows_from_file(content: bytes, filename: str) -> list[tuple[int, list[str]]]:
    """The file's non-empty rows with their row numbers."""
    if not filename.lower().endswith((".xlsx", ".csv")):
        raise BudgetFileError([file_error("文件应为 .xlsx 或 .csv。")])
    try:
        return read_table(content, filename).rows
    except ImportRejected as e:
        raise BudgetFileError(e.errors) from e


def _find(header: list[str], names: tuple[str, ...]) -> int | None:
    cells = [h.strip().lower() for h in header]
    for n in names:
        for i, h in enumerate(cells):
            if h == n.lower() or h.startswith(n.lower() + "（") or h.startswith(n.lower() + "("):
                return i
    for n in names:
        for i, h in enumerate(cells):
            if n.lower() in h:
                return i
    return None


def _cell(row: list[str], k: int | None) -> str:
    return row[k].strip() if k is not None and k < len(row) else ""


def read_budget_file(content: bytes, filename: str) -> list[BudgetLine]:
    """Parse and validate every row; raise BudgetFileError listing every bad row."""
    rows = _rows_from_file(content, filename)
    header_at = next((i for i, (_n, r) in enumerate(rows[:10])
                      if _find(r, CODE_HEADERS) is not None and _find(r, AMOUNT_HEADERS) is not None),
                     None)
    if header_at is None:
        raise BudgetFileError([file_error(
            "找不到表头：需要“科目编码”“科目名称”“金额”三列（金额单位为元，表头写明“万元”则按万元）。")])
    header = rows[header_at][1]
    ci, ni, ai = _find(header, CODE_HEADERS), _find(header, NAME_HEADERS), _find(header, AMOUNT_HEADERS)
    unit = next((UNITS[u] for u in ("亿元", "万元") if u in header[ai]), UNITS["元"])

    def error(n: int, k: int, value: str, message: str) -> None:
        errors.append(RowError(n, header[k], value, message, column_no=k + 1))

    errors: list[RowError] = []
    lines: list[BudgetLine] = []
    seen: dict[str, int] = {}
    for i, r in rows[header_at + 1:]:
        code, name, raw = _cell(r, ci), _cell(r, ni), _cell(r, ai)
        if not code and not raw:
            continue  # a row with neither code nor amount
        code = code.removesuffix(".0")
        if not re.fullmatch(r"\d{3}(\d{2}){0,2}", code):
            if code in ("合计", "总计") or name in ("合计", "总计", "一般公共预算支出合计"):
                continue  # a total row: we compute the total ourselves
            error(i, ci, code, f"科目编码“{code}”应为3位（类）、5位（款）或7位（项）数字")
            continue
        try:
            amount = tabular.decimal(raw) * unit
        except CellError:
            error(i, ai, raw, f"金额“{raw}”不是数字")
            continue
        if amount < 0:
            error(i, ai, raw, f"金额不能为负数（收到 {raw}）")
            continue
        if code in seen:
            error(i, ci, code, f"科目 {code} 与第{seen[code]}行重复")
            continue
        seen[code] = i
        lines.append(BudgetLine(i, code, name, amount))
    if errors:
        raise BudgetFileError(errors)
    if not lines:
        raise BudgetFileError([file_error("文件中没有支出数据行。")])
    return lines


def livelihood_share(lines: list[BudgetLine], classes: dict[str, str] | None = None) -> ShareResult:
    classes = load_livelihood_classes() if classes is None else classes
    by_class: dict[str, Decimal] = {}
    names: dict[str, str] = {}
    notes: list[str] = []
    class_rows = {ln.code: ln for ln in lines if len(ln.code) == 3}
    for c, ln in class_rows.items():
        by_class[c] = ln.amount
        names[c] = ln.name
    # Classes given only by their sections (or items): sum the most aggregated level present.
    for c in sorted({class_of(ln.code) for ln in lines} - set(class_rows)):
        sections = [ln for ln in lines if class_of(ln.code) == c and len(ln.code) == 5]
        items = [ln for ln in lines if class_of(ln.code) == c and len(ln.code) == 7]
        covered = {s.code for s in sections}
        extra = [it for it in items if it.code[:5] not in covered]
        by_class[c] = sum((s.amount for s in sections), Decimal(0)) + sum(
            (it.amount for it in extra), Decimal(0))
        notes.append(f"类 {c} 没有类级合计行，按其下级科目求和：{yuan_display(by_class[c])}")
    for c, ln in class_rows.items():
        sub = sum((x.amount for x in lines if class_of(x.code) == c and len(x.code) == 5),
                  Decimal(0))
        if sub and sub != ln.amount:
            notes.append(f"类 {c} 的款级合计 {yuan_display(sub)} 与类级数 {yuan_display(ln.amount)} "
                         f"不一致，按类级数计")
    total = sum(by_class.values(), Decimal(0))
    livelihood = sum((a for c, a in by_class.items() if c in classes), Decimal(0))
    return ShareResult(total, livelihood, by_class, names, classes, notes)


def share_of_amounts(amounts: Iterable[tuple[str, Decimal]],
                     classes: dict[str, str] | None = None) -> ShareResult | None:
    """livelihood_share of (code, amount) pairs, e.g. stored lines summed by code in SQL (the
    indicator source and the report call this); None when there are none."""
    lines = [BudgetLine(0, code, "", amount) for code, amount in amounts]
    return livelihood_share(lines, classes) if lines else None


def share_of_file(path: Path, classes: dict[str, str] | None = None) -> ShareResult:
    return livelihood_share(read_budget_file(Path(path).read_bytes(), Path(path).name), classes)
