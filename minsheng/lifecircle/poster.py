"""The printable "15-minute life-circle map" of one compound (the poster the 安次 report describes
on every building), as an A4 PDF drawn with ReportLab. Chinese text uses ReportLab's built-in
CID font STSong-Light, so no font file has to ship.

Pure function over plain values: the view gathers the data.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))


@dataclass
class PosterRow:
    level: int
    category: str
    color: str
    facility: str | None
    lng: float | None
    lat: float | None
    distance_m: float | None
    minutes: float | None
    ok: bool


def poster_pdf(*, title: str, subtitle: str, lng: float, lat: float, rows: list[PosterRow],
               streets: list[list[list[float]]], footer: str) -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    w, h = A4
    c.setTitle(title)
    c.setFont(FONT, 20)
    c.drawString(15 * mm, h - 20 * mm, title)
    c.setFont(FONT, 10)
    c.setFillColor(colors.grey)
    c.drawString(15 * mm, h - 27 * mm, subtitle)
    c.setFillColor(colors.black)
    # The map: a local equirectangular projection, 1,100 m around the compound.
    box, size = 15 * mm, w - 30 * mm
    top = h - 32 * mm
    radius_m = 1100.0
    kx = 111320.0 * math.cos(math.radians(lat))
    scale = (size / 2) / radius_m

    def xy(px: float, py: float) -> tuple[float, float]:
        return (box + size / 2 + (px - lng) * kx * scale,
                top - size / 2 + (py - lat) * 110540.0 * scale)

    c.saveState()
    p = c.beginPath()
    p.rect(box, top - size, size, size)
    c.clipPath(p, stroke=1, fill=0)
    c.setStrokeColor(colors.HexColor("#cbd5e1"))
    c.setLineWidth(0.6)
    for line in streets:
        pts = [xy(x, y) for x, y in line]
        if len(pts) > 1:
            path = c.beginPath()
            path.moveTo(*pts[0])
            for q in pts[1:]:
                path.lineTo(*q)
            c.drawPath(path, stroke=1, fill=0)
    cx, cy = xy(lng, lat)
    c.setStrokeColor(colors.HexColor("#b91c1c"))
    c.setDash(3, 3)
    for r in (300, 500, 1000):
        c.circle(cx, cy, r * scale, stroke=1, fill=0)
        c.setFont(FONT, 7)
        c.drawString(cx + r * scale * 0.72, cy + r * scale * 0.72, f"{r} m")
    c.setDash()
    for row in rows:
        if row.lng is None or not row.ok:
            continue
        fx, fy = xy(row.lng, row.lat)
        c.setFillColor(colors.HexColor(row.color))
        c.circle(fx, fy, 4, stroke=0, fill=1)
        c.setFillColor(colors.black)
        c.setFont(FONT, 6.5)
        c.drawString(fx + 5, fy - 2, row.facility or row.category)
    c.setFillColor(colors.HexColor("#b91c1c"))
    c.circle(cx, cy, 6, stroke=0, fill=1)
    c.restoreState()
    # The table, three columns of levels under the map.
    y0 = top - size - 8 * mm
    col_w = (w - 30 * mm) / 3
    for k, level in enumerate((5, 10, 15)):
        x = 15 * mm + k * col_w
        y = y0
        c.setFont(FONT, 11)
        c.setFillColor(colors.black)
        c.drawString(x, y, f"{level}分钟生活圈")
        y -= 5 * mm
        c.setFont(FONT, 7.5)
        for row in [r for r in rows if r.level == level]:
            if y < 15 * mm:
                break
            c.setFillColor(colors.HexColor(row.color))
            c.circle(x + 1.5 * mm, y + 1 * mm, 1.2 * mm, stroke=0, fill=1)
            c.setFillColor(colors.black if row.ok else colors.HexColor("#b91c1c"))
            when = f"{row.minutes:.0f}分钟" if row.minutes is not None else "1公里内没有"
            c.drawString(x + 4 * mm, y, f"{row.category}  {when}")
            y -= 4.2 * mm
    c.setFont(FONT, 7)
    c.setFillColor(colors.grey)
    c.drawString(15 * mm, 8 * mm, footer)
    c.showPage()
    c.save()
    return buf.getvalue()
