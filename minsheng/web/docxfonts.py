"""Fonts in Word documents (python-docx): Chinese text needs its East-Asian font named on the
style or run, and theme fonts removed, or Word and LibreOffice fall back to a Japanese or Latin
face. The progress briefing, the mediation agreement and the annual report share this."""

from __future__ import annotations

from docx.oxml.ns import qn

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
