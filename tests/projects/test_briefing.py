"""The Word progress briefing (进度通报): what a leader reads in it and what a department gets."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import docx
import pytest
from docx.oxml.ns import qn

from minsheng.accounts.models import AuditLog
from minsheng.places.models import Organisation
from minsheng.projects.briefing import briefing_docx
from minsheng.projects.models import FundLine, Milestone, Plan, ProgressReport, Project

pytestmark = pytest.mark.django_db

DISTRICT = "131002000000"
AT = dt.date(2031, 6, 30)


def _org(name: str) -> Organisation:
    return Organisation.objects.get(region_id=DISTRICT, kind="department", name=name)


def _project(plan, name, area, lead, *, planned_yuan, allocated_yuan=0, end=None):
    """A project planned at 60% on 2031-06-30 (60% weight then, 40% at year end)."""
    p = Project.objects.create(plan=plan, name=name, area=area, lead_department=_org(lead),
                               target=f"{name}目标", start_date=dt.date(2031, 1, 1),
                               end_date=end or dt.date(2031, 12, 31))
    FundLine.objects.create(project=p, source="district", planned=Decimal(planned_yuan),
                            allocated=Decimal(allocated_yuan))
    Milestone.objects.create(project=p, name="主体完工", planned_date=dt.date(2031, 6, 30),
                             weight=60)
    if p.end_date > dt.date(2031, 6, 30):
        Milestone.objects.create(project=p, name="竣工验收", planned_date=p.end_date, weight=40)
    return p


def _report(project, percent, spent, by, state=ProgressReport.State.APPROVED):
    ProgressReport.objects.create(project=project, as_of=dt.date(2031, 6, 20), percent=percent,
                                  spent=Decimal(spent), narrative="进展情况", state=state,
                                  submitted_by=by)


@pytest.fixture
def plan(user):
    admin = user("district")
    plan = Plan.objects.create(region_id=DISTRICT, year=2031, name="2031年安次区民心工程")
    far = _project(plan, "老旧小区改造", "housing", "区住房和城乡建设局",
                   planned_yuan=600_000_000, allocated_yuan=400_000_000)
    _report(far, 20, 150_000_000, admin)  # planned 60, actual 20: 40 points behind
    # A report still awaiting review does not count.
    _report(far, 90, 300_000_000, admin, state=ProgressReport.State.SUBMITTED)
    near = _project(plan, "社区养老服务站", "elderly", "区民政局", planned_yuan=8_000_000,
                    allocated_yuan=5_000_000)
    _report(near, 45, 2_000_000, admin)  # 15 points behind
    fine = _project(plan, "学校改扩建", "education", "区教育局", planned_yuan=11_056_000)
    _report(fine, 60, 0, admin)
    return plan


def _text(document) -> str:
    parts = [p.text for p in document.paragraphs]
    for t in document.tables:
        parts.extend(c.text for r in t.rows for c in r.cells)
    return "\n".join(parts)


def test_briefing_for_leaders(user, plan):
    content, ctype, filename = briefing_docx(user("district"), plan, AT)

    assert "wordprocessingml" in ctype and filename == "2031年安次区民心工程进度通报_20310630.docx"
    d = docx.Document(io.BytesIO(content))
    paragraphs = [p.text for p in d.paragraphs]
    assert paragraphs[0] == "2031年安次区民心工程进度通报"
    assert "截至2031年6月30日" in paragraphs[1]
    summary = next(p for p in paragraphs if p.startswith("截至2031年6月30日，"))
    assert "共有项目3个" in summary
    assert "已完成0个，正常推进1个，滞后1个，严重滞后1个，逾期未完成0个" in summary
    # 6亿 + 800万 + 1,105.6万 planned; 4亿 + 500万 allocated; 1.5亿 + 200万 spent.
    assert "计划总投资6.19亿元" in summary
    assert "已下达资金4.05亿元" in summary and "累计支出1.52亿元" in summary

    # The lag table lists the lagging projects, furthest behind first.
    lag = d.tables[0]
    assert [c.text for c in lag.rows[0].cells][:6] == [
        "序号", "项目名称", "牵头单位", "计划进度", "实际进度", "滞后(百分点)"]
    assert [[c.text for c in r.cells][1:6] for r in lag.rows[1:]] == [
        ["老旧小区改造", "区住房和城乡建设局", "60%", "20%", "40"],
        ["社区养老服务站", "区民政局", "60%", "45%", "15"],
    ]
    assert [r.cells[7].text for r in lag.rows[1:]] == ["严重滞后", "滞后"]
    # Then every project, by area.
    text = _text(d)
    assert "学校改扩建" in text and "（一）教育（1个项目" in text
    assert AuditLog.objects.filter(action=AuditLog.Action.EXPORT, detail__contains="进度通报").exists()


def test_briefing_names_an_east_asian_font(user, plan):
    content, *_ = briefing_docx(user("district"), plan, AT)
    d = docx.Document(io.BytesIO(content))

    fonts = d.styles["Normal"].element.rPr.rFonts
    assert fonts.get(qn("w:eastAsia")) == "宋体"
    heading = d.styles["Heading 1"].element.rPr.rFonts
    assert heading.get(qn("w:eastAsia")) == "黑体" and heading.get(qn("w:eastAsiaTheme")) is None


def test_department_briefing_has_only_its_projects(user, plan):
    content, *_ = briefing_docx(user("dept1"), plan, AT)
    text = _text(docx.Document(io.BytesIO(content)))

    assert "社区养老服务站" in text
    assert "老旧小区改造" not in text and "学校改扩建" not in text
    assert "共有项目1个" in text and "仅包含您有权查看的项目" in text


def test_briefing_without_lagging_projects_says_so(user, plan):
    content, *_ = briefing_docx(user("district"), plan, dt.date(2031, 1, 1))
    text = _text(docx.Document(io.BytesIO(content)))

    assert "无滞后或逾期项目" in text


def test_briefing_needs_the_export_right(user, plan):
    with pytest.raises(PermissionError):
        briefing_docx(user("resident1"), plan, AT)
