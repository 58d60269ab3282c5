"""The `yuan` template filter: amounts in 元 on the pages, in the largest unit they reach."""

from __future__ import annotations

from decimal import Decimal

from django.template import Context, Template


def render(value) -> str:
    return Template("{% load money %}{{ v|yuan }}").render(Context({"v": value}))


def test_it_shows_an_amount_in_yi_wan_or_yuan() -> None:
    assert render(Decimal("2470000000")) == "24.70亿元"
    assert render(Decimal("11056000")) == "1,105.60万元"
    assert render(Decimal("3500")) == "3,500.00元"
    assert render(Decimal("-150000000")) == "-1.50亿元"


def test_a_missing_amount_is_a_dash() -> None:
    assert render(None) == "—"
    assert render("") == "—"


def test_a_string_amount_is_read_as_a_number() -> None:
    assert render("1234.5") == "1,234.50元"
