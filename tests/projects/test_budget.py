"""Livelihood share from a budget file, checked by hand, through the function and the CLI."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from minsheng.projects.budget import (
    BudgetFileError,
    livelihood_share,
    load_livelihood_classes,
    read_budget_file,
    yuan_display,
)

# A district's expenditure (元). Livelihood classes by the default configuration:
# 205 + 208 + 210 + 212 + 213 + 221 = 600 + 500 + 300 + 250 + 150 + 100 = 1,900 (百万元)
# Not livelihood: 201 + 203 + 204 = 200 + 50 + 100 = 350.  Total 2,250.  Share 1900/2250 = 84.44%.
ROWS = [
    ("201", "一般公共服务支出", 200_000_000),
    ("203", "国防支出", 50_000_000),
    ("204", "公共安全支出", 100_000_000),
    ("205", "教育支出", 600_000_000),
    ("20502", "普通教育", 550_000_000),  # a section of 205: must not be counted twice
    ("208", "社会保障和就业支出", 500_000_000),
    ("210", "卫生健康支出", 300_000_000),
    ("21201", "城乡社区管理事务", 150_000_000),  # 212 given only by its sections
    ("21203", "城乡社区公共设施", 100_000_000),
    ("213", "农林水支出", 150_000_000),
    ("221", "住房保障支出", 100_000_000),
]


def xlsx(rows, amount_header="金额（元）") -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["2020年一般公共预算支出决算表"])
    ws.append(["科目编码", "科目名称", amount_header])
    for r in rows:
        ws.append(list(r))
    ws.append(["合计", "", sum(r[2] for r in rows if len(r[0]) == 3 and isinstance(r[2], int))])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_hand_checked_share():
    r = livelihood_share(read_budget_file(xlsx(ROWS), "budget.xlsx"))
    assert r.total == Decimal(2_250_000_000)
    assert r.livelihood == Decimal(1_900_000_000)
    assert round(r.share, 2) == Decimal("84.44")
    assert r.by_class["212"] == Decimal(250_000_000)
    assert any("212" in n for n in r.notes)
    assert any("205" in n and "不一致" in n for n in r.notes)  # 550 of sections vs 600 of class


def test_demo_check_anci_2020_figures_from_line_items():
    """A demo check: the line items are constructed to give the seed's stated figures (安次区
    2020: 民生支出 24.7亿元 = 83.03% of the general public budget); it checks the arithmetic, not
    the seed."""
    liv = [("205", 8.4e8), ("208", 6.1e8), ("210", 3.2e8), ("212", 2.9e8), ("213", 2.6e8),
           ("221", 1.5e8)]
    other_total = Decimal("24.7e8") / Decimal("0.8303") - Decimal("24.7e8")
    rows = [(c, "", int(a)) for c, a in liv] + [("201", "一般公共服务支出", int(other_total))]
    r = livelihood_share(read_budget_file(xlsx(rows), "anci.xlsx"))
    assert yuan_display(r.livelihood) == "24.70亿元"
    assert f"{r.share:.2f}" == "83.03"


def test_wanyuan_header_and_gbk_csv():
    text = "科目编码,科目名称,金额（万元）\n205,教育支出,\"1,000\"\n201,一般公共服务支出,1000\n"
    r = livelihood_share(read_budget_file(text.encode("gb18030"), "b.csv"))
    assert r.total == Decimal(20_000_000) and r.share == Decimal(50)


def test_bad_rows_are_reported_by_row_number():
    rows = ROWS + [("2x5", "坏编码", 1), ("206", "科学技术支出", "一百"), ("205", "重复", 5),
                   ("207", "文化", -3)]
    with pytest.raises(BudgetFileError) as e:
        read_budget_file(xlsx(rows), "bad.xlsx")
    got = dict(e.value.errors)
    first = 3 + len(ROWS)  # title row, header row, then data
    assert "科目编码" in got[first]
    assert "不是数字" in got[first + 1]
    assert "重复" in got[first + 2] and "第6行" in got[first + 2]
    assert "负数" in got[first + 3]
    # the one error shape of every import: row, column number and header
    assert str(e.value.row_errors[0]) == f"第{first}行 第1列（科目编码）：科目编码“2x5”应为3位（类）、5位（款）或7位（项）数字"
    assert e.value.row_errors[1].column == "金额（元）" and e.value.row_errors[1].column_no == 3


def test_a_picture_named_xlsx_is_refused_clearly():
    with pytest.raises(BudgetFileError) as e:
        read_budget_file(b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "budget.xlsx")
    assert e.value.errors[0][0] == 0 and "PNG" in e.value.errors[0][1]


def test_configuration_decides_what_counts():
    lines = read_budget_file(xlsx(ROWS), "b.xlsx")
    only_education = livelihood_share(lines, {"205": "教育"})
    assert only_education.livelihood == Decimal(600_000_000)
    assert set(load_livelihood_classes()) >= {"205", "208", "210", "212", "213", "221"}


def test_cli_prints_share_without_touching_the_database(tmp_path: Path, capsys):
    # No db fixture: pytest-django makes any database access in this test an error.
    f = tmp_path / "budget.xlsx"
    f.write_bytes(xlsx(ROWS))
    call_command("budget", "share", str(f))
    out = capsys.readouterr().out
    assert "22.50亿元" in out and "19.00亿元" in out and "84.44%" in out


def test_cli_reports_bad_rows(tmp_path: Path):
    f = tmp_path / "bad.csv"
    f.write_text("科目编码,科目名称,金额\n205,教育,abc\n", encoding="utf-8")
    with pytest.raises(CommandError, match="第2行"):
        call_command("budget", "share", str(f))
    with pytest.raises(CommandError, match="找不到文件"):
        call_command("budget", "share", str(tmp_path / "none.xlsx"))
