"""Word helpers: East-Asian fonts on styles and runs, table headers that repeat and are shaded."""

from __future__ import annotations

import io
import subprocess
import sys

import docx
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor

from minsheng.lib.docx import (
    BODY_FONT,
    HEADING_FONT,
    LATIN_FONT,
    add_run,
    repeat_header,
    set_fonts,
    set_style,
    shade,
)


def fonts(element) -> dict[str, str | None]:
    rfonts = element.find(qn("w:rPr")).find(qn("w:rFonts"))
    return {a: rfonts.get(qn(f"w:{a}"))
            for a in ("ascii", "hAnsi", "eastAsia", "asciiTheme", "eastAsiaTheme")}


def reopened(doc) -> docx.document.Document:
    buf = io.BytesIO()
    doc.save(buf)
    return docx.Document(io.BytesIO(buf.getvalue()))


def test_set_fonts_names_the_east_asian_face_and_drops_theme_fonts() -> None:
    doc = docx.Document()
    style = doc.styles["Heading 1"]  # the default template gives headings theme fonts
    assert fonts(style.element)["asciiTheme"] is not None
    set_fonts(style.element, HEADING_FONT)
    assert fonts(style.element) == {"ascii": LATIN_FONT, "hAnsi": LATIN_FONT,
                                    "eastAsia": "黑体", "asciiTheme": None,
                                    "eastAsiaTheme": None}
    set_fonts(style.element, "SimHei", latin="Arial")
    assert fonts(style.element)["ascii"] == "Arial" and fonts(style.element)["eastAsia"] == "SimHei"


def test_set_style_sets_font_size_weight_and_black_and_spacing_only_when_given() -> None:
    doc = docx.Document()
    before = doc.styles["Normal"].paragraph_format.space_before
    set_style(doc, "Normal", BODY_FONT, 12)
    set_style(doc, "Title", HEADING_FONT, 20, bold=True, before=0, after=12)
    d = reopened(doc)
    normal, title = d.styles["Normal"], d.styles["Title"]
    assert fonts(normal.element)["eastAsia"] == "宋体" and normal.font.size == Pt(12)
    assert normal.font.bold is False and normal.font.color.rgb == RGBColor(0, 0, 0)
    assert normal.paragraph_format.space_before == before  # untouched
    assert fonts(title.element)["eastAsia"] == "黑体" and title.font.bold is True
    assert title.paragraph_format.space_before == Pt(0)
    assert title.paragraph_format.space_after == Pt(12)


def test_add_run_sets_the_font_and_only_what_is_asked() -> None:
    doc = docx.Document()
    p = doc.add_paragraph()
    plain = add_run(p, "正文")
    loud = add_run(p, "标题", font=HEADING_FONT, size=9, bold=True, color="555555")
    assert p.text == "正文标题"
    assert fonts(plain._r)["eastAsia"] == "宋体"
    assert plain.font.size is None and plain.bold is None and plain.font.color.rgb is None
    assert fonts(loud._r)["eastAsia"] == "黑体" and loud.font.size == Pt(9) and loud.bold
    assert loud.font.color.rgb == RGBColor(0x55, 0x55, 0x55)


def test_a_table_header_repeats_on_every_page_and_is_shaded() -> None:
    doc = docx.Document()
    table = doc.add_table(rows=2, cols=2)
    repeat_header(table.rows[0])
    shade(table.rows[0].cells[0], "D9E1F2")
    t = reopened(doc).tables[0]
    header = t.rows[0]._tr.trPr.find(qn("w:tblHeader"))
    assert header is not None and header.get(qn("w:val")) == "true"
    assert t.rows[1]._tr.trPr is None
    shd = t.rows[0].cells[0]._tc.tcPr.find(qn("w:shd"))
    assert shd.get(qn("w:fill")) == "D9E1F2"
    assert t.rows[0].cells[1]._tc.tcPr.find(qn("w:shd")) is None


def test_lib_imports_neither_django_nor_an_app() -> None:
    code = ("import sys, minsheng.lib.docx, minsheng.lib.money, minsheng.lib.text; "
            "print(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.') "
            "or (m.startswith('minsheng.') and not m.startswith('minsheng.lib'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
