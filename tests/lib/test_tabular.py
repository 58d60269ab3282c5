"""The table-import floor every importer stands on: files as users make them (Chinese Excel's GBK
CSV, UTF-8 with a BOM, .xlsx), headers as they type them, and the one shape of every problem."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.contrib.auth.models import Group

from minsheng.lib import tabular
from minsheng.lib.tabular import (
    CellError,
    Column,
    ImportRejected,
    ImportResult,
    Row,
    RowError,
    TableImport,
    error_report,
    find_header,
    map_header,
    read_table,
)

COLUMNS = (
    Column("name", "小区名称", tabular.text(20), required=True, aliases=("name",)),
    Column("households", "户数", tabular.uint, default=0),
    Column("region", "所属社区/村区划代码", tabular.code, aliases=("区划代码",)),
)


def xlsx(rows: list[list]) -> bytes:
    wb = openpyxl.Workbook()
    for r in rows:
        wb.active.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_text(rows: list[list[str]]) -> str:
    return "\r\n".join(",".join(r) for r in rows) + "\r\n"


ROWS = [["小区名称", "户数", "所属社区/村区划代码"], ["银河苑", "120", "131002001001"],
        ["光明里", "80", "131002001002"]]


# --- reading -----------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-8", "utf-16"])
def test_csv_in_every_encoding_chinese_excel_writes_reads_the_same(encoding: str) -> None:
    content = csv_text(ROWS).encode(encoding)
    table = read_table(content, "小区.csv")
    assert table.rows == [(1, ROWS[0]), (2, ROWS[1]), (3, ROWS[2])]
    assert table.sheets == []


def test_gb18030_only_characters_survive() -> None:
    # 𠀀 is outside GBK: only GB18030 encodes it, and it must come back whole.
    content = csv_text([["小区名称"], ["𠀀苑"]]).encode("gb18030")
    assert read_table(content, "a.csv").rows[1] == (2, ["𠀀苑"])


def test_xlsx_rows_keep_their_spreadsheet_numbers_and_whole_codes() -> None:
    content = xlsx([["某区小区名录"], [], ROWS[0], ["银河苑", 120, 131002001001], [],
                    ["光明里", 80.0, "131002001002"]])
    table = read_table(content, "小区.xlsx")
    assert table.rows == [(1, ["某区小区名录", "", ""]), (3, ROWS[0]),  # padded to the sheet's width
                          (4, ["银河苑", "120", "131002001001"]),
                          (6, ["光明里", "80", "131002001002"])]
    header_row, header, data = find_header(table, COLUMNS, "小区")
    assert header_row == 3 and [n for n, _ in data] == [4, 6]


def test_read_table_takes_bytes_a_file_or_a_path(tmp_path: Path) -> None:
    content = csv_text(ROWS).encode("utf-8-sig")
    path = tmp_path / "a.csv"
    path.write_bytes(content)
    expected = read_table(content, "a.csv").rows
    assert read_table(io.BytesIO(content), "a.csv").rows == expected
    assert read_table(path, "a.csv").rows == expected


def test_the_sheet_named_for_the_kind_is_read_else_the_first_but_the_notes() -> None:
    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.active.append(["这是说明"])
    wb.create_sheet("数据").append(["小区名称"])
    wb.create_sheet("小区").append(["户数"])
    buf = io.BytesIO()
    wb.save(buf)
    assert read_table(buf.getvalue(), "a.xlsx", sheet="小区").rows == [(1, ["户数"])]
    assert read_table(buf.getvalue(), "a.xlsx", sheet="没有").rows == [(1, ["小区名称"])]


# --- headers -----------------------------------------------------------------------------------


def test_headers_match_despite_spaces_full_width_case_and_required_marks() -> None:
    header = [" 小区 名称* ", "户数（必填）", "ＮＡＭＥ", "序号"]
    with pytest.raises(ImportRejected) as e:  # 小区名称 and NAME are the same column
        map_header(COLUMNS, 1, header, label="小区")
    assert [(x.row, x.column_no) for x in e.value.errors] == [(1, 3)]
    assert "出现了两次" in e.value.errors[0].message
    mapping = map_header(COLUMNS, 1, [" 小区 名称* ", "户数（必填）", "区划代码", "序号"], label="小区")
    assert {i: c.key for i, c in mapping.items()} == {0: "name", 1: "households", 2: "region"}


def test_a_bom_in_front_of_the_first_header_does_not_hide_it() -> None:
    content = codecs.BOM_UTF8 + codecs.BOM_UTF8 + csv_text(ROWS).encode("utf-8")  # saved twice
    header_row, header, _ = find_header(read_table(content, "a.csv"), COLUMNS, "小区")
    assert map_header(COLUMNS, header_row, header, label="小区")[0].key == "name"


def test_unknown_and_missing_columns_are_all_listed() -> None:
    with pytest.raises(ImportRejected) as e:
        map_header(COLUMNS, 1, ["户数", "户数（户）"], label="小区")
    assert [str(x) for x in e.value.errors] == [
        "第1行 第2列（户数（户））：无法识别的列名“户数（户）”：请使用模板中的列名（不需要的列可以删除）",
        "缺少必填列“小区名称”：请使用小区导入模板的表头",
    ]


# --- the error shape -----------------------------------------------------------------------------


def test_one_error_shape_row_column_and_header() -> None:
    assert str(RowError(3, "户数", "十二", "应为非负整数", column_no=8)) == "第3行 第8列（户数）：应为非负整数"
    assert str(RowError(3, "", "", "重复", column_no=2)) == "第3行 第2列：重复"
    assert str(RowError(4, "区划代码", "", "不存在")) == "第4行（区划代码）：不存在"
    assert str(RowError(2, "geometry", "", "自相交", unit="个要素")) == "第2个要素（geometry）：自相交"
    assert str(RowError(0, "小区名称", "", "缺少必填列")) == "缺少必填列"  # the file as a whole


def test_cell_parsers_say_what_they_expected() -> None:
    assert tabular.uint("１，２００") == 1200 and tabular.year("1998年") == 1998
    with pytest.raises(CellError, match="科学计数法"):
        tabular.code("1.31002E+11")
    assert tabular.code("'131002001001") == "131002001001"
    assert tabular.decimal("1,234.50") == Decimal("1234.50")
    assert str(tabular.date(month_end=True)("2026年6月")) == "2026-06-30"
    assert str(tabular.date()("2026年6月")) == "2026-06-01"
    assert tabular.boolean("√") is True and tabular.phone("0316-1234567") == "0316-1234567"
    with pytest.raises(CellError, match="应在 -180～180 之间"):
        tabular.number(-180, 180)("204")
    with pytest.raises(CellError, match="应为电话号码"):
        tabular.phone("打电话")


# --- refused files -------------------------------------------------------------------------------


@pytest.mark.parametrize(("content", "name", "words"), [
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "小区.xlsx", "PNG 图片"),
    (b"%PDF-1.7\n" + b"x" * 100, "小区.csv", "PDF 文档"),
    (b"\xd0\xcf\x11\xe0" + b"\0" * 100, "old.xls", "旧版 Excel"),
    (b"PK\x03\x04garbage", "broken.xlsx", "无法读取这个文件"),
    (b"a,b\x00c\x00" * 10, "binary.csv", "无法读取这个文件"),
])
def test_disguised_damaged_or_binary_files_are_refused_in_chinese(content: bytes, name: str,
                                                                  words: str) -> None:
    with pytest.raises(ImportRejected) as e:
        read_table(content, name)
    [error] = e.value.errors
    assert error.row == 0 and words in error.message and str(error) == error.message


def test_an_oversized_file_is_refused_before_it_is_read() -> None:
    with pytest.raises(ImportRejected) as e:
        read_table(io.BytesIO(b"x" * (tabular.MAX_BYTES + 1)), "big.csv")
    assert "文件太大" in e.value.errors[0].message and "20 MB" in e.value.errors[0].message
    with pytest.raises(ImportRejected, match="1 处问题"):
        read_table(b"x" * 1025, "small.csv", max_bytes=1024)


def test_empty_header_only_and_too_long_files_say_so() -> None:
    for content, words in ((b"", "文件是空的"), ("小区名称\n".encode(), "只有表头"),
                           ("名称\n甲\n".encode(), "找不到表头")):
        with pytest.raises(ImportRejected) as e:
            find_header(read_table(content, "a.csv"), COLUMNS, "小区")
        assert words in e.value.errors[0].message
    many = ("小区名称\n" + "甲\n" * (tabular.MAX_ROWS + 1)).encode()
    with pytest.raises(ImportRejected, match="1 处问题") as e:
        find_header(read_table(many, "a.csv"), COLUMNS, "小区")
    assert "一次最多导入 20000 行" in e.value.errors[0].message


# --- formulas and control characters --------------------------------------------------------------


def test_a_csv_formula_is_plain_text() -> None:
    table = read_table(csv_text([["小区名称"], ["=1+2"], ["=HYPERLINK(\"http://x\")"]]).encode(),
                       "a.csv")
    assert [cells for _, cells in table.rows[1:]] == [["=1+2"], ['=HYPERLINK("http://x")']]


def test_an_xlsx_formula_without_a_saved_value_is_refused_by_cell() -> None:
    content = xlsx([ROWS[0], ["银河苑", "=10*12", "131002001001"]])  # openpyxl saves no value
    with pytest.raises(ImportRejected) as e:
        read_table(content, "a.xlsx")
    [error] = e.value.errors
    assert (error.row, error.column_no, error.value) == (2, 2, "=10*12")
    assert str(error).startswith("第2行 第2列：这是公式")


@pytest.mark.parametrize("bad", ["银河\x07苑", "\x1b[31m银河苑", "银河\u202e苑"])
def test_control_characters_are_refused_by_cell(bad: str) -> None:
    content = csv_text([ROWS[0], [bad, "1", "131002001001"]]).encode("utf-8")
    with pytest.raises(ImportRejected) as e:
        read_table(content, "a.csv")
    [error] = e.value.errors
    assert (error.row, error.column_no) == (2, 1) and "控制字符" in error.message


def test_tabs_line_breaks_and_invisible_spaces_are_fine() -> None:
    content = csv_text([["小区名称"], ['"银河\n苑"'], ["\u200b光明里\xa0"]]).encode("utf-8")
    assert [c for _, c in read_table(content, "a.csv").rows[1:]] == [["银河\n苑"], ["光明里"]]


# --- the error report ------------------------------------------------------------------------------


def test_error_report_is_an_xlsx_with_every_problem_and_formulas_as_text() -> None:
    errors = [RowError(3, "户数", "十二", "应为非负整数", column_no=8),
              RowError(0, "", "", "缺少必填列“小区名称”"),
              RowError(2, "geometry", "Point", "应为面", unit="个要素"),
              RowError(4, "", "=cmd|' /C calc'!A0", "含有公式", column_no=2)]
    ws = openpyxl.load_workbook(io.BytesIO(error_report(errors))).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    assert rows == [("行", "列", "值", "问题"), (3, "户数", "十二", "应为非负整数"),
                    ("文件", None, None, "缺少必填列“小区名称”"),
                    ("第2个要素", "geometry", "Point", "应为面"),
                    (4, "第2列", "=cmd|' /C calc'!A0", "含有公式")]
    assert ws["C5"].data_type == "s"  # written as text, not as a formula


def test_error_report_keeps_the_users_formula_text_exactly_but_marked_as_text() -> None:
    errors = [RowError(2, "", "=HYPERLINK(\"http://x\")", "含有公式", column_no=1),
              RowError(3, "", "路灯\x07不亮", "含有控制字符", column_no=1)]
    ws = openpyxl.load_workbook(io.BytesIO(error_report(errors))).worksheets[0]
    assert (ws["C2"].value, ws["C2"].data_type, ws["C2"].quotePrefix) == (
        '=HYPERLINK("http://x")', "s", True)
    assert ws["C3"].value == "路灯\ufffd不亮"  # a control character cannot break the report


# --- writing: the one table writer against formula injection ----------------------------------------

FORMULA_TEXTS = ["=1+2", '=HYPERLINK("http://evil","点我")', "+86 138 0000 0000", "-5", "@SUM(A1)",
                 "\t=1+2", "\r=1+2", "'=1+2", "''-5"]
PLAIN_TEXTS = ["银河苑", "5-3号楼", "'普通文字", "a=b", "'131002001001", "", " 前后空格 "]


def written(values: list) -> openpyxl.worksheet.worksheet.Worksheet:
    wb = openpyxl.Workbook()
    tabular.append_row(wb.active, values)
    buf = io.BytesIO()
    wb.save(buf)
    return openpyxl.load_workbook(io.BytesIO(buf.getvalue())).active


@pytest.mark.parametrize("value", FORMULA_TEXTS)
def test_the_xlsx_writer_puts_a_quote_before_text_that_starts_like_a_formula(value: str) -> None:
    cell = written([value])["A1"]
    assert cell.data_type == "s" and cell.value == "'" + value


@pytest.mark.parametrize("value", PLAIN_TEXTS)
def test_the_xlsx_writer_leaves_other_text_alone(value: str) -> None:
    assert written([value])["A1"].value == (value or None)


def test_numbers_dates_and_booleans_stay_what_they_are() -> None:
    ws = written([-5, 3.5, Decimal("-1.25"), 0, dt.date(2026, 3, 1), True, None])
    assert [c.data_type for c in ws[1][:6]] == ["n", "n", "n", "n", "d", "b"]
    assert [c.value for c in ws[1][:4]] == [-5, 3.5, -1.25, 0]


def test_an_old_control_character_becomes_a_replacement_character_not_an_error() -> None:
    ws = written(["路灯\x07不亮", "第一行\n第二行\t完"])
    assert [ws["A1"].value, ws["B1"].value] == ["路灯\ufffd不亮", "第一行\n第二行\t完"]


def test_the_csv_writer_quotes_the_same_texts_and_keeps_numbers() -> None:
    content = tabular.csv_bytes(["名称", "数"], [[v, -5] for v in FORMULA_TEXTS + PLAIN_TEXTS]
                                + [["路灯\x07", None]])
    assert content.startswith(codecs.BOM_UTF8)
    rows = list(csv.reader(io.StringIO(content[3:].decode("utf-8"), newline="")))
    assert rows[0] == ["名称", "数"]
    assert [r[0] for r in rows[1:len(FORMULA_TEXTS) + 1]] == ["'" + v for v in FORMULA_TEXTS]
    assert [r[0] for r in rows[len(FORMULA_TEXTS) + 1:-1]] == PLAIN_TEXTS
    assert all(r[1] == "-5" for r in rows[1:-1])
    assert rows[-1] == ["路灯\ufffd", ""]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_reading_a_written_table_gives_back_the_original_text(fmt: str) -> None:
    texts = [v for v in FORMULA_TEXTS + PLAIN_TEXTS if v.strip() == v and v]
    rows = [["名称", "数"]] + [[v, -5] for v in texts]
    if fmt == "csv":
        content = tabular.csv_bytes(rows[0], rows[1:])
    else:
        wb = openpyxl.Workbook()
        for r in rows:
            tabular.append_row(wb.active, r)
        buf = io.BytesIO()
        wb.save(buf)
        content = buf.getvalue()
    table = read_table(content, f"a.{fmt}")
    assert [cells for _, cells in table.rows[1:]] == [[v, "-5"] for v in texts]


# --- the all-or-nothing import --------------------------------------------------------------------


class GroupImport(TableImport):
    """A minimal importer over a model every Django has: one Group per row, named by 小区名称."""

    label = "小区"
    columns = COLUMNS

    def __init__(self, fail_on_write: str = "") -> None:
        super().__init__()
        self.fail_on_write = fail_on_write
        self.audited: list[ImportResult] = []

    def resolve(self, rows: list[Row]) -> list[Group]:
        seen: dict[str, int] = {}
        for r in rows:
            name = r.val.get("name")
            if name in seen:
                self.error(r, "name", f"与第{seen[name]}行重复")
            elif name:
                seen[name] = r.num
        return [Group(name=r.val["name"]) for r in rows if "name" in r.val]

    def write(self, pending: list[Group]) -> ImportResult:
        for g in pending:
            g.save()
            if g.name == self.fail_on_write:
                self.errors.append(RowError(0, "", g.name, "写入时发现问题"))
        return ImportResult(created=len(pending), updated=0)

    def audit(self, result: ImportResult, pending: list[Group]) -> None:
        self.audited.append(result)


@pytest.mark.django_db
def test_a_good_file_is_written_whole_and_audited() -> None:
    imp = GroupImport()
    result = imp.run(csv_text(ROWS).encode("gbk"), "小区.csv")
    assert (result.created, result.updated) == (2, 0) and imp.audited == [result]
    assert set(Group.objects.values_list("name", flat=True)) >= {"银河苑", "光明里"}


@pytest.mark.django_db
def test_one_bad_row_writes_nothing_and_every_problem_is_listed() -> None:
    rows = [ROWS[0], ["甲苑", "1", "131002001001"], ["乙苑", "十二", "1.31E+11"],
            ["", "3", ""], ["甲苑", "4", ""]]
    imp = GroupImport()
    with pytest.raises(ImportRejected) as e:
        imp.run(xlsx(rows), "小区.xlsx")
    assert [str(x).split("：")[0] for x in e.value.errors] == [
        "第3行 第2列（户数）", "第3行 第3列（所属社区/村区划代码）", "第4行 第1列（小区名称）",
        "第5行 第1列（小区名称）"]
    assert "与第2行重复" in e.value.errors[3].message
    assert not Group.objects.filter(name__in=["甲苑", "乙苑"]).exists() and imp.audited == []


@pytest.mark.django_db
def test_a_problem_found_while_writing_rolls_back_what_was_written() -> None:
    imp = GroupImport(fail_on_write="光明里")
    with pytest.raises(ImportRejected):
        imp.run(csv_text(ROWS).encode("utf-8-sig"), "小区.csv")
    assert not Group.objects.filter(name__in=["银河苑", "光明里"]).exists() and imp.audited == []
