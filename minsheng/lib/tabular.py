"""Reading tables (.xlsx, .csv) for import, all-or-nothing, with one error shape.

Every importer of the project stands on this module: places (compounds, facilities,
organisations), the 12345 hotline, projects and budget lines, indicator returns, the life-circle
CSVs. The importers keep their own columns and resolution rules; the machinery is here:

- `read_table(file, name)`: the non-empty rows of a spreadsheet or CSV as text, with the row
  numbers the user sees. CSV may be UTF-8 (with or without BOM), GBK/GB18030 (Chinese Excel's
  "CSV") or UTF-16; `,`, tab or `;` separated. A file that is not what its name says (a PNG named
  .xlsx), too large, or unreadable is refused with a Chinese message.
- `Column` and the cell parsers (`text`, `uint`, `year`, `degrees`, `number`, `decimal`, `date`,
  `boolean`, `choice`, `phone`, `code`, `credit_code`): a parser takes the cell's text and
  returns the value or raises `CellError` saying what was expected.
- `find_header` / `map_header`: Chinese headers (or aliases), tolerant of spaces, full-width
  characters, case and “*”/“（必填）” marks, with a title row or two allowed above the header.
- `TableImport`: read → map headers → parse every row → resolve → reject all or write all in one
  transaction → audit (a hook the app's subclass provides).
- `RowError` (the one error shape), `ImportRejected`, `ImportResult` and `error_report` (the
  problems as a downloadable .xlsx).

Formulas and control characters. A formula cell of an .xlsx counts as the value Excel computed and
saved with the file (what the user sees); a formula without a saved value (a file written by a
program, never opened in Excel) is refused by cell, never evaluated. A CSV cell such as “=1+2”
is plain text. Control characters (other than tab and line breaks) and bidirectional-override
characters are refused by cell (the rule is `lib.text.CONTROL_CHARS`); zero-width spaces and
no-break spaces are cleaned up.

Templates: one writer. Every import template is written by `template_xlsx` (one data sheet) or
by `template_sheet` and `help_sheet` (several): a bold, frozen header row (dark for required
columns), the columns' widths, text format for the columns kept as text, a drop-down on every
column with a fixed set of values (`Column.choices`, or a list known at run time; long lists in
the hidden “选项” sheet), and a “说明” sheet listing every column with whether it is required, its
format (`Column.format`, else the parser's hint) and its allowed values. The import skips both
helper sheets.

Writing: one writer, against formula injection (OWASP "CSV Injection"). Every export and template
writes its rows through `append_row` (.xlsx) or `csv_bytes` (.csv), which pass each value through
`cell_value`: a text beginning with “=”, “+”, “-”, “@”, tab or carriage return (after any single
quotes) gets a single quote in front, in .xlsx as in CSV, so that Excel, WPS and LibreOffice show
it as text and never evaluate it; in .xlsx the cell is also forced to a text cell (openpyxl would
make a formula of any text beginning with “=”). The import error report alone keeps the user's
cells exactly, as text cells marked “quotePrefix” (see `append_row`). Numbers, dates and booleans are written as they
are (a negative number stays a number). A control character stored before input refused them
becomes U+FFFD rather than breaking the file. Reading undoes the quote: `read_table` drops the
single quote in front of such a text, so a file we exported imports back to the original text.
"""

from __future__ import annotations

import base64
import calendar
import codecs
import csv
import datetime as dt
import io
import math
import re
import threading
import unicodedata
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

import openpyxl
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from openpyxl.reader import excel as openpyxl_excel
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet._reader import DATA_TAG, DIMENSION_TAG
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.dimensions import SheetDimension
from openpyxl.xml.functions import iterparse  # defusedxml's when installed, as openpyxl reads

from minsheng.lib.text import CONTROL_CHARS, replace_control_chars

__all__ = [
    "show_rejection",
    "CONFLICT", "CSV_TYPE", "DATE_HINT", "HEAD_OPTIONAL_FILL", "HEAD_REQUIRED_FILL", "IGNORED_HEADERS", "MAX_BYTES",
    "MAX_ROWS", "MAX_UNZIPPED", "MAX_ZIP_MEMBERS", "MAX_ZIP_RATIO", "TEMPLATE_ROWS", "XLSX_TYPE", "CellError", "Column", "ImportRejected", "ImportResult", "Row",
    "RowError", "Table", "TableImport", "append_row", "boolean", "cell_text", "cell_value", "choice",
    "code", "credit_code", "csv_bytes", "date", "decimal", "degrees", "error_report", "file_error", "find_header",
    "header_key", "help_sheet", "labels", "map_header", "norm", "number", "phone", "read_bytes",
    "read_table", "style_header", "template_sheet", "template_xlsx", "text", "uint", "workbook_bytes", "year",
]

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"

MAX_ROWS = 20_000  # data rows in one file
HEADER_ROWS = 50  # room above the data for a title and the header, read past MAX_ROWS
MAX_BYTES = 20 * 1024 * 1024  # a 20,000-row .xlsx of places is about 2 MB, as CSV about 3 MB
# An .xlsx is a zip: its directory says how large every part is once decompressed (zipfile never
# inflates a part past that), so a zip bomb is refused from the directory, before any parsing.
MAX_UNZIPPED = 100 * 1024 * 1024  # all parts together, decompressed
MAX_ZIP_RATIO = 100  # decompressed / compressed, over the whole file (real .xlsx: under 20)
RATIO_FLOOR = 4 * 1024 * 1024  # below this decompressed size any ratio is harmless
MAX_ZIP_MEMBERS = 1000  # parts (sheets, styles, pictures …); real workbooks have a few dozen
IGNORED_HEADERS = frozenset({"序号", "备注", "id", "编号"})
HELP_SHEET = "说明"  # a template's explanation of its columns (help_sheet)
OPTIONS_SHEET = "选项"  # hidden: drop-down lists too long to write in the rule (template_sheet)
HELPER_SHEETS = (HELP_SHEET, OPTIONS_SHEET)  # never read as data


# --- errors and results -------------------------------------------------------------------------


@dataclass
class RowError:
    """One problem, where the user finds it: `row` as the spreadsheet shows it (0: the file as a
    whole), `column_no` the file's column (1 = A; 0: not one column), `column` its header (or a
    GeoJSON property name), `value` the cell as read. `unit` is "行" for tables, "个要素" for
    GeoJSON features.

    Renders as “第3行 第7列（户数）：应为非负整数，收到“十二”” — the row and column parts left out
    where they do not apply (“第2个要素（区划代码）：…”, or the message alone for the file)."""

    row: int = 0
    column: str = ""
    value: str = ""
    message: str = ""
    column_no: int = 0
    unit: str = "行"  # or "个要素" (a GeoJSON feature); translated when shown, see UNIT_WORDS

    @property
    def where(self) -> str:
        parts = []
        if self.row:
            parts.append(_("第%(n)d%(unit)s") % {"n": self.row, "unit": _(self.unit)})
        if self.column_no:
            parts.append(_("第%(m)d列") % {"m": self.column_no}
                         + (f"（{self.column}）" if self.column else ""))
        elif self.column and parts:
            parts[-1] += f"（{self.column}）"
        return " ".join(parts)

    def __str__(self) -> str:
        where = self.where
        return f"{where}：{self.message}" if where else self.message


UNIT_WORDS = (gettext_noop("行"), gettext_noop("个要素"))  # for makemessages: RowError.unit


def file_error(message: str, column: str = "", value: str = "") -> RowError:
    """A problem of the file as a whole (no row)."""
    return RowError(0, column, value, message)


class ImportRejected(Exception):  # noqa: N818 - the name is the contract
    """The file was not imported; `errors` lists every problem found. Nothing was written."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__(_("导入未完成：发现 %(n)d 处问题，数据库没有任何改动") % {"n": len(errors)})


@dataclass
class ImportResult:
    created: int
    updated: int


class CellError(ValueError):
    """A cell value that cannot be accepted; the message says what was expected."""


# --- cell values -----------------------------------------------------------------------------


def norm(text: str) -> str:
    """Full-width digits and punctuation to ASCII, surrounding space removed."""
    return unicodedata.normalize("NFKC", text).strip()


def cell_text(v: Any) -> str:
    """A spreadsheet or CSV cell as text (numbers keep every digit; 12-digit codes stay whole)."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return repr(v)
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%d %H:%M") if (v.hour or v.minute) else v.strftime("%Y-%m-%d")
    if isinstance(v, dt.time):
        return v.strftime("%H:%M")
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v).replace("\u200b", "").replace("\ufeff", "").replace("\xa0", " ").strip()


# The first characters by which Excel, WPS or LibreOffice take a cell for a formula (OWASP).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _quoted(t: str) -> bool:
    """Whether text needs the quote: after any quotes of its own, it starts like a formula (a
    text that already starts “'=” gets one more, so that reading back is exact)."""
    return t.lstrip("'").startswith(FORMULA_START)


def _unquote(t: str) -> str:
    """A cell as read, without the quote `cell_value` put in front of a formula-like text."""
    return t[1:] if t.startswith("'") and _quoted(t) else t


def text(max_len: int) -> Callable[[str], str]:
    def parse(t: str) -> str:
        if len(t) > max_len:
            raise CellError(f"不能超过 {max_len} 个字，收到 {len(t)} 个字")
        return t

    return _hinted(parse, f"文字，最多 {max_len} 个字")


def _hinted(parse: Callable[[str], Any], hint: str) -> Callable[[str], Any]:
    """The parser with its format in words (`parse.hint`), for the templates' 说明 sheet."""
    parse.hint = hint  # type: ignore[attr-defined]
    return parse


_INT_RE = re.compile(r"^\d+(?:\.0*)?$")


def uint(t: str) -> int:
    """A non-negative whole number (“1,200” and “12.0” accepted)."""
    s = norm(t).replace(",", "").replace(" ", "")
    if not _INT_RE.match(s):
        raise CellError(f"应为非负整数，收到“{t}”")
    return int(s.split(".")[0])


_hinted(uint, "非负整数")


def year(t: str) -> int:
    s = norm(t).removesuffix("年")
    try:
        y = uint(s)
    except CellError:
        raise CellError(f"应为四位年份（如 1998），收到“{t}”") from None
    if not 1900 <= y <= 2100:
        raise CellError(f"应为 1900–2100 之间的年份，收到“{t}”")
    return y


_hinted(year, "四位年份，如 1998")


def degrees(t: str) -> float:
    """A longitude or latitude in decimal degrees (“116.6839°” accepted)."""
    s = norm(t).rstrip("°").replace(" ", "")
    try:
        v = float(s)
    except ValueError:
        raise CellError(f"应为十进制度数（如 116.6839），收到“{t}”") from None
    if not math.isfinite(v):
        raise CellError(f"应为十进制度数（如 116.6839），收到“{t}”")
    return v


_hinted(degrees, "十进制度数，如 116.6839")


def _shown_number(x: float) -> str:
    return f"{x:g}" if abs(x) < 1e6 else f"{x:,.0f}"


def number(lo: float | None = None, hi: float | None = None) -> Callable[[str], float]:
    """A finite number, optionally within [lo, hi]."""
    low = "" if lo is None else _shown_number(lo)
    high = "" if hi is None else _shown_number(hi)

    def parse(t: str) -> float:
        s = norm(t).replace(",", "").replace(" ", "")
        try:
            v = float(s)
        except ValueError:
            raise CellError(f"应为数字，收到“{t}”") from None
        if not math.isfinite(v):
            raise CellError(f"应为数字，收到“{t}”")
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            if lo is not None and hi is not None:
                raise CellError(f"应在 {low}～{high} 之间，收到“{t}”")
            raise CellError(f"不能小于 {low}，收到“{t}”" if lo is not None
                            else f"不能大于 {high}，收到“{t}”")
        return v

    bounds = (f"{low}～{high}" if lo is not None and hi is not None else
              f"不小于 {low}" if lo is not None else f"不大于 {high}" if hi is not None else "")
    return _hinted(parse, f"数字，{bounds}" if bounds else "数字")


# the largest exact number an import takes: money columns hold 16 digits, 2 after the point
MAX_DECIMAL = Decimal(10) ** 14


def decimal(t: str, what: str = "数字") -> Decimal:
    """An exact number (thousands separators allowed); `what` names it in the message."""
    s = norm(t).replace(",", "").replace("，", "").replace(" ", "")
    try:
        v = Decimal(s)
    except InvalidOperation:
        raise CellError(f"应为{what}，收到“{t}”") from None
    if not v.is_finite():
        raise CellError(f"应为{what}，收到“{t}”")
    if abs(v) >= MAX_DECIMAL:  # more than any column holds (PostgreSQL would refuse it: a 500)
        raise CellError(f"{what}过大，收到“{t[:30]}”")
    return v


_hinted(decimal, "数字")


DATE_HINT = "如 2026-03-01、2026/3/1 或 2026年3月1日"
_FULL_DATE = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})[日号]?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_MONTH_DATE = re.compile(r"^(\d{4})(?:年|[-/.])(\d{1,2})月?(底|末|初)?$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def date(month_end: bool = False) -> Callable[[str], dt.date]:
    """Dates as offices write them. A month alone (“2026年6月”, “2026年6月底”) means its first day,
    or its last day when `month_end` (a deadline); “底/末” always the last day. An Excel date
    serial (a date cell typed as a number) is accepted."""

    def parse(t: str) -> dt.date:
        s = re.sub(r"[ T]\d{1,2}:\d{2}(?::\d{2})?$", "", norm(t)).replace(" ", "")
        try:
            for rx in _FULL_DATE:
                m = rx.match(s)
                if m:
                    return dt.date(int(m[1]), int(m[2]), int(m[3]))
            m = _MONTH_DATE.match(s)
            if m:
                y, mo = int(m[1]), int(m[2])
                last = m[3] in ("底", "末") or (month_end and m[3] != "初")
                return dt.date(y, mo, calendar.monthrange(y, mo)[1] if last else 1)
        except ValueError:
            raise CellError(f"不是有效的日期（{DATE_HINT}），收到“{t}”") from None
        if re.fullmatch(r"\d{5}(?:\.\d+)?", s) and 20_000 <= float(s) <= 80_000:
            return _EXCEL_EPOCH + dt.timedelta(days=int(float(s)))  # an Excel date serial
        raise CellError(f"应为日期（{DATE_HINT}），收到“{t}”")

    return _hinted(parse, f"日期，{DATE_HINT}" + ("；只写月份按当月最后一天" if month_end else ""))


_YES = frozenset({"是", "y", "yes", "true", "1", "√", "✓", "✔", "对"})
_NO = frozenset({"否", "n", "no", "false", "0", "×", "✗", "✘", "不是"})


def boolean(t: str) -> bool:
    s = norm(t).lower()
    if s in _YES:
        return True
    if s in _NO:
        return False
    raise CellError(f"应填“是”或“否”，收到“{t}”")


_hinted(boolean, "“是”或“否”")


def choice(options: dict[str, str], shown: Iterable[str], hint: str = "") -> Callable[[str], str]:
    """A value from a fixed list; `options` maps accepted spellings to stored values."""
    lookup = {norm(k).lower().replace(" ", ""): v for k, v in options.items()}
    listed = "、".join(f"“{s}”" for s in shown)

    def parse(t: str) -> str:
        key = norm(t).lower().replace(" ", "")
        if key in lookup:
            return lookup[key]
        raise CellError(f"应为 {listed} 之一{hint}，收到“{t}”")

    return _hinted(parse, "从“允许的值”中选一个")


def labels(choices: Iterable[Any]) -> dict[str, str]:
    """Accepted spellings of a Django TextChoices class: each label and each non-empty value."""
    members = list(choices)
    out = {str(c.label): c.value for c in members}
    out.update({c.value: c.value for c in members if c.value})
    return out


_SCI_RE = re.compile(r"^\d(?:\.\d+)?e\+?\d+$", re.IGNORECASE)


def code(t: str) -> str:
    """A 12-digit statistical region code (统计用区划代码), kept as text."""
    s = norm(t).replace(" ", "")
    if s.startswith("'"):
        s = s[1:]
    if s.startswith('="') and s.endswith('"'):
        s = s[2:-1]
    if re.fullmatch(r"\d{12}\.0*", s):
        s = s.split(".")[0]
    if _SCI_RE.match(s):
        raise CellError(f"区划代码被 Excel 显示成了科学计数法“{t}”，位数已丢失：请把该列设为“文本”格式，"
                        "重新填写12位代码")
    if not re.fullmatch(r"\d{12}", s):
        raise CellError(f"应为12位数字的统计用区划代码（如 131002001001），收到“{t}”")
    return s


_hinted(code, "12位统计用区划代码（文本格式）")


def phone(t: str) -> str:
    """A telephone number; a masked one (with *) is passed on for the importer to resolve."""
    s = norm(t)
    if len(s) > 30:
        raise CellError(f"不能超过 30 个字符，收到“{t}”")
    if "*" in s:  # masked in an export: resolved against the stored number later
        return s
    digits = sum(c.isdigit() for c in s)
    if digits < 7 or not re.fullmatch(r"[\d+\-() 转/、,]+", s):
        raise CellError(f"应为电话号码（如 13812345678 或 0316-1234567），收到“{t}”")
    return s


_hinted(phone, "电话号码，如 13812345678 或 0316-1234567")


def credit_code(t: str) -> str:
    """A unified social credit code (统一社会信用代码): 18 digits or capital letters."""
    s = norm(t).upper().replace(" ", "")
    if not re.fullmatch(r"[0-9A-Z]{18}", s):
        raise CellError(f"统一社会信用代码应为18位数字或大写字母，收到“{t}”")
    return s


_hinted(credit_code, "18位统一社会信用代码")


# --- columns and headers ---------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str  # the model field (or a pseudo-field resolved by the importer)
    header: str  # the Chinese header in templates and exports
    parse: Callable[[str], Any]
    required: bool = False
    note: str = ""  # how to fill it in (the 说明 sheet)
    choices: tuple[str, ...] = ()  # offered as a drop-down in the template
    aliases: tuple[str, ...] = ()
    default: Any = None  # stored for a blank cell
    width: int = 14
    text: bool = False  # kept as text in Excel (codes, phone numbers)
    format: str = ""  # the format in words (the 说明 sheet); default: the parser's hint

    @property
    def format_text(self) -> str:
        """What the 说明 sheet shows as the column's format."""
        return self.format or getattr(self.parse, "hint", "") or ("文本" if self.text else "文字")


def header_key(text: str) -> str:
    """A header as compared: full-width folded, lower case, no spaces, no “*”/“（必填）” marks."""
    s = norm(text).lower().replace(" ", "")
    s = s.replace("(必填)", "").replace("必填", "").strip("*")
    return s


def find_header(table: Table, columns: Iterable[Column], label: str
                ) -> tuple[int, list[str], list[tuple[int, list[str]]]]:
    """The header row (normally row 1; a title row or two above it is tolerated), the header
    cells and the data rows after it. Raises ImportRejected for an empty file, a file without a
    recognisable header, without data, or with more than MAX_ROWS data rows."""
    columns = list(columns)
    rows = table.rows
    if not rows:
        raise ImportRejected([file_error(_("文件是空的：既没有表头，也没有数据"))])
    known = {header_key(a) for c in columns for a in (c.header, *c.aliases)}
    best, best_hits = 0, 0
    for i, (_n, cells) in enumerate(rows[:5]):
        hits = sum(header_key(c) in known for c in cells if c)
        if hits > best_hits:
            best, best_hits = i, hits
    if best_hits == 0:
        raise ImportRejected([file_error(
            _("找不到表头：第1行应为列名（如“%(first)s”），请使用%(label)s导入模板")
            % {"first": columns[0].header, "label": label})])
    header_row, header = rows[best]
    data = rows[best + 1:]
    if not data:
        raise ImportRejected([file_error(_("文件只有表头，没有数据行"))])
    if len(data) > MAX_ROWS or table.truncated:
        raise ImportRejected([file_error(_("一次最多导入 %(n)d 行，请拆分文件") % {"n": MAX_ROWS})])
    return header_row, header, data


def map_header(columns: Iterable[Column], header_row: int, header: list[str], *, label: str,
               ignored: frozenset[str] = IGNORED_HEADERS) -> dict[int, Column]:
    """Column index in the file → Column. Raises ImportRejected listing every unknown or repeated
    header and every missing required column."""
    columns = list(columns)
    lookup: dict[str, Column] = {}
    for c in columns:
        for a in (c.header, *c.aliases):
            lookup.setdefault(header_key(a), c)
    errors: list[RowError] = []
    mapping: dict[int, Column] = {}
    seen: dict[str, int] = {}
    for i, cell in enumerate(header):
        if not cell or header_key(cell) in ignored:
            continue
        col = lookup.get(header_key(cell))
        if col is None:
            errors.append(RowError(header_row, cell, cell,
                                   f"无法识别的列名“{cell}”：请使用模板中的列名（不需要的列可以删除）",
                                   column_no=i + 1))
        elif col.key in seen:
            errors.append(RowError(header_row, cell, cell,
                                   f"列“{col.header}”出现了两次（第 {seen[col.key] + 1} 列和第 {i + 1} 列）",
                                   column_no=i + 1))
        else:
            seen[col.key] = i
            mapping[i] = col
    for c in columns:
        if c.required and c.key not in seen:
            errors.append(file_error(f"缺少必填列“{c.header}”：请使用{label}导入模板的表头",
                                     column=c.header))
    if errors:
        raise ImportRejected(errors)
    return mapping


# --- reading files ---------------------------------------------------------------------------

_MAGIC = (
    (b"\x89PNG", "PNG 图片"), (b"\xff\xd8\xff", "JPEG 图片"), (b"GIF8", "GIF 图片"),
    (b"%PDF", "PDF 文档"), (b"Rar!", "RAR 压缩包"), (b"7z\xbc\xaf", "7z 压缩包"),
    (b"\x1f\x8b", "gzip 压缩包"), (b"MZ", "程序文件"),
)
_OLE = b"\xd0\xcf\x11\xe0"  # old .xls / .doc
_ZIP = b"PK\x03\x04"


@dataclass
class Table:
    """The non-empty rows of one sheet (or CSV) as text, each with its row number in the file."""

    rows: list[tuple[int, list[str]]]
    sheets: list[str] = field(default_factory=list)  # an .xlsx's sheet names ([] for CSV)
    sheet: str = ""  # the sheet read
    truncated: bool = False  # reading stopped past MAX_ROWS


def read_bytes(file: bytes | IO[bytes] | Path, *, max_bytes: int = MAX_BYTES) -> bytes:
    """The file's content; ImportRejected when it is larger than `max_bytes`."""
    if isinstance(file, Path):
        if not file.is_file():  # missing, a directory, a device
            raise ImportRejected([file_error(_("找不到文件，或它不是普通文件：%(name)s")
                                             % {"name": file.name})])
        with file.open("rb") as f:
            content = f.read(max_bytes + 1)
    elif isinstance(file, bytes | bytearray):
        content = bytes(file)
    else:
        content = file.read(max_bytes + 1)
    if len(content) > max_bytes:
        raise ImportRejected([file_error(
            _("文件太大：一次最多上传 %(mb)s MB，请拆分文件后分批导入")
            % {"mb": f"{max_bytes / 1024 / 1024:g}"})])
    return content


def _disguise(content: bytes) -> str | None:
    """What the content really is, when it is plainly not a table (a picture, a PDF …)."""
    return next((what for magic, what in _MAGIC if content.startswith(magic)), None)


def read_table(file: bytes | IO[bytes] | Path, name: str, *, sheet: str | None = None,
               max_bytes: int = MAX_BYTES) -> Table:
    """The rows of an .xlsx (sheet `sheet` if it has one, else the first sheet other than
    说明/选项) or a CSV, as text. Raises ImportRejected with a Chinese message for a file that is
    too large, disguised (a picture named .xlsx), an old .xls, damaged or in an unknown encoding,
    and listing every cell holding a control character or a formula without a value."""
    content = read_bytes(file, max_bytes=max_bytes)
    lower = (name or "").lower()
    shown = name or _("未命名")
    what = _disguise(content)
    if what:
        raise ImportRejected([file_error(
            _("无法读取这个文件：“%(name)s”的内容是%(what)s，不是表格；请上传 .xlsx 或 .csv 文件")
            % {"name": shown, "what": what})])
    if content.startswith(_OLE) or lower.endswith(".xls"):
        raise ImportRejected([file_error(
            _("不支持旧版 Excel (.xls) 文件：请在 Excel 中“另存为” .xlsx 或“CSV UTF-8”后再上传"))])
    if content.startswith(_ZIP) or lower.endswith((".xlsx", ".xlsm")):
        table = _xlsx_table(content, sheet)
    else:
        table = _csv_table(content)
    _check_cells(table)
    return table


def _decode_csv(content: bytes) -> str:
    if content.startswith(codecs.BOM_UTF8):
        try:
            return content[len(codecs.BOM_UTF8):].decode("utf-8")
        except UnicodeDecodeError:
            pass
    elif content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return content.decode("utf-16")
        except UnicodeDecodeError:
            pass
    elif b"\x00" not in content[:4096]:
        for encoding in ("utf-8", "gb18030"):  # gb18030 is a superset of GBK (Chinese Excel)
            try:
                return content.decode(encoding)
            except UnicodeDecodeError:
                continue
    raise ImportRejected([file_error(
        _("无法读取这个文件：不是文本表格，或无法识别文字编码；请在 Excel 中另存为“CSV UTF-8”或 .xlsx"))])


def _csv_table(content: bytes) -> Table:
    data = _decode_csv(content)
    first = data.split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=first.count) if first else ","
    rows = []
    truncated = False
    try:
        for n, cells in enumerate(csv.reader(io.StringIO(data, newline=""), delimiter=delimiter),
                                  start=1):
            texts = [_unquote(cell_text(c)) for c in cells]
            if any(texts):
                rows.append((n, texts))
                if len(rows) > MAX_ROWS + HEADER_ROWS:
                    truncated = True
                    break
    except csv.Error as e:
        raise ImportRejected([file_error(_("无法读取 CSV 文件：%(e)s") % {"e": e})]) from None
    return Table(rows, truncated=truncated)


def _check_zip(content: bytes) -> None:
    """Refuse a zip bomb from the zip's directory: too many parts, too large once decompressed,
    or compressed far more than any real workbook. Nothing is decompressed here."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError, RuntimeError, ValueError):
        return  # openpyxl says it is damaged, in its own message
    if len(infos) > MAX_ZIP_MEMBERS:
        raise ImportRejected([file_error(
            _("无法读取这个文件：Excel 文件包含的内部文件数过多（%(n)d 个，最多 %(max)d 个），"
              "不像是正常的表格；请在 Excel 中另存为新的 .xlsx 后再上传")
            % {"n": len(infos), "max": MAX_ZIP_MEMBERS})])
    total = sum(i.file_size for i in infos)
    if total > MAX_UNZIPPED:
        raise ImportRejected([file_error(
            _("无法读取这个文件：Excel 文件解压后有 %(mb)d MB，超过 %(max)d MB 的上限；"
              "请删除多余的工作表或拆分文件后再上传")
            % {"mb": total // (1024 * 1024), "max": MAX_UNZIPPED // (1024 * 1024)})])
    if total > RATIO_FLOOR and total > MAX_ZIP_RATIO * max(len(content), 1):
        raise ImportRejected([file_error(
            _("无法读取这个文件：Excel 文件的压缩比异常（解压后是原文件的 %(ratio)d 倍），"
              "不像是正常的表格；请在 Excel 中另存为新的 .xlsx 后再上传")
            % {"ratio": total // max(len(content), 1)})])


class _StreamedSheet(ReadOnlyWorksheet):
    """A read-only sheet sized only from a <dimension> at the head of its XML. openpyxl, when a
    file has none there, parses the whole sheet to find out (20 s and more for a million rows,
    twice, before the first row is read); here the sheet is then left unsized (rows are not
    padded to its width), so reading stays bounded by the row limit."""

    def _get_size(self) -> None:
        src = self._get_source()
        try:
            for _event, el in iterparse(src, events=("start",)):
                if el.tag == DIMENSION_TAG:
                    dims = SheetDimension.from_tree(el).boundaries
                    if dims is not None:
                        self._min_column, self._min_row, self._max_column, self._max_row = dims
                    return
                if el.tag == DATA_TAG:  # the rows begin: no size given
                    return
        except SyntaxError:  # ElementTree's ParseError
            return  # reading the rows says the file is damaged
        finally:
            src.close()


_OPENING = threading.Lock()


def _open_xlsx(content: bytes, *, data_only: bool):
    """openpyxl's read-only (streaming) workbook, its sheets not sized on opening."""
    with _OPENING:
        openpyxl_excel.ReadOnlyWorksheet = _StreamedSheet
        try:
            return openpyxl.load_workbook(io.BytesIO(content), read_only=True,
                                          data_only=data_only)
        finally:
            openpyxl_excel.ReadOnlyWorksheet = ReadOnlyWorksheet


def _has_formulas(content: bytes) -> bool:
    """Whether a sheet holds a formula cell, read in pieces (never a whole sheet in memory)."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as z:
            for n in z.namelist():
                if not (n.startswith("xl/worksheets/") and n.endswith(".xml")):
                    continue
                with z.open(n) as f:
                    tail = b""
                    while chunk := f.read(1024 * 1024):
                        piece = tail + chunk
                        if b"<f>" in piece or b"<f " in piece:
                            return True
                        tail = piece[-3:]
    except (zipfile.BadZipFile, KeyError, OSError, RuntimeError):
        return False
    return False


def _xlsx_table(content: bytes, sheet: str | None) -> Table:
    _check_zip(content)
    try:
        wb = _open_xlsx(content, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged or foreign file
        raise ImportRejected([file_error(
            _("无法读取这个文件：Excel 文件已损坏，或不是 .xlsx 格式（旧版 .xls 请另存为 .xlsx）"))]) from None
    try:
        names = wb.sheetnames
        if not names:
            return Table([], [])
        title = sheet if sheet in names else next(
            (n for n in names if n not in HELPER_SHEETS), names[0])
        formulas = _formula_cells(content, title) if _has_formulas(content) else {}
        rows: list[tuple[int, list[str]]] = []
        errors: list[RowError] = []
        truncated = False
        for n, cells in enumerate(wb[title].iter_rows(values_only=True), start=1):
            texts = [_unquote(cell_text(c)) if isinstance(c, str) else cell_text(c) for c in cells]
            for j, formula in formulas.get(n, {}).items():
                if j < len(texts) and texts[j] == "":
                    errors.append(RowError(n, "", formula, _(
                        "这是公式，文件中没有保存计算结果：请在 Excel 中打开、保存后再上传，"
                        "或把该列“选择性粘贴”为数值"), column_no=j + 1))
            if any(texts):
                rows.append((n, texts))
                if len(rows) > MAX_ROWS + HEADER_ROWS:
                    truncated = True  # stop here: find_header refuses the file by its length
                    break
        if errors:
            raise ImportRejected(errors)
        return Table(rows, list(names), title, truncated)
    finally:
        wb.close()


def _formula_cells(content: bytes, title: str) -> dict[int, dict[int, str]]:
    """Row → column index → formula text, for the cells of the sheet that hold a formula, up to
    as many non-empty rows as _xlsx_table reads."""
    wb = _open_xlsx(content, data_only=False)
    try:
        out: dict[int, dict[int, str]] = {}
        filled = 0
        for n, cells in enumerate(wb[title].iter_rows(), start=1):
            for j, c in enumerate(cells):
                if getattr(c, "data_type", None) == "f":
                    out.setdefault(n, {})[j] = str(c.value)
            if any(c.value is not None for c in cells):
                filled += 1
                if filled > MAX_ROWS + HEADER_ROWS:
                    break
        return out
    finally:
        wb.close()


def _check_cells(table: Table) -> None:
    errors = []
    for n, cells in table.rows:
        for j, t in enumerate(cells):
            m = CONTROL_CHARS.search(t)
            if m is not None:
                ch = m.group()
                errors.append(RowError(n, "", t.encode("unicode_escape").decode("ascii")[:60], _(
                    "含有不可见的控制字符（U+%(code)04X），可能是从其他系统复制来的：请删除后重新上传")
                    % {"code": ord(ch)}, column_no=j + 1))
    if errors:
        raise ImportRejected(errors)


# --- the all-or-nothing import -----------------------------------------------------------------


@dataclass
class Row:
    """One data row: `num` as the user sees it, `raw` key → the cell as text, `val` key → the
    parsed value (only cells that parsed; importers add resolved values under their own keys)."""

    num: int
    raw: dict[str, str]
    val: dict[str, Any] = field(default_factory=dict)


CONFLICT = "保存时与其他人同时提交的数据冲突，没有任何改动，请稍后重新导入"


class TableImport:
    """Read → map headers → parse every row → resolve → reject all or write all → audit.

    A subclass sets `label` (the kind, for messages; also the preferred sheet name) and
    `columns`, and provides `resolve(rows) -> pending` (lookups, scope, cross-row checks; report
    problems with `error`), `write(pending) -> ImportResult` and `audit(result, pending)` (the
    audit log entry). `run` calls them, all inside one transaction: any error recorded by then
    raises ImportRejected listing every problem, and nothing is written."""

    label: str = ""
    columns: tuple[Column, ...] = ()
    sheet: str | None = None  # defaults to `label`

    def __init__(self) -> None:
        self.errors: list[RowError] = []
        self.mapping: dict[int, Column] = {}
        self.positions: dict[str, int] = {}  # column key → its column number in the file
        self.header: list[str] = []
        self.header_row = 0
        self.table = Table([])

    # the steps
    def run(self, file: bytes | IO[bytes] | Path, filename: str) -> ImportResult:
        data = self.read(file, filename)
        with transaction.atomic():
            rows = [self.parse(num, cells) for num, cells in data]
            pending = self.resolve(rows)
            self.reject_if_errors()
            try:
                result = self.write(pending)
            except IntegrityError:
                raise ImportRejected([file_error(CONFLICT)]) from None
            self.reject_if_errors()  # rolls back what write() did
            self.audit(result, pending)
        return result

    def read(self, file: bytes | IO[bytes] | Path, filename: str) -> list[tuple[int, list[str]]]:
        self.table = table = read_table(file, filename, sheet=self.sheet or self.label)
        self.header_row, self.header, data = find_header(table, self.columns, self.label)
        self.use_mapping(map_header(self.columns, self.header_row, self.header, label=self.label))
        return data

    def use_mapping(self, mapping: dict[int, Column]) -> None:
        self.mapping = mapping
        self.positions = {c.key: i + 1 for i, c in mapping.items()}

    def parse(self, num: int, cells: list[str], mapping: dict[int, Column] | None = None,
              report: Callable[[Row, str, str], None] | None = None) -> Row:
        """Each cell on its own: blank → default (or “必填”), else the column's parser. Problems
        go to `report` (default `error`); `mapping` defaults to the header's (a second sheet has
        its own)."""
        mapping = self.mapping if mapping is None else mapping
        report = report or self.error
        row = Row(num, {c.key: (cells[i] if i < len(cells) else "") for i, c in mapping.items()})
        for col in mapping.values():
            t = row.raw[col.key]
            if t == "":
                if col.required:
                    report(row, col.key, "必填，不能为空")
                else:
                    row.val[col.key] = col.default
                continue
            try:
                row.val[col.key] = col.parse(t)
            except CellError as e:
                report(row, col.key, str(e))
        return row

    def resolve(self, rows: list[Row]) -> Any:
        raise NotImplementedError

    def write(self, pending: Any) -> ImportResult:
        raise NotImplementedError

    def audit(self, result: ImportResult, pending: Any) -> None:
        raise NotImplementedError

    # errors
    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)

    def error(self, row: Row, key: str, message: str, value: str | None = None) -> None:
        """A problem with the cell of column `key` in `row`."""
        self.errors.append(RowError(row.num, self.column(key).header,
                                    row.raw.get(key, "") if value is None else value, message,
                                    column_no=self.positions.get(key, 0)))

    def sorted_errors(self) -> list[RowError]:
        return sorted(self.errors, key=lambda e: (e.row, e.column_no))

    def reject_if_errors(self) -> None:
        errors = self.sorted_errors()
        if errors:
            raise ImportRejected(errors)


# --- writing spreadsheets --------------------------------------------------------------------

HEAD_REQUIRED_FILL = PatternFill("solid", fgColor="1F4E79")
HEAD_OPTIONAL_FILL = PatternFill("solid", fgColor="D9E1F2")


def style_header(ws, widths: list[int], required: list[bool] | None = None) -> None:
    """Row 1 as a header: bold, dark for required columns, frozen; the columns' widths."""
    for i, width in enumerate(widths, start=1):
        cell = ws.cell(row=1, column=i)
        req = required[i - 1] if required else True
        cell.font = Font(bold=True, color="FFFFFF" if req else "1F1F1F")
        cell.fill = HEAD_REQUIRED_FILL if req else HEAD_OPTIONAL_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.row_dimensions[1].height = 30
    ws.freeze_panes = "A2"


TEMPLATE_ROWS = 2000  # rows of a template's sheet that offer the drop-downs
INLINE_LIST_MAX = 250  # Excel's limit for a drop-down list written in the rule itself (255)
HELP_HEADER = ("列名", "是否必填", "格式", "填写说明", "允许的值")


def template_sheet(ws, columns: Iterable[Column], *, rows: Iterable[Iterable[Any]] = (),
                   mark_required: bool = False, choices: dict[str, Iterable[str]] | None = None,
                   header: Iterable[str] | None = None) -> None:
    """The data sheet of an import template (or of an export that imports back), the one way
    they are written: the header row (bold, frozen; dark for required columns, each “header*”
    when `mark_required`, or `header` as given), the columns' widths, text format for the columns
    kept as text (codes, ID and phone numbers: never 1.31002E+17), `rows` through `append_row`,
    and a drop-down on every column with a fixed set of values (`Column.choices`, or
    `choices[key]` for a list known only at run time, such as the categories in the database).
    A list too long for the rule goes to the hidden sheet “选项”, which the import skips."""
    columns = list(columns)
    if header is None:
        header = [f"{c.header}*" if mark_required and c.required else c.header for c in columns]
    append_row(ws, header)
    style_header(ws, [c.width for c in columns], [c.required for c in columns])
    rows = list(rows)
    for values in rows:
        append_row(ws, values)
    last = max(len(rows) + 1, TEMPLATE_ROWS)
    for i, col in enumerate(columns, start=1):
        letter = get_column_letter(i)
        if col.text:  # the column's format, which Excel gives every cell typed into it
            ws.column_dimensions[letter].number_format = "@"
            for r in range(2, len(rows) + 2):
                ws.cell(row=r, column=i).number_format = "@"
        values = list((choices or {}).get(col.key, col.choices))
        if values:
            dv = DataValidation(type="list", formula1=_list_formula(ws.parent, values),
                                allow_blank=True, showErrorMessage=False)
            ws.add_data_validation(dv)
            dv.add(f"{letter}2:{letter}{last}")


def _list_formula(wb, values: list[str]) -> str:
    """A drop-down's list: written in the rule when short and plain, else a column of the
    hidden “选项” sheet. Each value as `cell_value` writes it (the values may come from the
    database: a formula-like one gets its quote, a control character becomes U+FFFD)."""
    values = [cell_value(str(v)) for v in values]
    inline = ",".join(values)
    if len(inline) <= INLINE_LIST_MAX and not any(c in inline for c in '"\'\n') and \
            not any("," in v for v in values):
        return f'"{inline}"'
    if OPTIONS_SHEET in wb.sheetnames:
        options = wb[OPTIONS_SHEET]
        c = options.max_column + 1
    else:
        options = wb.create_sheet(OPTIONS_SHEET)
        options.sheet_state = "hidden"
        c = 1
    for r, v in enumerate(values, start=1):
        options.cell(row=r, column=c, value=v).data_type = "s"
    letter = get_column_letter(c)
    return f"'{OPTIONS_SHEET}'!${letter}$1:${letter}${len(values)}"


def help_sheet(wb, title: str, notes: Iterable[str],
               sections: Iterable[tuple[str, Iterable[Column]]], *,
               allowed: dict[str, str] | None = None,
               tables: Iterable[tuple[Iterable[str], Iterable[Iterable[Any]]]] = (),
               index: int | None = 1):
    """The 说明 sheet of a template, the one way it is written: `title`, the `notes` (one line
    each), then for each (caption, columns) of `sections` a table of the columns — 列名 (the
    caption heads the first column), 是否必填, 格式 (`Column.format_text`), 填写说明 and 允许的值
    (`Column.choices`, or `allowed[key]`) — then any further `tables` (header, rows), such as
    the categories with their codes. Placed at `index` (None: last). The import never reads it."""
    ws = wb.create_sheet(HELP_SHEET, index)
    append_row(ws, [title])
    ws["A1"].font = Font(bold=True, size=14)
    for line in notes:
        append_row(ws, [line])  # not wrapped: a line runs on across the columns
    first = ws.max_row + 1
    for caption, columns in sections:
        ws.append([])
        _help_header(ws, [caption, *HELP_HEADER[1:]])
        for col in columns:
            shown = (allowed or {}).get(col.key, "、".join(col.choices))
            append_row(ws, [col.header, "必填" if col.required else "选填", col.format_text,
                            col.note, shown])
    for head, rows in tables:
        ws.append([])
        _help_header(ws, list(head))
        for row in rows:
            append_row(ws, row)
    for letter, width in zip("ABCDE", (24, 10, 30, 60, 40), strict=True):
        ws.column_dimensions[letter].width = width
    for row in ws.iter_rows(min_row=first):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    return ws


def _help_header(ws, values: list[str]) -> None:
    append_row(ws, values)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
        cell.fill = HEAD_OPTIONAL_FILL


def template_xlsx(title: str, columns: Iterable[Column], notes: Iterable[str], *,
                  rows: Iterable[Iterable[Any]] = (), help_title: str | None = None,
                  mark_required: bool = False, header: Iterable[str] | None = None,
                  choices: dict[str, Iterable[str]] | None = None,
                  allowed: dict[str, str] | None = None,
                  tables: Iterable[tuple[Iterable[str], Iterable[Iterable[Any]]]] = (),
                  help_index: int | None = 1) -> bytes:
    """A one-sheet import template (.xlsx): the data sheet `title` (`template_sheet`, with any
    `rows`) and its 说明 sheet (`help_sheet`, headed “{title}导入说明” unless `help_title`)."""
    columns = tuple(columns)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    template_sheet(ws, columns, rows=rows, mark_required=mark_required, choices=choices,
                   header=header)
    help_sheet(wb, help_title or f"{title}导入说明", notes, [("列名", columns)], allowed=allowed,
               tables=tables, index=help_index)
    return workbook_bytes(wb)


def workbook_bytes(wb) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def cell_value(value: Any) -> Any:
    """A value as the writers put it in a cell: text that a spreadsheet would take for a formula
    gets a single quote in front, control characters become U+FFFD; anything else unchanged.

    >>> [cell_value(v) for v in ("=1+2", "+86 138", "-5", "@SUM(A1)", "'=x", "路灯", -5, None)]
    ["'=1+2", "'+86 138", "'-5", "'@SUM(A1)", "''=x", '路灯', -5, None]
    """
    if not isinstance(value, str):
        return value
    value = replace_control_chars(value)
    return "'" + value if _quoted(value) else value


def append_row(ws, values: Iterable[Any], *, exact: bool = False) -> None:
    """ws.append through `cell_value`: formula-like text gets its quote and every text is a text
    cell (openpyxl would write a formula for text beginning with “=”). The one way the project
    writes a row into an .xlsx.

    `exact` is for the error report only, which shows users their own cells to find them: the
    text is kept as it is, in a text cell marked “quotePrefix” (how Excel stores a cell typed with
    a leading '), so it is still never evaluated, not even when the cell is edited."""
    ws.append([replace_control_chars(v) if exact and isinstance(v, str) else
               v if exact else cell_value(v) for v in values])
    for cell in ws[ws.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"
            if exact and _quoted(cell.value):
                cell.quotePrefix = True


def csv_bytes(header: Iterable[Any], rows: Iterable[Iterable[Any]]) -> bytes:
    """A CSV file (UTF-8 with BOM, CRLF, as Chinese Excel opens it) through `cell_value`; None is
    an empty cell. The one way the project writes a CSV."""
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    for row in (header, *rows):
        w.writerow(["" if v is None else cell_value(v) for v in row])
    return codecs.BOM_UTF8 + buf.getvalue().encode("utf-8")


def error_report(errors: list[RowError]) -> bytes:
    """An .xlsx listing every problem (行/列/值/问题) for the user to work through."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "导入错误"
    append_row(ws, ["行", "列", "值", "问题"])
    style_header(ws, [10, 22, 28, 80])
    for e in errors:
        where = (e.row if e.unit == "行" else f"第{e.row}{e.unit}") if e.row else "文件"
        column = e.column or (f"第{e.column_no}列" if e.column_no else "")
        append_row(ws, [where, column, e.value, e.message], exact=True)
        ws.cell(row=ws.max_row, column=4).alignment = Alignment(wrap_text=True, vertical="top")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def show_rejection(request, exc: ImportRejected) -> tuple[list[RowError], str]:
    """Tell the user the whole file was refused and how many problems it has; return the errors
    for the page to list and the error report (an .xlsx, base64) it offers for download. Used by
    every import page."""
    messages.error(request, _("文件未导入：发现 %(n)d 处问题，请修改后重新上传。数据库没有任何改动。")
                   % {"n": len(exc.errors)})
    return exc.errors, base64.b64encode(error_report(exc.errors)).decode()
