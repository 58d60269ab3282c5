"""Livelihood spending has one rule (projects/budget.py: each functional class once, the configured
classes count): the budget page's service and the dashboard's indicators, computed by the SQL
source, give the demo district the same spending, total and share, to the fen."""

from __future__ import annotations

from decimal import Decimal

import pytest

from minsheng.indicators import services
from minsheng.indicators.models import Indicator
from minsheng.indicators.periods import Period
from minsheng.projects import services as projects
from minsheng.projects.budget import class_of, is_livelihood, load_livelihood_classes
from minsheng.projects.models import ExpenditureLine

pytestmark = pytest.mark.django_db

D = "131002000000"
FEN = Decimal("0.01")


def test_a_lines_class_is_its_first_three_digits_and_the_configuration_says_which_count():
    classes = load_livelihood_classes()
    assert class_of("2050201") == class_of("20502") == class_of("205") == "205"
    assert is_livelihood("20502", classes) == ("205" in classes)
    assert not is_livelihood("20101", {"205": "教育支出"})


def test_the_budget_service_and_the_indicators_agree_on_the_demo_to_the_fen():
    years = sorted(set(ExpenditureLine.objects.filter(region_id=D)
                       .values_list("year", flat=True)))
    assert years, "the demo district has budget lines"
    inds = list(Indicator.objects.filter(code__in=["livelihood_spending", "livelihood_share"]))
    assert len(inds) == 2
    for year in years:
        share = projects.share_for(D, year)
        assert share is not None and share.livelihood > 0
        period = Period(year)
        services.compute(D, period)
        got = services.evaluate([D], period, indicators=inds, with_previous=False)[D]
        spending, ratio = got["livelihood_spending"], got["livelihood_share"]
        assert spending.numerator.quantize(FEN) == share.livelihood.quantize(FEN), year
        assert ratio.numerator.quantize(FEN) == share.livelihood.quantize(FEN), year
        assert ratio.denominator.quantize(FEN) == share.total.quantize(FEN), year
        assert ratio.value == round(share.share, 2), year
        assert spending.value == round(share.livelihood / Decimal(100_000_000), 2), year


def test_a_section_listed_beside_its_class_is_not_counted_twice_either_way():
    year = max(ExpenditureLine.objects.filter(region_id=D).values_list("year", flat=True))
    before = projects.share_for(D, year)
    livelihood_class = next(c for c in sorted(before.by_class) if c in before.livelihood_classes)
    ExpenditureLine.objects.create(region_id=D, year=year, code=livelihood_class + "01",
                                   name="款级行", amount=Decimal("12345.67"))
    after = projects.share_for(D, year)
    assert after.livelihood == before.livelihood and after.total == before.total
    services.compute(D, Period(year))
    ind = Indicator.objects.get(code="livelihood_spending")
    got = services.evaluate([D], Period(year), indicators=[ind], with_previous=False)[D]
    assert got[ind.code].numerator.quantize(FEN) == after.livelihood.quantize(FEN)
