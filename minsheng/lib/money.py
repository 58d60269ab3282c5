"""Money as Chinese reports write it: amounts are kept in 元 and shown in 元, 万元 or 亿元.

One formatter for every page, table and document: `format_amount` with a fixed unit (a table
column "计划投资（万元）") or ``"auto"``, the largest unit the amount reaches ("24.70亿元",
"1,105.60万元", "3,500.00元"). Rounding is Decimal's default, half to even, on the exact decimal
value (a float is taken as the decimal it prints as).
"""

from __future__ import annotations

from decimal import Decimal

__all__ = ["AUTO", "UNITS", "format_amount", "to_unit", "unit_for"]

UNITS = {"元": Decimal(1), "万元": Decimal(10_000), "亿元": Decimal(100_000_000)}
AUTO = "auto"

Amount = Decimal | int | float | str


def _decimal(yuan: Amount) -> Decimal:
    return Decimal(repr(yuan)) if isinstance(yuan, float) else Decimal(yuan)


def unit_for(yuan: Amount) -> str:
    """The largest unit the amount reaches: 亿元 from 1亿, 万元 from 1万, 元 below (by size,
    whatever the sign).

    Examples
    --------
    >>> [unit_for(v) for v in (0, 9_999, 10_000, -250_000_000)]
    ['元', '元', '万元', '亿元']
    """
    size = abs(_decimal(yuan))
    if size >= UNITS["亿元"]:
        return "亿元"
    if size >= UNITS["万元"]:
        return "万元"
    return "元"


def to_unit(yuan: Amount, unit: str = "万元", decimals: int | None = None) -> Decimal:
    """An amount in 元 expressed in `unit` (元, 万元 or 亿元), rounded to `decimals` places
    when given.

    Examples
    --------
    >>> to_unit(11_056_000)
    Decimal('1105.6')
    >>> to_unit(11_056_000, "万元", 2)
    Decimal('1105.60')
    >>> to_unit(2_470_000_000, "亿元")
    Decimal('24.7')
    >>> to_unit(5, "千元")
    Traceback (most recent call last):
    ...
    ValueError: 未知的金额单位“千元”：应为元、万元或亿元
    """
    if unit not in UNITS:
        raise ValueError(f"未知的金额单位“{unit}”：应为元、万元或亿元")
    value = _decimal(yuan) / UNITS[unit]
    return value if decimals is None else value.quantize(Decimal(1).scaleb(-decimals))


def format_amount(yuan: Amount | None, unit: str = "万元", decimals: int = 2, *,
                  missing: str = "—", strip_zeros: bool = False, show_unit: bool = True) -> str:
    """An amount in 元 as text in `unit` (元, 万元, 亿元, or ``"auto"`` for `unit_for`'s),
    with thousands separators and `decimals` places.

    `missing` stands for None; `strip_zeros` drops trailing zeros of the decimals ("24.7亿元");
    `show_unit=False` gives the number alone, for a column whose heading names the unit.

    Examples
    --------
    >>> format_amount(11_056_000)
    '1,105.60万元'
    >>> format_amount(2_470_000_000, "auto"), format_amount(3_500, "auto")
    ('24.70亿元', '3,500.00元')
    >>> [format_amount(v, "auto", strip_zeros=True) for v in (2_470_000_000, 600_000_000)]
    ['24.7亿元', '6亿元']
    >>> format_amount(123_456_789, "万元", 0, show_unit=False)
    '12,346'
    >>> format_amount(None), format_amount(None, missing="（暂无数据）")
    ('—', '（暂无数据）')
    >>> format_amount(0.1, "元")
    '0.10元'
    """
    if yuan is None:
        return missing
    if unit == AUTO:
        unit = unit_for(yuan)
    text = f"{to_unit(yuan, unit):,.{decimals}f}"
    if strip_zeros and decimals > 0:
        text = text.rstrip("0").rstrip(".")
    return text + unit if show_unit else text
