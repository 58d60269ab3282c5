"""Stock figures have history (issue 12 §1): last year's report gives last year's count of
compounds, signed service points and governance facts, not today's. A closed period keeps the
stock values it was computed with (the job computes the current periods every ten minutes), and a
past period computed only now counts the registry rows registered before its end."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from minsheng.indicators import services
from minsheng.indicators.periods import Period
from minsheng.places.models import Compound, Facility, FacilityCategory

pytestmark = pytest.mark.django_db

D = "131002000000"
TZ = ZoneInfo("Asia/Shanghai")


def figures(year: int) -> dict:
    got = services.evaluate([D], Period(year), with_previous=False)[D]
    return {c: got[c].value for c in ("compounds_total", "committee_coverage",
                                      "party_secretary_heads", "signed_service_points")}


def new_compound(name: str) -> Compound:
    like = Compound.objects.filter(region__code__startswith="131002001").first()
    return Compound.objects.create(name=name, region=like.region, lat=like.lat, lng=like.lng,
                                   households=100, population=250)


def new_signed_point(name: str) -> Facility:
    like = Facility.objects.filter(region__code__startswith="131002001").first()
    return Facility.objects.create(name=name, region=like.region, lat=like.lat, lng=like.lng,
                                   category=FacilityCategory.objects.get(code="convenience"),
                                   signed_service_point=True)


def test_a_closed_year_keeps_its_stock_figures():
    with time_machine.travel(dt.datetime(2030, 12, 31, 23, 55, tzinfo=TZ), tick=False):
        services.compute(D, Period(2030))  # the job's last run of the year
        before = figures(2030)
    with time_machine.travel(dt.datetime(2031, 1, 5, 10, tzinfo=TZ), tick=False):
        new_compound("新年新苑")
        new_signed_point("新年便利店")
        no_committee = Compound.objects.filter(region__code__startswith="131002",
                                               committee="").first()
        no_committee.committee = Compound.Committee.OWNERS
        no_committee.head_is_party_secretary = True
        no_committee.save()
        services.compute(D, Period(2030))
        services.compute(D, Period(2031))
        assert figures(2030) == before  # last year's report: last year's state
        now = figures(2031)
    assert now["compounds_total"] == before["compounds_total"] + 1
    assert now["signed_service_points"] == before["signed_service_points"] + 1
    assert now["party_secretary_heads"] == before["party_secretary_heads"] + 1


def test_a_past_year_computed_late_counts_what_was_registered_by_its_end():
    with time_machine.travel(dt.datetime(2032, 3, 1, 10, tzinfo=TZ), tick=False):
        registered = Compound.objects.filter(region__code__startswith="131002").count()
        c = new_compound("三月新苑")
        f = new_signed_point("三月便利店")
        assert c.created_on == f.created_on == dt.date(2032, 3, 1)
        services.compute(D, Period(2031))  # never computed while it was current
        services.compute(D, Period(2032))
        assert figures(2031)["compounds_total"] == registered
        assert figures(2032)["compounds_total"] == registered + 1
        assert figures(2032)["signed_service_points"] == figures(2031)[
            "signed_service_points"] + 1
