"""`minsheng assistance template|assess|standards`: the contract of issue 17, bad rows by row and
column, hostile cells, and no record changed."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
import time_machine
from django.core.management import CommandError, call_command

from minsheng.assistance.models import Household, Person, Procedure, Standard

HEADER = ["户编号", "姓名", "与户主关系", "身份证号", "出生日期", "劳动能力", "残疾等级", "月收入（元）",
          "赡养义务人", "城乡"]


def row(number, name, rel, idn, born, labour="有劳动能力", dis="无", income="0", sup="无",
        area="城镇"):
    return [number, name, rel, idn, born, labour, dis, income, sup, area]


def write_xlsx(path, rows, header=HEADER):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


@pytest.fixture
def standards(db):
    Standard.objects.create(region_id="131002000000", programme="dibao", area="urban",
                            valid_from=dt.date(2020, 1, 1), amount=Decimal("800"),
                            source="测试用", verified=False)
    Standard.objects.create(region_id="131002000000", programme="dibao", area="rural",
                            valid_from=dt.date(2020, 1, 1), amount=Decimal("600"),
                            source="测试用", verified=True)


def run(*args) -> str:
    out = io.StringIO()
    call_command("assistance", *args, stdout=out)
    return out.getvalue()


def test_the_template_has_the_contract_headers(tmp_path):
    path = tmp_path / "t.xlsx"
    run("template", str(path))
    ws = openpyxl.load_workbook(path).worksheets[0]
    headers = [str(c.value).rstrip("*") for c in ws[1]]
    assert headers[:10] == HEADER


@time_machine.travel(dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC), tick=False)
def test_assess_prints_and_writes_one_row_per_household_and_programme(tmp_path, standards):
    path = write_xlsx(tmp_path / "h.xlsx", [
        row("A1", "张一", "户主", "131002199001011234", "1990-01-01", income="1600"),
        row("A1", "李一", "配偶", "131002199101011234", "1991-01-01"),
        row("B2", "王老汉", "户主", "131002195001011234", "1950-01-01", labour="无劳动能力",
            income="300", area="农村"),
    ])
    before = (Household.objects.count(), Person.objects.count())
    out_csv = tmp_path / "out.csv"
    text = run("assess", str(path), "--region", "131002", "--year", "2026", "--out", str(out_csv))
    assert (Household.objects.count(), Person.objects.count()) == before  # nothing written
    assert "A1  人均月收入 800.00 元" in text and "标准未核实" in text
    with out_csv.open(encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["户编号", "人均月收入（元）", "项目", "结论", "依据"]
    assert len(rows) == 1 + 2 * 5
    got = {(r[0], r[2]): r[3] for r in rows[1:]}
    assert got[("A1", "低保")] == "不符合"  # exactly at the standard
    assert got[("A1", "低保边缘")] == "符合"
    assert got[("B2", "低保")] == "符合"  # 300 < 600 (rural)
    assert got[("B2", "特困")] == "符合"  # 76, cannot work, no supporter
    assert all(r[4] for r in rows[1:])


@time_machine.travel(dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC), tick=False)
def test_bad_rows_are_reported_by_row_and_column_and_nothing_is_assessed(tmp_path, standards):
    path = write_xlsx(tmp_path / "h.xlsx", [
        row("A1", "张一", "户主", "13100219900101123", "1990-01-01"),  # 17 digits
        row("A1", "李一", "配偶", "131002199101011234", "2999-01-01"),  # future birth
        row("B2", "王二", "配偶", "131002199201011234", "1992-01-01", income="一千"),  # no head
        row("C3", "赵三", "户主", "131002199301011234", "1993-01-01", income="1e400"),
        row("D4", "孙四", "户主", "131002199501011234", "1994-01-01"),
        row("E5", "周五", "户主", "131002199501011234", "1900-13-40", area="火星"),
    ])
    with pytest.raises(CommandError) as e:
        run("assess", str(path), "--region", "131002", "--year", "2026")
    msg = str(e.value)
    assert "第2行 第4列（身份证号）" in msg
    assert "第3行 第5列（出生日期）" in msg
    assert "第4行 第3列（与户主关系）" in msg
    assert "第4行 第8列（月收入（元））" in msg
    assert "第5行 第8列（月收入（元））" in msg
    assert "第7行 第4列（身份证号）" in msg and "重复" in msg
    assert "第7行 第10列（城乡）" in msg


def test_a_formula_cell_is_refused_by_row_and_column_never_evaluated(tmp_path, standards):
    path = write_xlsx(tmp_path / "h.xlsx", [
        row("A1", "张一", "户主", "131002199001011234", "1990-01-01", income="=1+2")])
    with pytest.raises(CommandError, match="第2行 第8列.*公式"):
        run("assess", str(path), "--region", "131002", "--year", "2024")


def test_a_control_character_is_refused_by_row_and_column(tmp_path, standards):
    path = write_xlsx(tmp_path / "h.xlsx", [
        row("A1", "孙\u202e四", "户主", "131002199001011234", "1990-01-01")])
    with pytest.raises(CommandError, match="第2行 第2列.*控制字符"):
        run("assess", str(path), "--region", "131002", "--year", "2024")


def test_assess_without_a_standard_for_the_region_says_so(tmp_path, db):
    path = write_xlsx(tmp_path / "h.xlsx", [
        row("A1", "张一", "户主", "131002199001011234", "1990-01-01")])
    with pytest.raises(CommandError, match="没有生效的城镇低保标准"):
        run("assess", str(path), "--region", "140213", "--year", "2024")


def test_assess_refuses_an_unknown_region_and_a_future_year(tmp_path, standards):
    path = write_xlsx(tmp_path / "h.xlsx", [
        row("A1", "张一", "户主", "131002199001011234", "1990-01-01")])
    with pytest.raises(CommandError):
        run("assess", str(path), "--region", "abc", "--year", "2024")
    with pytest.raises(CommandError):
        run("assess", str(path), "--region", "131002", "--year", "9999")


def test_a_disguised_file_is_refused(tmp_path, standards):
    path = tmp_path / "h.xlsx"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 100)
    with pytest.raises(CommandError, match="未测算"):
        run("assess", str(path), "--region", "131002", "--year", "2024")


def test_standards_are_listed_with_their_source_and_verification(standards):
    text = run("standards")
    assert "低保标准" in text and "800.00 元" in text and "未核实" in text and "已核实" in text


def test_standards_of_one_region_only(standards):
    """`--region` narrows the list to the region's codes (it used to fail on every value)."""
    text = run("standards", "--region", "131002")
    assert "低保标准" in text and "131002" in text
    assert "140213" not in text
    assert "低保标准" not in run("standards", "--region", "140213")
    with pytest.raises(CommandError, match="区划代码"):
        run("standards", "--region", "<script>")


def test_the_first_month_rule_is_listed_with_the_standards(standards):
    Procedure.objects.create(region_id="131002000000", valid_from=dt.date(2026, 1, 1),
                             first_month="next", source="测试文件")
    text = run("standards", "--region", "131002")
    assert "起发月份  自 2026-01-01  自认定次月起发放  未核实  依据：测试文件" in text
    assert "起发月份" not in run("standards", "--region", "140213")
