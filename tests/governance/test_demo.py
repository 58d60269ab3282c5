"""The governance demo: fast, labelled, never in the future, grades that differ."""

from __future__ import annotations

import time

import pytest
from django.utils import timezone

from minsheng.governance import demo, rectification
from minsheng.governance.models import Inspection, Scheme, Scorecard, SurveyAnswer, Task

pytestmark = pytest.mark.django_db


def test_the_demo_scores_companies_and_fills_a_civilised_city_list() -> None:
    t0 = time.monotonic()
    demo.generate("131002", progress=lambda *_: None)
    seconds = time.monotonic() - t0
    print(f"governance demo: {seconds:.2f} s")
    assert seconds < 10, seconds
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
