"""`minsheng report annual`: each format from the records of a year, the figures in them
recomputed here from the records, and refusals that leave no file behind."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest
from django.core.management import CommandError, call_command
from docx.oxml.ns import qn

from minsheng.cases.models import Case, CaseType, Mediation
from minsheng.cases.stats import Q_RESOLVED
from minsheng.indicators.models import Indicator, Section
from minsheng.reports import export, fonts
from tests.reports.conftest import DISTRICT, YEAR

pytestmark = pytest.mark.django_db


def run(out: Path, fmt: str, *, region: str = DISTRICT, year: int | str = YEAR) -> str:
    buf = io.StringIO()
    call_command("report", "annual", "--region", region, "--year", str(year), "--format", fmt,
                 "--out", str(out), stdout=buf)
    return buf.getvalue()


def docx_text(path: Path) -> str:
    d = docx.Document(str(path))
    parts = [p.text for p in d.paragraphs]
    for t in d.tables:
        parts.extend(c.text for r in t.rows for c in r.cells)
    return "\n".join(parts)


def test_it_writes_html_docx_and_xlsx(tmp_path, year_of_cases):
    for fmt, magic in (("html", b"<!doctype html>"), ("docx", b"PK"), ("xlsx", b"PK")):
        out = tmp_path / f"report.{fmt}"
        said = run(out, fmt)
        assert out.read_bytes().startswith(magic), fmt
        assert "已生成" in said and "安次区2023年民生工作报告" in said
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<svg" in page and "@font-face" in page  # charts inline, fonts embedded
    assert "<script" not in page and "http://" not in page.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")  # self-contained
    assert not list(tmp_path.glob(".*.part"))


def test_the_docx_says_what_the_records_imply(tmp_path, year_of_cases):
    out = tmp_path / "report.docx"
    run(out, "docx")
    text = docx_text(out)
    # recomputed here from the records, not from the indicator tables
    received = Case.objects.filter(region__code__startswith=DISTRICT[:6],
                                   created_at__year=YEAR).count()
    resolved = Case.objects.filter(Q_RESOLVED, region__code__startswith=DISTRICT[:6],
                                   created_at__year=YEAR).count()
    concluded = Mediation.objects.filter(case__region__code__startswith=DISTRICT[:6],
                                         concluded_at__year=YEAR,
                                         outcome__in=("settled", "failed"))
    settled = concluded.filter(outcome="settled").count()
    assert (received, concluded.count(), settled) == (6, 2, 1)
    assert f"全年受理群众诉求{received}件" in text
    assert f"办结率{100 * resolved / received:.1f}%" in text
    assert f"调解矛盾纠纷{concluded.count()}件，调解成功率{100 * settled / concluded.count():.1f}%" \
        in text
    assert "为群众提供免费法律咨询1人次" in text
    # a figure the year does not have is never printed as nonsense
    assert "2023年没有就业失业登记记录（暂无数据）" in text
    assert "None" not in text and "nan" not in text.lower()
    # the case types table comes from cases/stats.py
    assert CaseType.objects.get(code="property_repair").name in text


def test_the_docx_names_an_east_asian_font(tmp_path, year_of_cases):
    out = tmp_path / "report.docx"
    run(out, "docx")
    d = docx.Document(str(out))
    normal = d.styles["Normal"].element.rPr.rFonts
    assert normal.get(qn("w:eastAsia")) == "SimSun" and normal.get(qn("w:eastAsiaTheme")) is None
    lang = d.styles["Normal"].element.rPr.find(qn("w:lang"))
    assert lang.get(qn("w:eastAsia")) == "zh-CN"
    heading = d.styles["Heading 1"].element.rPr.rFonts
    assert heading.get(qn("w:eastAsia")) == "SimHei"
    body = next(p for p in d.paragraphs if p.text.startswith("全年受理群众诉求"))
    assert body.runs[0]._r.rPr.rFonts.get(qn("w:eastAsia")) == "SimSun"
    # charts are pictures; the font table gives SimSun its Chinese name and charset
    with zipfile.ZipFile(out) as z:
        assert any(n.startswith("word/media/") and n.endswith(".png") for n in z.namelist())
        table = z.read("word/fontTable.xml").decode("utf-8")
        assert 'w:name="SimSun"' in table and 'w:val="宋体"' in table


def test_the_pdf_embeds_its_fonts(tmp_path, year_of_cases):
    if export.chromium_path() is None:
        pytest.skip("Chromium is not installed (scripts/install-system-deps installs it); "
                    "the PDF is printed by headless Chromium")
    if not fonts.available():
        pytest.skip("no CJK font installed (fonts-noto-cjk)")
    out = tmp_path / "report.pdf"
    run(out, "pdf")
    pdf = out.read_bytes()
    assert pdf.startswith(b"%PDF")
    # real embedded TrueType subsets, not Type 3 glyph procedures nor a font left to the reader
    assert b"/FontFile2" in pdf
    assert b"/CIDFontType2" in pdf
    assert b"/Type3" not in pdf
    assert b"NotoSerifCJKsc" in pdf or b"NotoSansCJKsc" in pdf


def test_the_xlsx_has_every_indicator(tmp_path, year_of_cases):
    out = tmp_path / "report.xlsx"
    run(out, "xlsx")
    wb = openpyxl.load_workbook(out)
    rows = {}
    for key, label in Section.choices:
        ws = wb[str(label)]
        header = [c.value for c in ws[1]]
        assert header[:8] == ["代码", "指标", "数值", "显示值", "单位", "上年", "年度目标", "达到目标"]
        assert "口径说明" in header and "责任部门" in header and "数据截至" in header
        for r in ws.iter_rows(min_row=2, values_only=True):
            rows[r[0]] = dict(zip(header, r, strict=True))
            assert Indicator.objects.get(code=r[0]).section == key
    assert set(rows) == set(Indicator.objects.filter(active=True).values_list("code", flat=True))
    assert rows["cases_received"]["数值"] == 6 and rows["cases_received"]["显示值"] == "6件"
    assert rows["mediation_success_rate"]["数值"] == 50.0
    assert rows["cases_received"]["来源"] == "系统计算" and rows["cases_received"]["数据截至"]
    assert rows["surveyed_unemployment_rate"]["数值"] is None  # not entered for 2023
    assert rows["surveyed_unemployment_rate"]["来源"].startswith("人工填报")
    assert rows["urban_new_jobs"]["来源"] == "系统计算"  # from employment/'s registrations
    assert wb["项目清单"].max_row == 1  # the demo has no 2023 plan


@pytest.mark.parametrize(("args", "message"), [
    ({"region": "999999000000"}, "找不到区划"),
    ({"region": "13100"}, "区划代码"),
    ({"region": "130000000000"}, "年度报告按区县"),
    ({"year": 1999}, "超出范围"),
    ({"year": 2999}, "超出范围"),
    ({"year": "去年"}, "四位数字"),
    ({"fmt": "odt"}, "不支持的格式"),
])
def test_bad_input_is_refused_in_chinese_and_leaves_no_file(tmp_path, args, message):
    out = tmp_path / "report.docx"
    with pytest.raises(CommandError, match=message):
        run(out, args.get("fmt", "docx"), region=args.get("region", DISTRICT),
            year=args.get("year", YEAR))
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_path_is_refused(tmp_path):
    with pytest.raises(CommandError, match="输出目录不存在"):
        run(tmp_path / "nowhere" / "report.docx", "docx")
    with pytest.raises(CommandError, match="是一个目录"):
        run(tmp_path, "docx")


def test_a_failure_while_writing_leaves_no_partial_file(tmp_path, monkeypatch):
    out = tmp_path / "report.html"
    out.write_text("the previous report", encoding="utf-8")

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(CommandError, match="无法写入"):
        run(out, "html")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]
    assert out.read_text(encoding="utf-8") == "the previous report"


def test_the_minsheng_cli_exits_non_zero(tmp_path):
    env = {**os.environ, "MINSHENG_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE":
           "minsheng.settings"}
    out = tmp_path / "x.odt"
    proc = subprocess.run(
        [sys.executable, "-m", "minsheng.cli", "report", "annual", "--region", DISTRICT,
         "--year", str(YEAR), "--format", "odt", "--out", str(out)],
        capture_output=True, text=True, env=env, timeout=120, check=False)
    assert proc.returncode != 0
    assert "不支持的格式" in proc.stderr
    assert not out.exists()
