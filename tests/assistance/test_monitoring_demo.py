"""The monitoring demo: every state, an imported 医保 list, reviews that pass and fail a guard."""

from __future__ import annotations

from minsheng.assistance.monitoring_models import Alert, MonitoringCase, RemovalReview


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
