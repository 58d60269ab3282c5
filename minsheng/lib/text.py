"""Chinese text as official documents (公文) write it: section numbers and dates; and the one
rule for invisible control characters in text that people type or send.

Numbers and dates are used by the progress briefing, the mediation agreement and the annual report.

Control characters. Text from a form, the JSON API, Open311 or an imported table must not carry
control characters (Unicode Cc), lone surrogates or the bidirectional overrides that make text
display other than it reads: they break the Excel exports (openpyxl refuses them) and hide what a case says. Tab and
line breaks are allowed in multi-line fields (descriptions, notes), never in single-line ones.
`control_char` finds the first such character (the rule; `lib.validators` raises it as a Chinese
ValidationError for forms, serializers and Open311); `replace_control_chars` is for writers that
meet an old row: the character becomes U+FFFD. This module imports no Django.
"""

from __future__ import annotations

import datetime as dt
import json
import re

__all__ = ["CONTROL_CHARS", "chinese_number", "control_char", "date_text", "json_loads",
           "replace_control_chars"]

# Control characters (Unicode Cc) but tab and line breaks, the bidirectional overrides and
# isolates, and lone surrogates (JSON's "\ud800" escapes: no UTF-8 can hold them, so no page,
# export or database encoding can either). Also the rule of lib.tabular's importers.
CONTROL_CHARS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# ... and in a single-line field, tab and the line breaks too.
_SINGLE_LINE_CHARS = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def control_char(value: str, *, multiline: bool = False) -> str | None:
    r"""The first character `value` may not hold (None when it is clean).

    Examples
    --------
    >>> control_char("路灯不亮\a"), control_char("第一行\n第二行", multiline=True)
    ('\x07', None)
    >>> control_char("第一行\n第二行")
    '\n'
    """
    m = (CONTROL_CHARS if multiline else _SINGLE_LINE_CHARS).search(value)
    return m.group() if m else None


def replace_control_chars(value: str, replacement: str = "\ufffd") -> str:
    r"""`value` with each control character (not tab or line breaks) replaced, for writers that
    meet a row stored before the check existed.

    >>> replace_control_chars("路灯\x07不亮\n")
    '路灯\ufffd不亮\n'
    """
    return CONTROL_CHARS.sub(replacement, value)

def _no_constant(name: str):
    raise ValueError(f"JSON 不接受 {name}")


def json_loads(raw: bytes | str):
    r"""A JSON body as every API of Minsheng reads it: `json.loads`, but `NaN`/`Infinity` and text
    that no UTF-8 can hold (a lone surrogate sent as the "\ud800" escape, in a key or a value,
    however deep) raise ValueError, so the value can never reach a database, a page or an answer
    that must be written out as UTF-8 (a lone surrogate in an echoed error made a 500).

    >>> json_loads('{"名称": "路灯"}')
    {'名称': '路灯'}
    >>> json_loads('{"name": "x\\ud800"}')
    Traceback (most recent call last):
    ...
    ValueError: 文本含有无法编码的字符（孤立的代理码位）
    """
    data = json.loads(raw, parse_constant=_no_constant)
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("文本含有无法编码的字符（孤立的代理码位）") from None
    return data


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
