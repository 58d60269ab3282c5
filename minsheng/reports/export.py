"""The report's four files, all drawn from one block list (document.Report):

- HTML: a Django template (reports/annual.html), self-contained: inline CSS with print rules,
  charts as inline SVG, and (for downloads and the PDF) the CJK fonts subset and embedded.
- PDF: that HTML printed by headless Chromium. The embedded TrueType subsets (fonts.py) make
  Chromium embed real CID fonts (/FontFile2) rather than Type 3 glyph procedures.
- DOCX: python-docx, 宋体/黑体 named as East-Asian fonts (w:eastAsia) so Word and WPS pick
  Chinese faces; charts as PNG (charts.to_png with the CJK font Pillow finds).
- XLSX: every indicator with value, unit, previous, target, definition, source, owner,
  verified and as-of, a sheet per section, plus the projects.

`write(report, fmt, path)` writes to a temporary file beside the target and renames it, so a
failure never leaves a partial file behind.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from lxml import etree
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from minsheng.indicators.models import DataElement, Section
from minsheng.lib.docx import DOCX_TYPE, add_run, repeat_header, set_style, shade
from minsheng.lib.money import to_unit
from minsheng.lib.tabular import append_row
from minsheng.lib.text import date_text
from minsheng.reports import charts, fonts
from minsheng.reports.document import ChartBlock, Heading, Note, Paragraph, Report, Table
from minsheng.reports.figures import indicator_as_of

FORMATS = ("docx", "pdf", "html", "xlsx")
CONTENT_TYPES = {
    "docx": DOCX_TYPE,
    "pdf": "application/pdf",
    "html": "text/html; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# 宋体 and 黑体 by their font family names: Word and WPS know them under either name, and
# fontconfig knows SimSun as a Chinese serif and SimHei as a sans, so LibreOffice on Linux falls
# back to Noto Serif / Noto Sans CJK SC (with "宋体" it fell back to a Latin sans).
BODY_FONT = "SimSun"  # 宋体
HEADING_FONT = "SimHei"  # 黑体
NOTE_FONT = "KaiTi"  # 楷体
CHROMIUM_TIMEOUT = 120  # seconds


class ExportError(RuntimeError):
    """A file could not be produced (missing Chromium or fonts, unwritable path): Chinese."""


def generated_text() -> str:
    now = timezone.localtime()
    return f"{date_text(now)} {now:%H:%M}"


# --- HTML --------------------------------------------------------------------------------------

_FONT_SLOT = "/*report-fonts*/"


def html(report: Report, *, embed_fonts: bool = True, preview: bool = False) -> str:
    """The report as one HTML document; `embed_fonts` puts the subset CJK fonts inside."""
    page = render_to_string("reports/annual.html", {
        "report": report, "blocks": report.blocks, "data": report.data,
        "font_slot": _FONT_SLOT, "generated_at": generated_text(), "preview": preview,
    })
    css = fonts.font_face_css(face_texts(report)) if embed_fonts else ""
    return page.replace(_FONT_SLOT, css, 1)


def face_texts(report: Report) -> dict[str, str]:
    """The text each face of the HTML sets (the CSS of annual.html): headings, captions and
    table heads in bold sans; tables, notes and charts in sans; paragraphs in serif."""
    serif, sans, bold = [], ["第页共民生 Minsheng 生成于年月日", generated_text()], []
    for b in report.blocks:
        if isinstance(b, Heading):
            bold.append(b.text)
        elif isinstance(b, Paragraph):
            serif.append(b.text)
        elif isinstance(b, Note):
            sans.append(b.text)
        elif isinstance(b, Table):
            bold.append(b.title + "".join(c.label for c in b.columns))
            sans.append(b.note + "".join("".join(r) for r in b.rows))
        elif isinstance(b, ChartBlock):
            layout = charts.layout(b.chart)
            for s in layout.shapes:
                if isinstance(s, charts.Text):
                    (bold if s.bold else sans).append(s.text)
    return {"serif": "".join(serif), "sans": "".join(sans), "sans-bold": "".join(bold)}


# --- PDF ---------------------------------------------------------------------------------------


def chromium_path() -> str | None:
    configured = settings.CHROMIUM
    if configured:
        return configured if Path(configured).exists() else None
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def pdf(report: Report) -> bytes:
    """The HTML report printed to A4 by headless Chromium, with the CJK fonts embedded."""
    browser = chromium_path()
    if browser is None:
        raise ExportError("生成 PDF 需要 Chromium 浏览器：请安装 chromium（scripts/install-system-deps），"
                          "或用 MINSHENG_CHROMIUM 指定其路径。")
    if not fonts.available():
        raise ExportError("生成 PDF 需要中文字体：请安装 fonts-noto-cjk，"
                          "或用 MINSHENG_REPORT_FONT_DIR 指定字体目录。")
    page = html(report, embed_fonts=True)
    with tempfile.TemporaryDirectory(prefix="minsheng-report-") as tmp:
        src, out = Path(tmp) / "report.html", Path(tmp) / "report.pdf"
        src.write_text(page, encoding="utf-8")
        cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-extensions",
               "--disable-dev-shm-usage", "--no-first-run", "--hide-scrollbars",
               f"--user-data-dir={tmp}/profile", "--no-pdf-header-footer",
               f"--print-to-pdf={out}", src.as_uri()]
        env = {**os.environ, "HOME": tmp}
        try:
            proc = subprocess.run(cmd, capture_output=True, timeout=CHROMIUM_TIMEOUT, env=env,
                                  check=False)
        except subprocess.TimeoutExpired as exc:
            raise ExportError(f"Chromium 生成 PDF 超时（{CHROMIUM_TIMEOUT} 秒）") from exc
        except OSError as exc:
            raise ExportError(f"无法运行 Chromium（{browser}）：{exc}") from exc
        if proc.returncode != 0 or not out.exists() or out.stat().st_size == 0:
            tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
            raise ExportError("Chromium 未能生成 PDF：" + " / ".join(tail))
        return out.read_bytes()


# --- DOCX --------------------------------------------------------------------------------------


def _page_number(section) -> None:
    """"第 N 页" centred in the footer (a PAGE field)."""
    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    add_run(p, "第 ", font=BODY_FONT, size=9)
    run = add_run(p, "", font=BODY_FONT, size=9)
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"),
                       ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        elif text == " PAGE ":
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        else:
            el = OxmlElement("w:t")
            el.text = text
        run._r.append(el)
    add_run(p, " 页", font=BODY_FONT, size=9)


def _chinese_defaults(doc) -> None:
    """Chinese as the East-Asian language (fallback fonts are chosen by it), no automatic space
    between Chinese and Latin or digits ("2025年", as the seeds print it), and no border under
    the Title style."""
    normal = doc.styles["Normal"].element
    rpr = normal.get_or_add_rPr()
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    ppr = normal.get_or_add_pPr()
    for tag in ("w:autoSpaceDE", "w:autoSpaceDN"):  # in schema order, or readers skip them
        el = OxmlElement(tag)
        el.set(qn("w:val"), "0")
        ppr.insert_element_before(el, "w:bidi", "w:adjustRightInd", "w:snapToGrid",
                                  "w:spacing", "w:ind", "w:contextualSpacing", "w:jc",
                                  "w:textDirection", "w:textAlignment", "w:outlineLvl",
                                  "w:rPr", "w:sectPr", "w:pPrChange")
    title = doc.styles["Title"].element.get_or_add_pPr()
    for el in title.findall(qn("w:pBdr")):
        title.remove(el)


def _font_table_alternatives(doc) -> None:
    """Tell Word/LibreOffice what SimSun/SimHei/KaiTi are (Chinese names, GB2312 charset,
    family), so a machine without them substitutes a Chinese serif/sans face, not a Latin one."""
    try:
        part = doc.part.part_related_by(RT.FONT_TABLE)
    except KeyError:
        return
    root = etree.fromstring(part.blob)
    for name, alt, family, panose in (("SimSun", "宋体", "roman", "02010600030101010101"),
                                      ("SimHei", "黑体", "modern", "02010609060101010101"),
                                      ("KaiTi", "楷体", "modern", "02010609060101010101")):
        font = OxmlElement("w:font")
        font.set(qn("w:name"), name)
        for tag, val in (("w:altName", alt), ("w:panose1", panose), ("w:charset", "86"),
                         ("w:family", family), ("w:pitch", "variable")):
            el = OxmlElement(tag)
            el.set(qn("w:val"), val)
            font.append(el)
        root.append(font)
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def docx(report: Report) -> bytes:
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.6)
    section.top_margin, section.bottom_margin = Cm(2.6), Cm(2.4)
    text_width = 21 - 2 * 2.6
    set_style(doc, "Normal", BODY_FONT, 12, before=0, after=0)
    doc.styles["Normal"].paragraph_format.line_spacing = 1.5
    _chinese_defaults(doc)
    set_style(doc, "Title", HEADING_FONT, 20, before=0, after=12)
    set_style(doc, "Heading 1", HEADING_FONT, 15, before=12, after=6)
    set_style(doc, "Heading 2", HEADING_FONT, 13, before=8, after=4)
    doc.core_properties.title = report.title
    doc.core_properties.language = "zh-CN"
    doc.core_properties.author = "民生 Minsheng"
    _font_table_alternatives(doc)
    _page_number(section)
    regular, bold = fonts.chart_fonts()

    for b in report.blocks:
        if isinstance(b, Heading):
            if b.level == 1:
                p = doc.add_paragraph(style="Title")
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
                add_run(p, b.text, font=HEADING_FONT)
            else:
                p = doc.add_paragraph(style="Heading 1" if b.level == 2 else "Heading 2")
                add_run(p, b.text, font=HEADING_FONT)
                p.paragraph_format.keep_with_next = True
        elif isinstance(b, Paragraph):
            p = doc.add_paragraph()
            p.paragraph_format.first_line_indent = Pt(24)
            p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
            add_run(p, b.text, font=BODY_FONT)
        elif isinstance(b, Note):
            p = doc.add_paragraph()
            p.paragraph_format.line_spacing = 1.2
            add_run(p, b.text, font=NOTE_FONT, size=10.5, color="555555")
        elif isinstance(b, Table):
            cap = doc.add_paragraph()
            cap.alignment = WD_ALIGN_PARAGRAPH.CENTER
            cap.paragraph_format.keep_with_next = True
            cap.paragraph_format.space_before = Pt(6)
            add_run(cap, b.title, font=HEADING_FONT, size=10.5)
            table = doc.add_table(rows=1, cols=len(b.columns))
            table.style = "Table Grid"
            table.alignment = WD_TABLE_ALIGNMENT.CENTER
            table.autofit = False
            widths = [Cm(text_width * w / 100) for w in b.widths]
            for column, width in zip(table.columns, widths, strict=True):
                column.width = width  # the grid LibreOffice and WPS lay out by
            head = table.rows[0]
            repeat_header(head)
            for cell, col, width in zip(head.cells, b.columns, widths, strict=True):
                cell.width = width
                p = cell.paragraphs[0]
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
                p.paragraph_format.line_spacing = 1.0
                add_run(p, col.label, font=HEADING_FONT, size=9)
                shade(cell, "DCE6F2")
            align = {"left": WD_ALIGN_PARAGRAPH.LEFT, "right": WD_ALIGN_PARAGRAPH.RIGHT,
                     "center": WD_ALIGN_PARAGRAPH.CENTER}
            for values in b.rows:
                cells = table.add_row().cells
                for cell, value, col, width in zip(cells, values, b.columns, widths,
                                                   strict=False):
                    cell.width = width
                    p = cell.paragraphs[0]
                    p.alignment = align[col.align]
                    p.paragraph_format.line_spacing = 1.0
                    add_run(p, value, font=BODY_FONT, size=9)
            if b.note:
                p = doc.add_paragraph()
                p.paragraph_format.line_spacing = 1.0
                add_run(p, b.note, font=BODY_FONT, size=9, color="555555")
            else:
                doc.add_paragraph().paragraph_format.line_spacing = 1.0
        elif isinstance(b, ChartBlock):
            p = doc.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            p.paragraph_format.keep_with_next = False
            if regular is None:
                add_run(p, f"（图“{b.chart.title}”未插入：本机没有中文字体，请安装 fonts-noto-cjk）",
                        font=BODY_FONT, size=9, color="555555")
                continue
            png = charts.to_png(b.chart, regular, bold)
            p.add_run().add_picture(io.BytesIO(png), width=Cm(min(15.5, text_width)))

    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    add_run(p, f"民生 Minsheng 生成于{generated_text()}", font=BODY_FONT, size=9, color="777777")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# --- XLSX --------------------------------------------------------------------------------------

XLSX_COLUMNS = [("代码", 22), ("指标", 30), ("数值", 12), ("显示值", 16), ("单位", 10),
                ("上年", 12), ("年度目标", 12), ("达到目标", 10), ("口径说明", 50),
                ("来源", 22), ("依据文件", 36), ("责任部门", 18), ("口径已核实", 10),
                ("数据截至", 18)]


def _local(stamp: dt.datetime | None) -> dt.datetime | None:
    """Excel has no time zones: local wall time, without tzinfo."""
    return timezone.localtime(stamp).replace(tzinfo=None) if stamp else None


def xlsx(report: Report) -> bytes:
    data = report.data
    stamps = indicator_as_of(data.region, data.period, data.computed_at)
    elements = {e.code: e for e in DataElement.objects.select_related("dataset")}
    head_font, head_fill = Font(bold=True), PatternFill("solid", fgColor="DCE6F2")
    wrap = Alignment(wrap_text=True, vertical="top")

    wb = Workbook()
    about = wb.active
    about.title = "说明"
    for row in (("报告", report.title), ("区划", data.region.name),
                ("区划代码", data.region.code), ("年度", data.year),
                ("报告截至", data.at), ("系统数据计算于", _local(data.computed_at)),
                ("导出时间", _local(timezone.now())),
                ("说明", "每个板块一张工作表，列出该板块全部启用的指标；“数值”为按显示单位换算后的数，"
                         "空白表示暂无数据。人工填报的数据只计审核通过的。")):
        append_row(about, row)
    about.column_dimensions["A"].width = 16
    about.column_dimensions["B"].width = 80
    for cell in about["A"]:
        cell.font = head_font

    def header(ws, columns) -> None:
        append_row(ws, [c for c, _w in columns])
        for i, (_c, width) in enumerate(columns, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
            ws.cell(row=1, column=i).font = head_font
            ws.cell(row=1, column=i).fill = head_fill
        ws.freeze_panes = "C2"

    for key, label in Section.choices:
        values = [v for v in data.values.values() if v.indicator.section == key]
        if not values:
            continue
        ws = wb.create_sheet(str(label)[:31])
        header(ws, XLSX_COLUMNS)
        for v in values:
            ind = v.indicator
            fig = data.figures[ind.code]
            manual = sorted({elements[c].dataset.name for c in ind.element_codes()
                             if c in elements and elements[c].source == "manual"
                             and elements[c].dataset})
            source = "人工填报：" + "、".join(manual) if manual else "系统计算"
            append_row(ws, [
                ind.code, ind.name, float(v.value) if v.value is not None else None,
                fig.text if fig else "", ind.unit,
                float(v.previous) if v.previous is not None else None,
                float(v.target) if v.target is not None else None,
                {True: "是", False: "否"}.get(v.on_target, ""),
                ind.definition, source, ind.source_document, ind.owner,
                "是" if ind.verified else "否", _local(stamps.get(ind.code)),
            ])
            r = ws.max_row
            number_format = "#,##0" + ("." + "0" * ind.decimals if ind.decimals else "")
            for col in (3, 6, 7):
                ws.cell(row=r, column=col).number_format = number_format
            ws.cell(row=r, column=14).number_format = "yyyy-mm-dd hh:mm"
            for col in (9, 11):
                ws.cell(row=r, column=col).alignment = wrap

    ws = wb.create_sheet("项目清单")
    header(ws, [("序号", 8), ("项目名称", 30), ("领域", 16), ("牵头单位", 22), ("目标任务", 40),
                ("计划投资（万元）", 14), ("完成时限", 12), ("计划进度（%）", 12),
                ("实际进度（%）", 12), ("状态", 12)])
    for i, r in enumerate(data.projects.rows, start=1):
        append_row(ws, [r.number or str(i), r.name, r.area, r.lead, r.target,
                        float(to_unit(r.planned_money, "万元", 2)), r.end_date, float(r.planned),
                        float(r.actual), r.label])
        ws.cell(row=ws.max_row, column=7).number_format = "yyyy-mm-dd"

    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --- files -------------------------------------------------------------------------------------


def render(report: Report, fmt: str) -> bytes:
    if fmt == "html":
        return html(report).encode("utf-8")
    if fmt == "pdf":
        return pdf(report)
    if fmt == "docx":
        return docx(report)
    if fmt == "xlsx":
        return xlsx(report)
    raise ExportError(f"不支持的格式“{fmt}”：应为 {'、'.join(FORMATS)} 之一")


def check_writable(path: Path) -> None:
    """Refuse before any work is done when `path` cannot be written."""
    if path.is_dir():
        raise ExportError(f"输出路径是一个目录：{path}")
    parent = path.parent
    if not parent.is_dir():
        raise ExportError(f"输出目录不存在：{parent}")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ExportError(f"没有权限写入目录：{parent}")
    if path.exists() and not os.access(path, os.W_OK):
        raise ExportError(f"没有权限覆盖文件：{path}")


def write(content: bytes, path: Path) -> None:
    """Write to a temporary file beside `path`, then rename it into place (atomic)."""
    check_writable(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ExportError(f"无法写入 {path}：{exc.strerror or exc}") from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
