"""Missing is not zero (issue 12 §1): a year without data reads "—" in every table, chart and
sentence, and no growth is computed from it. The demo has budget lines for 2019, 2020, last year
and this year; the year before last has none, so last year's report printed
"2024年 0.00亿元 … 增加29.89亿元"."""

from __future__ import annotations

import io
import re

import docx
import openpyxl
import pytest
from django.utils import timezone

from minsheng.cases.models import Case
from minsheng.indicators import services
from minsheng.indicators.periods import Period
from minsheng.places.models import Region
from minsheng.projects.models import ExpenditureLine
from minsheng.reports import export
from minsheng.reports.services import annual_report

pytestmark = pytest.mark.django_db

D = "131002000000"


@pytest.fixture
def year():
    y = timezone.localdate().year - 1
    if ExpenditureLine.objects.filter(region_id=D, year=y - 1).exists():
        pytest.skip("the demo has budget lines for the year before last in this year")
    return y


def test_a_year_without_budget_lines_has_no_value_and_no_growth(year):
    period = Period(year)
    services.compute(D, period)
    services.compute(D, period.previous())
    got = services.evaluate([D], period)[D]
    assert got["livelihood_spending"].value is not None
    assert got["livelihood_spending"].previous is None
    assert got["livelihood_growth"].value is None
    before = services.evaluate([D], period.previous())[D]
    assert before["livelihood_spending"].value is None
    assert before["livelihood_share"].value is None
    assert before["livelihood_spending"].text == "—"


def test_the_report_prints_a_dash_not_zero_in_html_docx_and_xlsx(year):
    services.compute(D, Period(year - 1))  # as a visit to the dashboard's history does
    report = annual_report(Region.objects.get(code=D), year)
    html = export.html(report, embed_fonts=False)
    text = re.sub(r"<[^>]+>", " ", html)
    assert "0.00亿元" not in text
    assert not re.search(r"增加[\d,.]+亿元", text)
    doc = docx.Document(io.BytesIO(export.docx(report)))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    body = "\n".join([p.text for p in doc.paragraphs] + cells)
    assert "0.00亿元" not in body and not re.search(r"增加[\d,.]+亿元", body)
    wb = openpyxl.load_workbook(io.BytesIO(export.xlsx(report)))
    rows = [r for ws in wb.worksheets for r in ws.iter_rows(values_only=True)
            if r and r[0] == "livelihood_spending"]
    assert rows and rows[0][5] is None  # 上年: blank, not 0


def test_a_period_before_the_first_case_has_no_case_figures():
    first = Case.objects.filter(region__code__startswith="131002").order_by("created_at").first()
    before = Period(timezone.localtime(first.created_at).year - 1)
    services.compute(D, before)
    got = services.evaluate([D, "131002001000"], before, with_previous=False)
    for r in (D, "131002001000"):
        assert got[r]["cases_received"].value is None
        assert got[r]["cases_received"].text == "—"


def test_the_dashboard_and_the_indicator_page_print_a_dash(client_for, year):
    c = client_for("district")
    page = c.get(f"/indicators/livelihood_spending/?region={D}&period={year - 1}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "0.00亿元" not in html
    dash = c.get(f"/indicators/?region={D}&period={year - 1}").content.decode()
    assert "0.00亿元" not in dash
