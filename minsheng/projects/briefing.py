"""The progress briefing (进度通报) of a plan as a Word document.

Written the way a livelihood office circulates it: a title and the date it speaks for, the overall
picture in one paragraph (counts by status, money planned, allocated and spent in 万元/亿元), the
lagging, seriously lagging and overdue projects sorted by how far behind they are, and every
project by area. Figures come from the same computation as the pages and the Excel export
(exchange.visible_rows: approved progress only, status at the date), limited to the projects the
user may see. Fonts name an East-Asian face (宋体/黑体) so Word and WPS show the Chinese properly.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt

from minsheng.accounts import masking
from minsheng.accounts.models import AuditLog
from minsheng.lib.docx import (
    BODY_FONT,
    DOCX_TYPE,
    HEADING_FONT,
    add_run,
    repeat_header,
    set_style,
    shade,
)
from minsheng.lib.money import format_amount
from minsheng.lib.text import chinese_number, date_text
from minsheng.projects import progress
from minsheng.projects.exchange import ProjectRow, flag_counts, may_export, visible_rows
from minsheng.projects.models import Area, Plan

BEHIND = ("overdue", "at_risk", "lagging")


def percent_text(v: Decimal) -> str:
    s = f"{Decimal(v):.1f}"
    return (s[:-2] if s.endswith(".0") else s) + "%"


def money_text(yuan: Decimal) -> str:
    """As a briefing writes money: “6亿元”, “1,105.6万元”, “3,500元”."""
    return format_amount(yuan, "auto", strip_zeros=True)


def _points_text(v: Decimal) -> str:
    s = f"{Decimal(v):.1f}"
    return s[:-2] if s.endswith(".0") else s


# --- tables ------------------------------------------------------------------------------------


def _table(doc, headers: list[tuple[str, float]], rows: list[list[str]],
           numeric: set[int] = frozenset()) -> None:
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    head = table.rows[0]
    repeat_header(head)
    for i, (text, width) in enumerate(headers):
        cell = head.cells[i]
        cell.width = Cm(width)
        p = cell.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        add_run(p, text, font=HEADING_FONT, size=9)
        shade(cell, "D9E1F2")
    for values in rows:
        cells = table.add_row().cells
        for i, value in enumerate(values):
            cells[i].width = Cm(headers[i][1])
            p = cells[i].paragraphs[0]
            if i in numeric:
                p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            elif i == 0:
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            add_run(p, value, size=9)


# --- content -----------------------------------------------------------------------------------


def summary_text(plan: Plan, at: dt.date, rows: list[ProjectRow]) -> str:
    counts = flag_counts(rows)
    parts = [f"已完成{counts['completed']}个", f"正常推进{counts['on_track']}个",
             f"滞后{counts['lagging']}个", f"严重滞后{counts['at_risk']}个",
             f"逾期未完成{counts['overdue']}个"]
    if counts["not_started"]:
        parts.append(f"尚未开始{counts['not_started']}个")
    if counts["cancelled"]:
        parts.append(f"已终止{counts['cancelled']}个")
    planned = sum((r.planned for r in rows), Decimal(0))
    allocated = sum((r.allocated for r in rows), Decimal(0))
    spent = sum((r.spent for r in rows), Decimal(0))
    money = f"计划总投资{money_text(planned)}，已下达资金{money_text(allocated)}"
    if planned:
        money += f"（占计划投资的{percent_text(allocated * 100 / planned)}）"
    money += f"，累计支出{money_text(spent)}"
    if allocated:
        money += f"（占已下达资金的{percent_text(spent * 100 / allocated)}）"
    return (f"截至{date_text(at)}，{plan.name}共有项目{len(rows)}个，其中"
            + "，".join(parts) + "。" + money + "。")


def _lag_rows(rows: list[ProjectRow]) -> list[ProjectRow]:
    behind = [r for r in rows if r.status.flag in BEHIND]
    return sorted(behind, key=lambda r: (-r.status.lag, r.project.end_date, r.project.pk))


def briefing_docx(user, plan: Plan, at: dt.date, *, request=None) -> tuple[bytes, str, str]:
    """The plan's 进度通报 at `at` as (docx bytes, content_type, filename), limited to the projects
    the user may see. Raises PermissionError for a user without the export right."""
    if not may_export(user):
        raise PermissionError("没有导出数据的权限")
    rows = visible_rows(user, plan, at)
    partial = len(rows) < plan.projects.count()

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(2.2))
    section.top_margin, section.bottom_margin = Cm(2.5), Cm(2.2)
    set_style(doc, "Normal", BODY_FONT, 12)
    set_style(doc, "Heading 1", HEADING_FONT, 15, bold=False)
    set_style(doc, "Heading 2", HEADING_FONT, 13, bold=False)
    doc.core_properties.title = f"{plan.name}进度通报"
    doc.core_properties.language = "zh-CN"

    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    add_run(title, f"{plan.name}进度通报", font=HEADING_FONT, size=20)
    sub = doc.add_paragraph()
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
    add_run(sub, f"（截至{date_text(at)}）", size=14)

    doc.add_heading("一、总体情况", level=1)
    p = doc.add_paragraph()
    p.paragraph_format.first_line_indent = Pt(24)
    add_run(p, summary_text(plan, at, rows))
    if partial:
        note = doc.add_paragraph()
        note.paragraph_format.first_line_indent = Pt(24)
        add_run(note, "本通报仅包含您有权查看的项目。", size=10.5)

    doc.add_heading("二、滞后及逾期项目", level=1)
    behind = _lag_rows(rows)
    if behind:
        p = doc.add_paragraph()
        p.paragraph_format.first_line_indent = Pt(24)
        add_run(p, f"以下{len(behind)}个项目进度滞后或逾期未完成，按滞后程度排列，请牵头单位加快推进：")
        _table(doc, [("序号", 1.1), ("项目名称", 4.6), ("牵头单位", 3.0), ("计划进度", 1.7),
                     ("实际进度", 1.7), ("滞后(百分点)", 1.8), ("完成时限", 2.4), ("状态", 1.9)],
               [[str(i), r.project.name, r.project.lead_department.name,
                 percent_text(r.status.planned), percent_text(r.status.actual),
                 _points_text(r.status.lag), f"{r.project.end_date:%Y-%m-%d}", r.status.label]
                for i, r in enumerate(behind, start=1)],
               numeric={3, 4, 5})
    else:
        p = doc.add_paragraph()
        p.paragraph_format.first_line_indent = Pt(24)
        add_run(p, "无滞后或逾期项目。")

    doc.add_heading("三、各领域项目进展", level=1)
    n = 0
    for area in Area:
        mine = [r for r in rows if r.project.area == area.value]
        if not mine:
            continue
        n += 1
        planned = sum((r.planned for r in mine), Decimal(0))
        doc.add_heading(f"（{chinese_number(n)}）{area.label}（{len(mine)}个项目，"
                        f"计划投资{money_text(planned)}）", level=2)
        _table(doc, [("序号", 1.1), ("项目名称", 4.2), ("牵头单位", 2.8), ("目标任务", 4.0),
                     ("计划投资(万元)", 2.1), ("计划进度", 1.5), ("实际进度", 1.5), ("状态", 1.6)],
               [[r.project.number or str(i), r.project.name, r.project.lead_department.name,
                 r.project.target, format_amount(r.planned, "万元", show_unit=False),
                 percent_text(r.status.planned), percent_text(r.status.actual), r.status.label]
                for i, r in enumerate(mine, start=1)],
               numeric={4, 5, 6})
    if not n:
        add_run(doc.add_paragraph(), "暂无项目。")

    note = doc.add_paragraph()
    note.paragraph_format.space_before = Pt(12)
    add_run(note, f"说明：计划进度按各项目进度节点及权重计算；实际进度取截至{date_text(at)}已审核通过的"
               f"最新进度报告。比计划滞后{progress.LAGGING_POINTS}个百分点及以上为“滞后”，"
               f"{progress.AT_RISK_POINTS}个百分点及以上或距完成时限{progress.AT_RISK_DAYS}天内仍滞后为"
               "“严重滞后”，超过完成时限仍未完成为“逾期未完成”。", size=10.5)

    buf = io.BytesIO()
    doc.save(buf)
    masking.log(user, AuditLog.Action.EXPORT, object_type="projects.project",
                object_id=str(plan.pk), region_code=plan.region_id,
                detail=f"导出{plan.name}进度通报（截至 {at:%Y-%m-%d}，{len(rows)} 个项目）",
                request=request)
    return buf.getvalue(), DOCX_TYPE, f"{plan.name}进度通报_{at:%Y%m%d}.docx"
