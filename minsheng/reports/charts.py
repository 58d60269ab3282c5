"""Bar charts for the report: one layout, drawn as inline SVG (HTML, PDF) or as a PNG with
Pillow (Word). The layout is a list of rectangles, lines and texts in a 640-wide coordinate
space, so both drawings show the same chart; text widths are estimated (a CJK character is one
em, other characters a little over half), which is all a label column needs.

No charting library: the report has three kinds of bar chart (columns by month or status,
horizontal bars by street or budget class) and Pillow comes with reportlab already.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from PIL import Image, ImageDraw, ImageFont

WIDTH = 640
PALETTE = ("#2f6db5", "#e39b3b", "#5a9e4b", "#a55194")
TEXT = "#222222"
MUTED = "#666666"
GRID = "#dddddd"


@dataclass
class Series:
    name: str
    values: list[float | None]
    colors: list[str] | None = None  # one per bar, overriding the series colour


@dataclass
class Chart:
    title: str
    labels: list[str]
    series: list[Series]
    unit: str = ""
    horizontal: bool = False
    decimals: int = 0
    note: str = ""

    @property
    def empty(self) -> bool:
        return not self.labels or all(v is None for s in self.series for v in s.values)


@dataclass
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str


@dataclass
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    stroke: str = GRID


@dataclass
class Text:
    x: float
    y: float  # the vertical middle of the text
    text: str
    size: float = 11
    anchor: str = "start"  # start | middle | end
    fill: str = TEXT
    bold: bool = False


@dataclass
class Layout:
    width: float
    height: float
    shapes: list = field(default_factory=list)


def text_width(text: str, size: float) -> float:
    return sum(1.0 if ord(c) >= 0x2E80 else 0.58 for c in text) * size


def _fmt(v: float, decimals: int) -> str:
    return f"{v:,.{decimals}f}"


def _nice_max(v: float) -> float:
    if v <= 0:
        return 1.0
    exp = 10 ** math.floor(math.log10(v))
    for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if m * exp >= v:
            return m * exp
    return 10 * exp


def _legend(chart: Chart, y: float, shapes: list) -> float:
    if len(chart.series) < 2:
        return y
    x = 0.0
    for i, s in enumerate(chart.series):
        shapes.append(Rect(x, y - 5, 10, 10, PALETTE[i % len(PALETTE)]))
        shapes.append(Text(x + 14, y, s.name, 10, fill=MUTED))
        x += 14 + text_width(s.name, 10) + 18
    return y + 18


def layout(chart: Chart) -> Layout:
    shapes: list = [Text(0, 10, chart.title, 13, bold=True)]
    y = 30.0
    if chart.unit:
        shapes.append(Text(WIDTH, 10, f"单位：{chart.unit}", 10, "end", MUTED))
    y = _legend(chart, y, shapes)
    values = [v for s in chart.series for v in s.values if v is not None]
    top = _nice_max(max(values, default=0))
    if chart.horizontal:
        height = _horizontal(chart, y, top, shapes)
    else:
        height = _columns(chart, y, top, shapes)
    if chart.note:
        shapes.append(Text(0, height + 8, chart.note, 9.5, fill=MUTED))
        height += 18
    return Layout(WIDTH, height + 4, shapes)


def _horizontal(chart: Chart, y: float, top: float, shapes: list) -> float:
    label_w = min(200.0, max(text_width(lbl, 11) for lbl in chart.labels) + 10)
    value_w = 70.0
    plot_w = WIDTH - label_w - value_w
    n_series = len(chart.series)
    bar_h = 14.0 if n_series == 1 else 9.0
    row_h = bar_h * n_series + 8
    for i, label in enumerate(chart.labels):
        ry = y + i * row_h
        shapes.append(Text(label_w - 8, ry + row_h / 2, label, 11, "end"))
        for j, s in enumerate(chart.series):
            v = s.values[i]
            by = ry + 4 + j * bar_h
            if v is None:
                shapes.append(Text(label_w + 4, by + bar_h / 2, "—", 10, fill=MUTED))
                continue
            w = plot_w * v / top if top else 0
            color = s.colors[i] if s.colors else PALETTE[j % len(PALETTE)]
            shapes.append(Rect(label_w, by, max(w, 0.5), bar_h - 1, color))
            shapes.append(Text(label_w + w + 4, by + bar_h / 2, _fmt(v, chart.decimals), 10,
                               fill=MUTED))
    bottom = y + len(chart.labels) * row_h
    shapes.append(Line(label_w, y, label_w, bottom, "#999999"))
    return bottom


def _columns(chart: Chart, y: float, top: float, shapes: list) -> float:
    axis_w = max(text_width(_fmt(top, chart.decimals), 10), 24) + 8
    plot_h = 190.0
    plot_x, plot_w = axis_w, WIDTH - axis_w
    base = y + 8 + plot_h
    for k in range(5):
        v = top * k / 4
        gy = base - plot_h * k / 4
        shapes.append(Line(plot_x, gy, WIDTH, gy, GRID if k else "#999999"))
        shapes.append(Text(plot_x - 6, gy, _fmt(v, chart.decimals), 9.5, "end", MUTED))
    n = len(chart.labels)
    group = plot_w / n
    n_series = len(chart.series)
    bar_w = min(40.0, group * 0.7 / n_series)
    label_size = 10.0 if max(text_width(lbl, 10) for lbl in chart.labels) < group - 2 else 8.5
    for i, label in enumerate(chart.labels):
        gx = plot_x + i * group + (group - bar_w * n_series) / 2
        for j, s in enumerate(chart.series):
            v = s.values[i]
            if v is None:
                continue
            h = plot_h * v / top if top else 0
            color = s.colors[i] if s.colors else PALETTE[j % len(PALETTE)]
            shapes.append(Rect(gx + j * bar_w, base - h, bar_w - 1, max(h, 0.5), color))
            if n * n_series <= 16:
                shapes.append(Text(gx + j * bar_w + bar_w / 2, base - h - 7,
                                   _fmt(v, chart.decimals), 9.5, "middle", MUTED))
        shapes.append(Text(plot_x + i * group + group / 2, base + 12, label, label_size,
                           "middle"))
    return base + 22


# --- SVG ---------------------------------------------------------------------------------------


def to_svg(chart: Chart) -> str:
    """Inline SVG; text takes the page's font through the `chart` class (CSS of the report)."""
    lay = layout(chart)
    out = [f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {lay.width:.0f} '
           f'{lay.height:.0f}" role="img" aria-label="{escape(chart.title)}">']
    for s in lay.shapes:
        if isinstance(s, Rect):
            out.append(f'<rect x="{s.x:.1f}" y="{s.y:.1f}" width="{s.w:.1f}" height="{s.h:.1f}" '
                       f'fill="{s.fill}"/>')
        elif isinstance(s, Line):
            out.append(f'<line x1="{s.x1:.1f}" y1="{s.y1:.1f}" x2="{s.x2:.1f}" y2="{s.y2:.1f}" '
                       f'stroke="{s.stroke}" stroke-width="1"/>')
        else:
            weight = ' font-weight="bold"' if s.bold else ""
            out.append(f'<text x="{s.x:.1f}" y="{s.y:.1f}" font-size="{s.size}" '
                       f'text-anchor="{s.anchor}" dominant-baseline="central" fill="{s.fill}"'
                       f'{weight}>{escape(s.text)}</text>')
    out.append("</svg>")
    return "".join(out)


# --- PNG ---------------------------------------------------------------------------------------

_ANCHOR = {"start": "lm", "middle": "mm", "end": "rm"}


def to_png(chart: Chart, font: tuple[str, int] | None, bold_font: tuple[str, int] | None = None,
           scale: float = 2.5) -> bytes:
    """The chart as a PNG `scale` times the layout size. `font` is (file, face index) of a
    CJK font; without one Chinese labels cannot be drawn, so the caller must not ask."""
    lay = layout(chart)
    pad = 6
    img = Image.new("RGB", (int((lay.width + 2 * pad) * scale), int((lay.height + 2 * pad)
                                                                    * scale)), "white")
    draw = ImageDraw.Draw(img)
    fonts: dict[tuple[float, bool], ImageFont.FreeTypeFont] = {}

    def face(size: float, bold: bool):
        key = (size, bold)
        if key not in fonts:
            path, index = (bold_font if bold and bold_font else font)
            fonts[key] = ImageFont.truetype(path, int(round(size * scale)), index=index)
        return fonts[key]

    def p(v: float) -> float:
        return (v + pad) * scale

    for s in lay.shapes:
        if isinstance(s, Rect):
            draw.rectangle([p(s.x), p(s.y), p(s.x + s.w), p(s.y + s.h)], fill=s.fill)
        elif isinstance(s, Line):
            draw.line([p(s.x1), p(s.y1), p(s.x2), p(s.y2)], fill=s.stroke,
                      width=max(1, int(scale)))
        else:
            draw.text((p(s.x), p(s.y)), s.text, fill=s.fill, font=face(s.size, s.bold),
                      anchor=_ANCHOR[s.anchor])
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=True)
    return buf.getvalue()
