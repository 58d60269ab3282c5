"""Files out of the evaluation, on lib.tabular (cells neutralised against formulas)."""

from __future__ import annotations

import io

from openpyxl import Workbook

from minsheng.lib.tabular import append_row, style_header


def scores_xlsx(scheme, period, cards) -> bytes:
    """The companies' scores: one row per company, one column per item's points."""
    wb = Workbook()
    ws = wb.active
    ws.title = "考评得分"
    names = [i.name for i in cards[0][1].items] if cards else []
    header = ["名次", "物业服务企业", "得分", "等次", *names]
    append_row(ws, header)
    style_header(ws, [6, 30, 8, 8, *[12] * len(names)])
    for k, (company, card) in enumerate(cards, start=1):
        append_row(ws, [k, company.name, card.total, card.grade or "未评定",
                        *[("样本不足" if i.points is None else i.points) for i in card.items]])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
