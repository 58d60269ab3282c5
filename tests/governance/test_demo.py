"""The governance demo: fast, labelled, never in the future, grades that differ."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from minsheng.governance import demo, rectification, registry
from minsheng.governance.models import (
    Cadre,
    CommitteeMember,
    Election,
    GovernanceRecord,
    Inspection,
    Scheme,
    Scorecard,
    SurveyAnswer,
    Task,
)

pytestmark = pytest.mark.django_db


def test_the_demo_scores_companies_and_fills_a_civilised_city_list() -> None:
    demo.generate("131002", progress=lambda *_: None)
    scheme = Scheme.objects.get(code="property-131002")
    today = timezone.localdate()
    assert not Inspection.objects.filter(inspected_on__gt=today).exists()
    assert not SurveyAnswer.objects.filter(answered_on__gt=today).exists()
    assert Inspection.objects.filter(scheme=scheme).exclude(generated=True).count() == 0
    last = Scorecard.objects.filter(scheme=scheme, period=str(today.year - 1))
    assert last.count() >= 3 and all(c.published for c in last)
    assert len({c.grade for c in last if c.grade}) >= 2
    assert Scorecard.objects.filter(scheme=scheme, published=False).exists()  # this quarter
    tasks = Task.objects.filter(task_list__generated=True)
    assert tasks.count() == 40 and len({t.area for t in tasks}) == 11
    c = rectification.completion(tasks)
    assert 0 < c["done"] < 40
    demo.generate("131002", progress=lambda *_: None)  # idempotent
    assert Scheme.objects.filter(code="property-131002").count() == 1


def test_the_demo_registers_full_time_property_managers_dated_over_two_years() -> None:
    """平城's 475: the figure reads the registry's rows, so the demo registers managers through
    the registry's action, some last year, the rest this year: both years' figures differ."""
    demo.generate("131002", progress=lambda *_: None)
    today = timezone.localdate()
    now = registry.figures_on("131002", today)["property_managers"]
    last_year = registry.figures_on("131002", dt.date(today.year - 1, 12, 31))[
        "property_managers"]
    assert now > 0 and now >= last_year
    rows = GovernanceRecord.objects.filter(note__contains="专职物业管理人员", valid_to__isnull=True)
    assert rows.exists() and not rows.filter(valid_from__gt=today).exists()
    assert now == sum(rows.values_list("property_managers", flat=True))


def test_the_demo_keeps_committee_history_never_in_the_future() -> None:
    demo.generate("131002", progress=lambda *_: None)
    today = timezone.localdate()
    elections = Election.objects.filter(generated=True)
    assert elections.count() >= 24 and not elections.exclude(state="approved").exists()
    assert not elections.filter(approved_on__gt=today).exists()
    assert not elections.filter(held_on__gt=today).exists()
    last_year = elections.filter(approved_on__year=today.year - 1)
    assert last_year.count() == 24
    # this year's elections ended last year's members' terms on their approval
    for e in elections.filter(approved_on__year=today.year):
        before = CommitteeMember.objects.filter(compound=e.compound, election__approved_on__year=
                                                today.year - 1)
        assert set(before.values_list("ended_on", flat=True)) == {e.approved_on}
    assert Cadre.objects.filter(generated=True, full_time=True).exists()
    assert not Cadre.objects.filter(started_on__gt=today).exists()
    assert not CommitteeMember.objects.filter(generated=False).exists()
    figures = registry.figures_on("131002", today.replace(month=1, day=1) - dt.timedelta(days=1))
    assert figures["secretary_heads_elected"] > 0 and figures["full_time_cadre"] > 0
