"""Word documents (python-docx) in Chinese: fonts, styles, runs and table headers.

Chinese text needs its East-Asian font named on the style or run, and the theme fonts removed,
or Word and LibreOffice fall back to a Japanese or Latin face. The progress briefing
(projects/briefing.py), the mediation agreement (cases/mediation.py) and the annual report
(reports/export.py) share these helpers.
"""

from __future__ import annotations

from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor

__all__ = [
    "BODY_FONT", "DOCX_TYPE", "HEADING_FONT", "LATIN_FONT", "add_run", "repeat_header",
    "set_fonts", "set_style", "shade",
]

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
BODY_FONT = "宋体"  # SimSun: the body text of 公文
HEADING_FONT = "黑体"  # SimHei: titles and headings
LATIN_FONT = "Times New Roman"


def set_fonts(element, east_asia: str, latin: str = LATIN_FONT) -> None:
    """Name the fonts on a style's or run's rPr, dropping theme fonts that would override them."""
    rpr = element.get_or_add_rPr()
    rfonts = rpr.get_or_add_rFonts()
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(attr), None)
    rfonts.set(qn("w:ascii"), latin)
    rfonts.set(qn("w:hAnsi"), latin)
    rfonts.set(qn("w:eastAsia"), east_asia)


def set_style(doc, name: str, east_asia: str, size: float, *, bold: bool = False,
              before: float | None = None, after: float | None = None) -> None:
    """Set a named style's East-Asian font, size (pt), weight and black colour; the space
    before and after its paragraphs (pt) only when given."""
    style = doc.styles[name]
    set_fonts(style.element, east_asia)
    style.font.size = Pt(size)
    style.font.bold = bold
    style.font.color.rgb = RGBColor(0, 0, 0)
    if before is not None:
        style.paragraph_format.space_before = Pt(before)
    if after is not None:
        style.paragraph_format.space_after = Pt(after)


def add_run(paragraph, text: str, *, font: str = BODY_FONT, size: float | None = None,
            bold: bool = False, color: str | None = None):
    """Append a run of `text` in the East-Asian `font`, optionally sized (pt), bold and coloured
    (hex "555555"); returns the run."""
    run = paragraph.add_run(text)
    set_fonts(run._r, font)
    if size:
        run.font.size = Pt(size)
    if bold:
        run.bold = True
    if color:
        run.font.color.rgb = RGBColor.from_string(color)
    return run


def repeat_header(row) -> None:
    """Repeat this table row at the top of every page the table runs onto."""
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(el)


def shade(cell, fill: str) -> None:
    """Fill a table cell with a background colour (hex "D9E1F2")."""
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shd)
