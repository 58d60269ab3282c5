"""The level-coverage rule has one owner (engine.level_covered); the indicator source's SQL
mirrors it. Both are computed on the demo district and held equal."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from minsheng.indicators.periods import parse
from minsheng.indicators.sources import lifecircle
from minsheng.lifecircle import services
from minsheng.lifecircle.models import Result
from minsheng.places.models import Compound, Region

pytestmark = pytest.mark.django_db
ANCI = "131002000000"


def both_ways() -> tuple[tuple[int, int, int, int], tuple[int, int, int, int]]:
    run = services.current_run(Region.objects.get(code=ANCI))
    cov = services.coverage(run, Compound.objects.in_region(ANCI))
    flags = cov.level_flags(15)
    engine_way = (len(flags), int(flags.sum()), int(cov.population.sum()),
                  int(cov.population[flags].sum()))
    sums: dict[str, Decimal] = {}
    # this year: a past period reads the run finished before its end (indicators.sources)
    for _region, element, value in lifecircle("131002", parse(str(timezone.localdate().year))):
        sums[element] = sums.get(element, Decimal(0)) + value
    sql_way = tuple(int(sums.get(e, 0)) for e in (
        "lc_compounds_assessed", "lc_compounds_covered", "lc_population_assessed",
        "lc_population_covered"))
    return engine_way, sql_way


def required15(run, compound_ids):
    return Result.objects.filter(run=run, compound_id__in=compound_ids, category__required=True,
                                 category__level=15)


def test_the_indicator_counts_the_compounds_the_pages_count():
    assert both_ways()[0] == both_ways()[1]  # the demo as built


def test_they_stay_equal_as_compounds_gain_and_lose_categories():
    run = services.current_run(Region.objects.get(code=ANCI))
    ids = list(Compound.objects.in_region(ANCI).exclude(population=0).order_by("pk")
               .values_list("pk", flat=True)[:10])
    required15(run, ids).update(distance_m=1.0)  # ten compounds have everything at 10 m
    engine_way, sql_way = both_ways()
    assert engine_way == sql_way
    assert 10 <= engine_way[1] < engine_way[0]  # some covered, some not: the test can tell
    one = required15(run, ids[:1]).order_by("category_id").first()
    Result.objects.filter(pk=one.pk).update(distance_m=None)  # out of reach
    two = required15(run, ids[1:2]).order_by("category_id").first()
    Result.objects.filter(pk=two.pk).update(distance_m=two.category.distance_m + 0.01)  # too far
    three = required15(run, ids[2:3]).order_by("category_id").first()
    Result.objects.filter(pk=three.pk).update(distance_m=three.category.distance_m)  # just in
    after, sql_after = both_ways()
    assert after == sql_after
    assert after[1] == engine_way[1] - 2
