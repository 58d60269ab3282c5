"""Chinese text as official documents (公文) write it: section numbers and dates.

Used by the progress briefing, the mediation agreement and the annual report.
"""

from __future__ import annotations

import datetime as dt

__all__ = ["chinese_number", "date_text"]

DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """0–99 in Chinese numerals, as 公文 number sections and clauses.

    Examples
    --------
    >>> [chinese_number(n) for n in (1, 10, 13, 20, 21)]
    ['一', '十', '十三', '二十', '二十一']
    >>> chinese_number(100)
    Traceback (most recent call last):
    ...
    ValueError: 只能写0到99：100
    """
    if not 0 <= n < 100:
        raise ValueError(f"只能写0到99：{n}")
    if n < 10:
        return DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else DIGITS[tens]) + "十" + (DIGITS[ones] if ones else "")


def date_text(d: dt.date) -> str:
    """A date (or the date of a datetime) without leading zeros, as 公文 write it.

    Examples
    --------
    >>> date_text(dt.date(2026, 3, 1))
    '2026年3月1日'
    """
    return f"{d.year}年{d.month}月{d.day}日"
