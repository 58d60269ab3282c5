"""One money formatter: 元 / 万元 / 亿元 with fixed decimals, as pages, tables and documents show it."""

from __future__ import annotations

import doctest
from decimal import Decimal

import pytest

from minsheng.lib import money
from minsheng.lib.money import format_amount, to_unit, unit_for


def test_the_docstring_examples_run() -> None:
    assert doctest.testmod(money).failed == 0


@pytest.mark.parametrize(("yuan", "unit", "decimals", "text"), [
    (Decimal("2470000000"), "亿元", 2, "24.70亿元"),
    (Decimal("11056000"), "万元", 2, "1,105.60万元"),
    (Decimal("11056000"), "万元", 0, "1,106万元"),
    (Decimal("3500"), "元", 2, "3,500.00元"),
    (Decimal("1234567.5"), "元", 2, "1,234,567.50元"),
    (50_000, "亿元", 4, "0.0005亿元"),
    (Decimal("-150000000"), "亿元", 1, "-1.5亿元"),
])
def test_it_writes_an_amount_in_the_unit_asked_for(yuan, unit, decimals, text) -> None:
    assert format_amount(yuan, unit, decimals) == text


def test_the_default_is_wan_yuan_with_two_decimals() -> None:
    assert format_amount(Decimal("12345.678")) == "1.23万元"


@pytest.mark.parametrize(("yuan", "text"), [
    (Decimal(0), "0.00元"),
    (Decimal("9999.99"), "9,999.99元"),
    (Decimal("9999.995"), "10,000.00元"),  # the unit follows the amount, not its rounding
    (Decimal("10000"), "1.00万元"),
    (Decimal("99999999.999"), "10,000.00万元"),
    (Decimal("100000000"), "1.00亿元"),
    (Decimal("-150000000"), "-1.50亿元"),
])
def test_auto_picks_the_largest_unit_the_amount_reaches(yuan, text) -> None:
    assert format_amount(yuan, "auto") == text


@pytest.mark.parametrize(("yuan", "text"), [
    (Decimal("2470000000"), "24.7亿元"),
    (Decimal("600000000"), "6亿元"),
    (Decimal("11056000"), "1,105.6万元"),
    (Decimal("3500"), "3,500元"),
    (Decimal(0), "0元"),
])
def test_strip_zeros_drops_trailing_zeros_of_the_decimals(yuan, text) -> None:
    assert format_amount(yuan, "auto", strip_zeros=True) == text


def test_strip_zeros_keeps_the_zeros_of_a_whole_number() -> None:
    assert format_amount(Decimal("1000000000"), "万元", 0, strip_zeros=True) == "100,000万元"


def test_a_missing_amount_is_a_dash_or_what_the_caller_says() -> None:
    assert format_amount(None) == "—"
    assert format_amount(None, "亿元", missing="（暂无数据）") == "（暂无数据）"


def test_show_unit_false_gives_the_number_for_a_column_that_names_its_unit() -> None:
    assert format_amount(Decimal("11056000"), "万元", show_unit=False) == "1,105.60"
    assert format_amount(Decimal("123456789"), "万元", 0, show_unit=False) == "12,346"


def test_ints_floats_and_strings_are_read_as_the_decimal_they_print_as() -> None:
    assert format_amount(12_345, "元") == "12,345.00元"
    assert format_amount(0.125, "元") == "0.12元"  # half to even, like Decimal formatting
    assert format_amount(2.675, "元") == "2.68元"  # the float 2.675 is a hair below 2.675
    assert format_amount("1234.5", "auto") == "1,234.50元"


def test_to_unit_converts_and_rounds_when_asked() -> None:
    assert to_unit(Decimal("11056000")) == Decimal("1105.6")
    assert to_unit(Decimal("11056000"), "万元", 2) == Decimal("1105.60")
    assert str(to_unit(Decimal("11056000"), "万元", 2)) == "1105.60"
    assert to_unit(Decimal("2470000000"), "亿元") == Decimal("24.7")
    assert to_unit(Decimal("12345"), "万元", 0) == Decimal(1)


def test_unit_for_goes_by_size_whatever_the_sign() -> None:
    assert [unit_for(v) for v in (0, 9_999, 10_000, 99_999_999, 100_000_000, -20_000)] == [
        "元", "元", "万元", "万元", "亿元", "万元"]


@pytest.mark.parametrize("unit", ["千元", "万", "yuan", ""])
def test_an_unknown_unit_is_refused_in_chinese(unit) -> None:
    with pytest.raises(ValueError, match="未知的金额单位"):
        format_amount(Decimal(1), unit)
    with pytest.raises(ValueError, match="未知的金额单位"):
        to_unit(Decimal(1), unit)
