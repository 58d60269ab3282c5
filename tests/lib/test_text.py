"""Chinese numerals and dates as official documents (公文) write them."""

from __future__ import annotations

import datetime as dt
import doctest
from zoneinfo import ZoneInfo

import pytest

from minsheng.lib import text
from minsheng.lib.text import chinese_number, date_text


def test_the_docstring_examples_run() -> None:
    assert doctest.testmod(text).failed == 0


def test_chinese_section_numbers() -> None:  # moved with chinese_number from projects/briefing
    assert [chinese_number(n) for n in (1, 9, 10, 11, 13, 20, 21)] == [
        "一", "九", "十", "十一", "十三", "二十", "二十一"]


def test_zero_and_ninety_nine_are_the_ends_of_the_range() -> None:
    assert [chinese_number(n) for n in (0, 99)] == ["零", "九十九"]


@pytest.mark.parametrize("n", [-1, 100])
def test_numbers_it_cannot_write_are_refused(n: int) -> None:
    with pytest.raises(ValueError, match="只能写0到99"):
        chinese_number(n)


def test_dates_have_no_leading_zeros() -> None:
    assert date_text(dt.date(2026, 3, 1)) == "2026年3月1日"
    assert date_text(dt.date(2026, 12, 31)) == "2026年12月31日"
    stamp = dt.datetime(2026, 1, 5, 23, 59, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert date_text(stamp) == "2026年1月5日"
