"""The report template: a district's override, conditional sentences, directives and edited
narratives put back in their places."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from minsheng.governance import registry
from minsheng.governance.models import Scheme, Scorecard
from minsheng.indicators import services as indicator_services
from minsheng.indicators.models import Indicator
from minsheng.places.models import Compound, Organisation, Region
from minsheng.reports import document, figures, services
from minsheng.reports.document import ChartBlock, Heading, Note, Paragraph, Table
from tests.reports.conftest import DISTRICT, YEAR

pytestmark = pytest.mark.django_db


@pytest.fixture
def anci() -> Region:
    return Region.objects.get(code=DISTRICT)


def test_the_builtin_template_reads_naturally(anci, year_of_cases):
    report = services.annual_report(anci, YEAR)
    paragraphs = [b.text for b in report.blocks if isinstance(b, Paragraph)]
    assert report.title == "安次区2023年民生工作报告"
    governance = next(p for p in paragraphs if p.startswith("全年受理群众诉求"))
    assert governance.startswith("全年受理群众诉求6件；办结率")
    assert "（满分5分）" not in governance  # nobody rated a 2023 case: the clause is left out
    # no value in a sentence that needs one, and no stray punctuation from left-out clauses
    for p in paragraphs:
        assert "None" not in p and "—" not in p and "，。" not in p and "；。" not in p, p
        assert not p.startswith(("，", "。", "；")), p
    assert "2023年生态环境数据尚未报送或尚未审核（暂无数据）。" in paragraphs
    sections = [b.key for b in report.blocks if isinstance(b, Heading) and b.level == 2]
    assert sections == ["spending", "projects", "compounds", "lifecircle", "governance",
                        "legal", "assistance", "employment", "environment", "safety", "notes"]
    tables = [b.title for b in report.blocks if isinstance(b, Table)]
    assert "基层治理与矛盾纠纷主要指标" in tables and "受理量居前3位的诉求类型" in tables
    charts = [b.chart.title for b in report.blocks if isinstance(b, ChartBlock)]
    assert "2023年各月受理和办结群众诉求" in charts
    assert any(isinstance(b, Note) and "演示数据" in b.text for b in report.blocks)


def test_a_district_template_overrides_the_builtin(anci, settings, tmp_path, year_of_cases):
    (tmp_path / "annual.md").write_text(
        "# {{ region.name }}{{ year }}年民生实事报告\n\n"
        "## 一、群众诉求 {#cases}\n\n"
        "{% if v.cases_received %}\n受理诉求{{ v.cases_received }}，\n"
        "{% endif %}\n"
        "{% if v.air_good_days %}\n优良天数{{ v.air_good_days }}，\n{% endif %}\n"
        "调解成功率{{ v.mediation_success_rate }}。\n\n"
        "缺失的数字：{{ v.surveyed_unemployment_rate }}；不存在的指标：{{ v.no_such_code }}。\n\n"
        "::table governance\n", encoding="utf-8")
    settings.REPORT_TEMPLATES_DIR = str(tmp_path)
    report = services.annual_report(anci, YEAR)
    assert report.title == "安次区2023年民生实事报告"
    paragraphs = [b.text for b in report.blocks if isinstance(b, Paragraph)]
    assert paragraphs == ["受理诉求6件，调解成功率50.0%。",
                          "缺失的数字：（暂无数据）；不存在的指标：（暂无数据）。"]
    assert [b.key for b in report.blocks if isinstance(b, Heading) and b.level == 2] == ["cases"]
    assert sum(isinstance(b, Table) for b in report.blocks) == 1


def test_var_report_templates_is_the_default_override(anci, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.REPORT_TEMPLATES_DIR = None
    (tmp_path / "report_templates").mkdir()
    (tmp_path / "report_templates" / "annual.md").write_text("# 本区模板\n\n正文。\n",
                                                             encoding="utf-8")
    assert document.template_source()[1] == tmp_path / "report_templates" / "annual.md"
    assert services.annual_report(anci, YEAR).title == "本区模板"


@pytest.mark.parametrize(("line", "message"), [
    ("::tabel governance", "未知的指令“::tabel”"),
    ("::table nosuchsection", "不存在的板块"),
    ("::chart pie", "未知的图表"),
    ("::chart streets no_such_indicator", "不存在的指标"),
    ("{% if %}", "有错误"),
])
def test_template_mistakes_are_reported_in_chinese(anci, settings, tmp_path, line, message):
    (tmp_path / "annual.md").write_text(f"# 标题\n\n{line}\n", encoding="utf-8")
    settings.REPORT_TEMPLATES_DIR = str(tmp_path)
    with pytest.raises(document.ReportTemplateError, match=message):
        services.annual_report(anci, YEAR)


def test_edited_paragraphs_take_the_generated_ones_places():
    blocks = [Heading(1, "标题"), Paragraph("导语", "intro"), Heading(2, "一", "a"),
              Paragraph("a1", "a"), Table("表", [], []), Paragraph("a2", "a"),
              Heading(2, "二", "b"), Paragraph("b1", "b")]
    same = document.apply_narratives(blocks, {"a": "新1\n\n新2"})
    assert [getattr(b, "text", "表") for b in same] == ["标题", "导语", "一", "新1", "表", "新2",
                                                       "二", "b1"]
    assert all(b.edited for b in same if isinstance(b, Paragraph) and b.section == "a")
    more = document.apply_narratives(blocks, {"a": "新1\n\n新2\n\n新3", "b": "B"})
    assert [getattr(b, "text", "表") for b in more] == ["标题", "导语", "一", "新1", "表", "新2",
                                                       "新3", "二", "B"]
    fewer = document.apply_narratives(blocks, {"a": "只有一段"})
    assert [getattr(b, "text", "表") for b in fewer] == ["标题", "导语", "一", "只有一段", "表",
                                                        "二", "b1"]
    gone = document.apply_narratives(blocks, {"removed": "x"})
    assert gone == blocks


def test_figures_compare_with_last_year_and_the_target():
    rate = Indicator.objects.get(code="cases_on_time_rate")
    f = figures.Fig(rate, Decimal("73.9"), Decimal("71.2"), Decimal("90"), False)
    assert (str(f), f.vs_prev, f.against_target) == (
        "73.9%", "比上年提高2.7个百分点", "未达到年度目标（90.0%）")
    count = Indicator.objects.get(code="cases_received")
    f = figures.Fig(count, Decimal("300"), Decimal("316"))
    assert (f.vs_prev, f.growth) == ("比上年减少16件", "下降5.1%")
    growth = Indicator.objects.get(code="livelihood_growth")
    assert figures.Fig(growth, Decimal("4.13")).growth == "增长4.13%"
    missing = figures.Fig(count, None, Decimal("316"))
    assert (str(missing), bool(missing), missing.vs_prev, missing.growth) == (
        "（暂无数据）", False, "", "")
    assert bool(figures.Fig(count, Decimal(0))) is True  # zero is a figure


def test_the_governance_figures_or_no_data(anci, user):
    """The compounds section says the registry's and the evaluation's figures when they exist,
    and "（暂无数据）" when the district kept none for the year."""
    def paragraphs() -> str:
        indicator_services.compute(DISTRICT, str(YEAR))
        report = services.annual_report(anci, YEAR)
        return "\n".join(b.text for b in report.blocks if isinstance(b, Paragraph))

    text = paragraphs()
    assert "小区治理登记（专职物业管理人员、党支部书记任主任、下派干部）尚未建立（暂无数据）。" in text
    assert f"{YEAR}年物业服务企业年度考评结果：（暂无数据）。" in text
    c = Compound.objects.filter(region__code__startswith="131002", committee="").first()
    registry.do_change_governance(
        c, on=dt.date(YEAR, 3, 1), by=user("district"), committee="owners",
        head_is_party_secretary=True, has_party_branch=True, cadre_full_time=True,
        election_date=dt.date(YEAR, 2, 1), street_approved=True, property_managers=7)
    company = Organisation.objects.filter(kind=Organisation.Kind.PROPERTY_COMPANY,
                                          region__code__startswith="131002").first()
    scheme = Scheme.objects.create(code="rep", name="r", region_id=DISTRICT, bands=[])
    Scorecard.objects.create(scheme=scheme, period=str(YEAR), company=company, grade="优秀",
                             computed_at=timezone.now())
    text = paragraphs()
    assert "年末配备专职物业管理人员7人，1个小区党支部书记经选举并报街道批准担任业委会（物管会）主任" \
        "，下派专职干部的小区占建有党支部小区的100.0%。" in text
    assert f"{YEAR}年物业服务企业考评参评1家，其中优秀1家、不合格0家。" in text
