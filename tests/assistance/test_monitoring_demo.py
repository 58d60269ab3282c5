"""The monitoring demo: every state, an imported 医保 list, reviews that pass and fail a guard."""

from __future__ import annotations

from django.utils import timezone

from minsheng.assistance.models import Household, Person
from minsheng.assistance.monitoring_demo import generate
from minsheng.assistance.monitoring_models import (
    Alert,
    MonitoringCase,
    MonitoringStep,
    MonitoringThreshold,
    RemovalReview,
)
from minsheng.employment.models import Unemployment


def test_demo_has_every_state_and_both_reviews(db):
    states = set(MonitoringCase.objects.filter(region__code__startswith="131002")
                 .values_list("state", flat=True))
    assert states == set(MonitoringCase.State.values)
    assert Alert.objects.filter(channel="dept_warning", source_list__contains="医保").exists()
    assert RemovalReview.objects.filter(passed=True).exists()
    failed = RemovalReview.objects.filter(passed=False)
    assert failed.filter(able_to_work=0).exists()
    # re-entry: a household with a removed case and an open one
    again = MonitoringCase.objects.filter(state="removed").values("household")
    assert MonitoringCase.objects.filter(household__in=again, state="monitored").exists()
    # an alert linked to a grievance case, and dated thresholds that never overlap
    assert Alert.objects.filter(grievance__isnull=False).exists()
    zero = Alert.objects.get(household__number="JC-ZERO")
    assert (zero.channel, zero.risk, zero.state) == ("platform", "income_job", "open")
    rows = list(MonitoringThreshold.objects.order_by("region_id", "kind", "valid_from"))
    for a, b in zip(rows, rows[1:], strict=False):
        if (a.region_id, a.kind) == (b.region_id, b.kind):
            assert a.valid_to is not None and a.valid_to < b.valid_from


def test_demo_is_fast_and_dated_never_in_the_future(db):
    Alert.objects.all().delete()
    MonitoringCase.objects.all().delete()
    MonitoringThreshold.objects.all().delete()
    Unemployment.objects.filter(person__household__number__startswith="JC-").delete()
    Person.objects.filter(household__number__startswith="JC-").delete()
    Household.objects.filter(number__startswith="JC-").delete()
    out = generate("131002", progress=lambda *_: None)
    assert out["cases"] >= 20
    today = timezone.localdate()
    now = timezone.now()
    assert not MonitoringCase.objects.filter(opened_on__gt=today).exists()
    assert not MonitoringCase.objects.filter(identified_on__gt=today).exists()
    assert not MonitoringStep.objects.filter(at__gt=now).exists()
    assert not Alert.objects.filter(received_at__gt=now).exists()
    assert not Alert.objects.filter(event_date__gt=today).exists()
