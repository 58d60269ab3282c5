"""The assistance indicators, computed by indicators/sources_assistance.py into the catalogue,
recomputed here independently from the records (Python over rows, not the sources' SQL) on the
demo's year of cycles: households and people per programme, money paid, the on-time rate by the
due day, and review completion."""

from __future__ import annotations

import calendar
from collections import Counter
from decimal import Decimal

import pytest
from django.utils import timezone

from minsheng.assistance import demo
from minsheng.assistance.enrolment import procedure_for
from minsheng.assistance.models import Cycle, Enrolment, Entitlement, Payment, Review
from minsheng.indicators.catalogue import catalogue
from minsheng.indicators.models import DataValue, Indicator
from minsheng.indicators.periods import Period
from minsheng.indicators.services import compute, evaluate
from minsheng.indicators.sources import SOURCES

pytestmark = pytest.mark.django_db
DISTRICT = "131002000000"


@pytest.fixture
def year(db):
    demo.generate("131002", progress=lambda *_: None)
    y = timezone.localdate().year
    # the demo's year of cycles straddles two calendar years: compute both
    compute(DISTRICT, Period(y))
    compute(DISTRICT, Period(y - 1))
    return y


def value(code: str, period: Period, region: str = DISTRICT) -> Decimal:
    return DataValue.objects.get(element_id=code, region_id=region, period=period.id).value


def test_every_assistance_element_has_a_source_and_no_typed_in_slot_is_left():
    cat = catalogue()
    produced = {e for _fn, elements, _stock in SOURCES.values() for e in elements}
    ours = {e["code"] for e in cat["elements"] if "sources_assistance" in e["source_document"]}
    assert ours and ours <= produced
    codes = {e["code"] for e in cat["elements"]}
    assert not {"assistance_paid_on_time", "assistance_batches"} & codes
    dibao = next(e for e in cat["elements"] if e["code"] == "dibao_recipients")
    assert dibao["source"] == "computed"
    rate = next(i for i in cat["indicators"] if i["code"] == "assistance_on_time_rate")
    assert rate["status"] == "available"


def test_programme_counts_match_the_records(year):
    p = Period(year)
    enrolled = list(Enrolment.objects.filter(state="enrolled"))
    count = Counter(e.programme for e in enrolled)
    assert value("dibao_households", p) == count["dibao"]
    assert value("dibao_recipients", p) == sum(e.members_covered for e in enrolled
                                               if e.programme == "dibao")
    assert value("tekun_people", p) == count["tekun"]
    assert value("orphan_people", p) == count["orphan"]
    assert value("edge_households", p) == count["edge"]
    # by street too: the roll-up is by code prefix
    street = enrolled[0].region_id[:9].ljust(12, "0")
    assert value("dibao_households", p, street) == sum(
        1 for e in enrolled if e.programme == "dibao" and e.region_id.startswith(street[:9]))


def test_money_paid_and_the_on_time_rate_match_the_records(year):
    for y in (year - 1, year):
        p = Period(y)
        paid = sum((x.amount for x in Payment.objects.filter(status="paid")
                    if x.paid_on and x.paid_on.year == y), Decimal(0))
        # 先行救助 (the demo has some): paid from the street's 备用金 on the day, not by a cycle
        paid += sum((e.award_amount for e in Enrolment.objects.filter(paid_first=True)
                     if e.decided_on.year == y), Decimal(0))
        assert value("assistance_paid_amount", p) == paid
        due = on_time = 0
        for cycle in Cycle.objects.filter(month__year=y):
            day = procedure_for(cycle.region_id, cycle.month).payment_due_day
            deadline = cycle.month.replace(day=min(day, calendar.monthrange(
                cycle.month.year, cycle.month.month)[1]))
            paid_by = {x.person_id for x in Payment.objects.filter(cycle=cycle, status="paid")
                       if x.paid_on <= deadline}
            for ent in Entitlement.objects.filter(cycle=cycle, state="approved"):
                due += 1
                on_time += ent.payee_id in paid_by
        assert value("assistance_entitlements_due", p) == due
        assert value("assistance_entitlements_on_time", p) == on_time
    # the demo pays most by the 10th, some later, and one month's failures after a retry
    assert 0 < value("assistance_entitlements_on_time", Period(year - 1)) < value(
        "assistance_entitlements_due", Period(year - 1)) or 0 < value(
        "assistance_entitlements_on_time", Period(year)) < value(
        "assistance_entitlements_due", Period(year))
    for y in (year - 1, year):
        rate = evaluate([DISTRICT], Period(y), indicators=Indicator.objects.filter(
            code="assistance_on_time_rate"))[DISTRICT]["assistance_on_time_rate"]
        due = value("assistance_entitlements_due", Period(y))
        if due:
            expected = round(100 * value("assistance_entitlements_on_time", Period(y)) / due, 1)
            assert rate.value == expected


def test_review_completion_matches_the_records(year):
    p = Period(year)
    due = [r for r in Review.objects.all() if r.due_on.year == year]
    assert value("assistance_reviews_due", p) == len(due)
    assert value("assistance_reviews_done", p) == sum(1 for r in due if r.done_on)
