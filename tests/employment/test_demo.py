"""The employment demo: relative to today with no future facts, checksum-valid unique ID numbers,
the named fairs only once their dates have passed, the once-only internship, and figures for
last year and this year. tests/conftest.py builds it with n=300 (the demo command: 4,000)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Count, Max
from django.utils import timezone

from minsheng.assistance.models import Person
from minsheng.employment import demo, rules
from minsheng.employment.models import (
    Employment,
    Enrolment,
    Event,
    Internship,
    Referral,
    Unemployment,
    Vacancy,
)
from minsheng.indicators import services

pytestmark = pytest.mark.django_db
D = "131002000000"


@pytest.fixture
def built(db):
    assert demo.generate("131002", n=300, progress=lambda *_: None) == {}  # idempotent


def test_no_future_facts_and_valid_people(built):
    assert Person.objects.filter(generated=True, region__code__startswith="131002").count() \
        >= 300
    today = timezone.localdate()
    for model, field in ((Unemployment, "registered_on"), (Unemployment, "ended_on"),
                         (Employment, "employed_on"), (Employment, "left_on"),
                         (Vacancy, "posted_on"), (Event, "held_on"), (Referral, "updated_on"),
                         (Internship, "starts_on"), (Internship, "ended_on")):
        latest = model.objects.filter(generated=True).aggregate(m=Max(field))["m"]
        assert latest is None or latest <= today, (model, field)
    ids = list(Person.objects.filter(generated=True).values_list("id_number", flat=True))
    assert len(ids) == len(set(ids)) and all(rules.id_valid(i) for i in ids)
    # the employment demo's people are in no assistance household (the test database also
    # holds the 防返贫 demo's, who are)
    job_seekers = Person.objects.filter(generated=True, unemployments__isnull=False)
    assert job_seekers.exists()
    # (but for the 防返贫 demo's 零就业家庭 member it registers unemployed itself)
    assert not job_seekers.filter(household__isnull=False).exclude(
        household__number="JC-ZERO").exists()


def test_fairs_only_when_past_and_internships_once(built):
    today = timezone.localdate()
    spring = Event.objects.filter(name__contains="春风行动").values_list("held_on", flat=True)
    assert dt.date(today.year - 1, 3, 10) in spring
    assert (dt.date(today.year, 3, 10) in spring) == (dt.date(today.year, 3, 10) <= today)
    assert not Internship.objects.values("person").annotate(n=Count("pk")).filter(n__gt=1)
    for i in Internship.objects.filter(generated=True).select_related("person")[:50]:
        assert rules.MIN_MONTHS <= i.months <= rules.MAX_MONTHS
    # one training subsidy per person and year
    paid = (Enrolment.objects.filter(generated=True, subsidy__gt=0)
            .values("person", "course__ends_on__year").annotate(n=Count("pk")).filter(n__gt=1))
    assert not paid.exists()


def test_figures_for_last_year_and_this_year(built):
    year = timezone.localdate().year
    for y in (year - 1, year):
        services.compute(D, str(y))
        v = services.evaluate([D], str(y), with_previous=False)[D]
        assert v["urban_new_jobs"].elements["emp_hires"] > 0
        assert v["registered_unemployed"].value > 0 and v["emp_courses"].value > 0


def test_fair_referrals_are_dated_on_the_fair(built):
    at_fairs = Referral.objects.filter(generated=True, event__isnull=False).select_related("event")
    assert all(r.referred_on == r.event.held_on for r in at_fairs)
