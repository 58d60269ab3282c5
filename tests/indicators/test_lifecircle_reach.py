"""The seeds' life-circle sentence is its own indicator (issue 12 §1): "353 signed service points
cover all 214 compounds" is a compound with a signed service point within a 15-minute walk,
which is weaker than the life-circle coverage (every required category of the 15-minute level in
reach). Both are defined, named plainly, and the report says exactly what each checked."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import timezone

from minsheng.indicators import services
from minsheng.indicators.models import Indicator
from minsheng.indicators.periods import Period
from minsheng.lifecircle.models import Result, Run
from minsheng.places.models import FacilityCategory, Region
from minsheng.reports import document, figures

pytestmark = pytest.mark.django_db

D = "131002000000"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "seed-figures.md"


def test_signed_point_reach_is_recomputed_from_the_run():
    period = Period(timezone.localdate().year)
    services.compute(D, period)
    run = Run.objects.filter(region_id=D, state="done").order_by("-finished_at", "-pk").first()
    reach = run.speed_m_per_min * 15
    with_point = {r.compound_id for r in Result.objects.filter(run=run).select_related("facility")
                  if r.facility is not None and r.facility.signed_service_point
                  and r.distance_m is not None and r.distance_m <= reach}
    assessed = {r.compound_id for r in Result.objects.filter(run=run)}
    got = services.evaluate([D], period, with_previous=False)[D]
    v = got["signed_point_compound_coverage"]
    assert v.numerator == len(with_point) and v.denominator == len(assessed)
    assert "签约" in v.indicator.name and "15分钟" in v.indicator.name
    assert "必配设施齐全" in got["lifecircle_compound_coverage"].indicator.name


def test_the_report_says_what_each_figure_checked():
    data = figures.collect(Region.objects.get(code=D), timezone.localdate().year, fresh=True)
    text = document.render_text(data)
    required = list(FacilityCategory.objects.filter(level=15, required=True)
                    .values_list("name", flat=True))
    assert len(required) == 9
    if data.figures["lifecircle_compound_coverage"]:
        assert f"15分钟层级的{len(required)}类必配设施（" in text or \
            f"15分钟层级的全部{len(required)}类必配设施（" in text
        assert all(name in text for name in required)
    if data.figures["signed_point_compound_coverage"]:
        assert "的小区步行15分钟（1000米）内至少有一处签约服务网点" in text
    assert "全部必备的生活服务设施" not in text  # the old sentence that claimed every category


def test_the_seed_figures_document_names_the_nine_categories():
    text = DOCS.read_text(encoding="utf-8")
    assert "27 required of the 30" not in text
    assert "signed_point_compound_coverage" in text
    ind = Indicator.objects.get(code="signed_point_compound_coverage")
    assert "214" in ind.source_document
