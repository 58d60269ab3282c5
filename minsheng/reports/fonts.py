"""CJK fonts for the report: found on the machine (fonts-noto-cjk, installed by
scripts/install-system-deps; MINSHENG_REPORT_FONT_DIR adds a folder to look in first), used by
Pillow for chart PNGs, and subset to the characters of one report and converted to TrueType for
embedding in the HTML and PDF.

Why convert: Noto CJK is an OpenType/CFF collection (.ttc). Chromium's PDF writer (Skia) turns
CFF glyphs into Type 3 procedures, not an embedded font; given TrueType outlines it embeds a
real CIDFontType2 subset (/FontFile2). fontTools (already pinned, a dependency of the charting
stack) draws each needed glyph into quadratic outlines, about 2.5 ms a glyph, cached per
process; the subset (a few hundred characters) also makes the HTML report readable on a machine
without Chinese fonts.
"""

from __future__ import annotations

import base64
import io
import string
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont, newTable
from fontTools.ttLib.tables._g_l_y_f import Glyph

# face: (CSS family and weight used in the report, file names to look for, wanted family suffix)
FACES = {
    "serif": ("MinshengSerif", 400, ("NotoSerifCJK-Regular.ttc", "NotoSerifCJKsc-Regular.otf",
                                     "SourceHanSerifSC-Regular.otf"), "SC"),
    "sans": ("MinshengSans", 400, ("NotoSansCJK-Regular.ttc", "NotoSansCJKsc-Regular.otf",
                                   "SourceHanSansSC-Regular.otf"), "SC"),
    "sans-bold": ("MinshengSans", 700, ("NotoSansCJK-Bold.ttc", "NotoSansCJKsc-Bold.otf",
                                        "SourceHanSansSC-Bold.otf"), "SC"),
}
SEARCH_DIRS = ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/noto-cjk",
               "/usr/share/fonts/google-noto-cjk", "/usr/share/fonts/opentype/source-han-sans",
               "/usr/share/fonts/opentype/source-han-serif", "/usr/share/fonts/noto",
               "/usr/local/share/fonts", "/Library/Fonts", "/System/Library/Fonts")
# always in each subset: figures and the punctuation numbers come with (page numbers too)
BASE_CHARS = string.digits + " .,%-+/:()（）、，。；：？！“”—…·"


@dataclass(frozen=True)
class FontFile:
    path: str
    index: int  # face in a collection


def _dirs() -> list[Path]:
    extra = settings.REPORT_FONT_DIR
    return [Path(d) for d in ((extra,) if extra else ()) + SEARCH_DIRS]


@lru_cache(maxsize=8)
def find(face: str) -> FontFile | None:
    """The font file and face index for "serif", "sans" or "sans-bold", or None."""
    _css, _weight, names, want = FACES[face]
    for d in _dirs():
        for name in names:
            path = d / name
            if path.is_file():
                index = _face_index(path, want)
                if index is not None:
                    return FontFile(str(path), index)
    return None


def _face_index(path: Path, want: str) -> int | None:
    try:
        if path.suffix.lower() == ".ttc":
            faces = TTCollection(str(path), lazy=True).fonts
        else:
            faces = [TTFont(str(path), lazy=True)]
    except Exception:  # a broken or unreadable file is the same as no file
        return None
    for i, f in enumerate(faces):
        family = f["name"].getDebugName(1) or ""
        if family.endswith(want) or " " + want + " " in family:
            return i
    return 0 if len(faces) == 1 else None


def available() -> bool:
    return find("serif") is not None or find("sans") is not None


def chart_fonts() -> tuple[tuple[str, int] | None, tuple[str, int] | None]:
    """(regular, bold) font for Pillow: the sans face, else the serif."""
    regular = find("sans") or find("serif")
    bold = find("sans-bold") or regular
    return ((regular.path, regular.index) if regular else None,
            (bold.path, bold.index) if bold else None)


_SOURCES: dict[FontFile, object] = {}
_GLYPHS: dict[tuple[FontFile, str], _Drawn] = {}  # TrueType outlines drawn so far (per process)
_LOCK = threading.Lock()  # a lazily read font file is one file position: one reader at a time


def _source(font: FontFile):
    if font not in _SOURCES:
        _SOURCES[font] = TTFont(font.path, fontNumber=font.index, lazy=True)
    return _SOURCES[font]


def subset_ttf(font: FontFile, text: str) -> bytes:
    """A TrueType font with the face's glyphs for the characters of `text` (plus BASE_CHARS):
    outlines converted from cubic (CFF) to quadratic curves, horizontal metrics, no layout
    tables (Chinese text needs none). Built with fontBuilder rather than the subsetter, which
    spends seconds interpreting every CFF charstring of the collection; converted glyphs are
    kept for the life of the process."""
    with _LOCK:
        return _subset_ttf(font, text)


@dataclass(frozen=True)
class _Drawn:
    """One glyph converted to TrueType: compiled glyf data and what maxp and hmtx need."""

    data: bytes
    x_min: int
    points: int
    contours: int


def _draw(src, font: FontFile, name: str) -> _Drawn:
    key = (font, name)
    if key not in _GLYPHS:
        pen = TTGlyphPen(None)
        glyph = src.getGlyphSet()[name]
        glyph.draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True) if "CFF " in src
                   else pen)
        g = pen.glyph()
        if g.numberOfContours > 0:
            g.recalcBounds(None)
            data = g.compile(None, recalcBBoxes=False)
            _GLYPHS[key] = _Drawn(data, g.xMin, len(g.coordinates), g.numberOfContours)
        else:
            _GLYPHS[key] = _Drawn(b"", 0, 0, 0)
    return _GLYPHS[key]


def _subset_ttf(font: FontFile, text: str) -> bytes:
    src = _source(font)
    cmap = src.getBestCmap()
    codepoints = sorted({ord(c) for c in text + BASE_CHARS} & set(cmap))
    names = [".notdef"]
    for cp in codepoints:
        if cmap[cp] not in names:
            names.append(cmap[cp])
    drawn = {name: _draw(src, font, name) for name in names}
    hmtx, hhea, os2, name_table, head = (src["hmtx"], src["hhea"], src["OS/2"], src["name"],
                                         src["head"])
    fb = FontBuilder(head.unitsPerEm, isTTF=True)
    fb.setupGlyphOrder(names)
    fb.setupCharacterMap({cp: cmap[cp] for cp in codepoints})
    # glyphs stay compiled (compiling outlines is most of the cost), so the bounding boxes
    # are not recalculated on save: head takes the source font's, maxp is filled in here
    fb.font.recalcBBoxes = False
    glyf = newTable("glyf")
    glyf.glyphs = {name: Glyph(d.data) for name, d in drawn.items()}
    glyf.glyphOrder = names
    fb.font["glyf"] = glyf
    fb.font["loca"] = newTable("loca")
    for attr in ("xMin", "yMin", "xMax", "yMax"):
        setattr(fb.font["head"], attr, getattr(head, attr))
    fb.setupMaxp()
    maxp = fb.font["maxp"]
    maxp.maxPoints = max(d.points for d in drawn.values())
    maxp.maxContours = max(d.contours for d in drawn.values())
    maxp.maxZones = 1
    fb.setupHorizontalMetrics({name: (hmtx[name][0], drawn[name].x_min) for name in names})
    fb.setupHorizontalHeader(ascent=hhea.ascent, descent=hhea.descent, lineGap=hhea.lineGap,
                             advanceWidthMax=hhea.advanceWidthMax)
    fb.setupNameTable({"familyName": name_table.getDebugName(1) or "Minsheng",
                       "styleName": name_table.getDebugName(2) or "Regular",
                       "fullName": name_table.getDebugName(4) or "Minsheng",
                       "psName": name_table.getDebugName(6) or "Minsheng"})
    fb.setupOS2(sTypoAscender=os2.sTypoAscender, sTypoDescender=os2.sTypoDescender,
                sTypoLineGap=os2.sTypoLineGap, usWinAscent=os2.usWinAscent,
                usWinDescent=os2.usWinDescent, usWeightClass=os2.usWeightClass, fsType=0,
                ulCodePageRange1=getattr(os2, "ulCodePageRange1", 0))
    fb.setupPost()
    buf = io.BytesIO()
    fb.save(buf)
    return buf.getvalue()


def font_face_css(texts: dict[str, str]) -> str:
    """@font-face rules with the report's fonts as data: URLs, each face subset to the text it
    sets ({face: text}); "" when no CJK font is installed."""
    rules = []
    for face, (css, weight, _names, _want) in FACES.items():
        font = find(face)
        if font is None or face not in texts:
            continue
        data = base64.b64encode(subset_ttf(font, texts[face])).decode("ascii")
        rules.append(f'@font-face {{ font-family: "{css}"; font-weight: {weight}; '
                     f'src: url(data:font/ttf;base64,{data}) format("truetype"); }}')
    return "\n".join(rules)
