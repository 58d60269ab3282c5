"""The assistance demo: about 600 labelled households, every programme, a year of cycles with one
failed-and-retried batch, standards marked unverified, nothing dated in the future."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db.models import F, Max, Q
from django.utils import timezone

from minsheng.assistance import demo
from minsheng.assistance.models import (
    Assessment,
    Cycle,
    Enrolment,
    EnrolmentEvent,
    Entitlement,
    Household,
    Payment,
    PaymentBatch,
    Review,
    Standard,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def built(db):
    return demo.generate("131002", progress=lambda *_: None), None


def test_the_demo_has_every_programme_and_a_year_of_cycles(built):
    out, _seconds = built
    # the test database already holds the 防返贫 demo's generated households (JC-…): the
    # assistance demo still builds its own
    assert out["households"] == 600 == Household.objects.filter(
        generated=True, number__startswith="DEMO-").count()
    enrolled = set(Enrolment.objects.filter(state="enrolled").values_list("programme", flat=True))
    assert enrolled == {"dibao", "edge", "tekun", "orphan", "temporary"}
    states = set(Enrolment.objects.values_list("state", flat=True))
    assert {"applied", "reviewed", "publicised", "enrolled", "refused", "paused",
            "exited"} <= states
    assert Cycle.objects.filter(generated=True).count() == 12
    assert PaymentBatch.objects.filter(kind="retry").count() == 1
    retry = PaymentBatch.objects.get(kind="retry")
    failed = Payment.objects.filter(cycle=retry.cycle, status="failed")
    assert failed.count() == 3
    assert set(Payment.objects.filter(batch=retry).values_list("person_id", flat=True)) == set(
        failed.values_list("person_id", flat=True))
    assert Payment.objects.filter(status="paid").exists()
    assert not Standard.objects.filter(region_id="131002000000", verified=True).exists()
    assert "未与正式文件核对" in Standard.objects.filter(region_id="131002000000").first().source


def test_nothing_in_the_demo_is_dated_in_the_future(built):
    today = timezone.localdate()
    checks = [
        (Assessment, ("assessed_on", "window_end")), (Enrolment, ("applied_on", "consent_on",
                                                                   "decided_on",
                                                                   "publicity_start",
                                                                   "publicity_end")),
        (Payment, ("paid_on",)), (Cycle, ("month",)), (Review, ("done_on",)),
    ]
    for model, fields in checks:
        for f in fields:
            latest = model.objects.aggregate(m=Max(f))["m"]
            assert latest is None or latest <= today, (model.__name__, f, latest)
    assert PaymentBatch.objects.aggregate(m=Max("exported_at"))["m"] <= timezone.now()
    assert EnrolmentEvent.objects.exists()
    assert EnrolmentEvent.objects.aggregate(m=Max("effective_on"))["m"] <= today


def test_the_demo_registers_households_before_it_assesses_them(built):
    """A household page reads 登记时间 beside its assessment: the demo's households were
    registered on the day they were generated, after their own (back-dated) assessments."""
    demo_households = Household.objects.filter(generated=True, number__startswith="DEMO-")
    assert demo_households.count() == 600
    for h in demo_households.prefetch_related("assessments"):
        first = min(a.assessed_on for a in h.assessments.all())
        assert timezone.localdate(h.created_at) < first, h.number


def test_the_demo_pays_one_off_aid_once_and_the_edge_allowance(built):
    temporary = Counter(Entitlement.objects.filter(programme="temporary").values_list(
        "enrolment_id", flat=True))
    assert temporary and max(temporary.values()) == 1
    # awards decided through the year land in several cycles, not all in the first
    assert len(set(Entitlement.objects.filter(programme="temporary").values_list(
        "cycle_id", flat=True))) > 3
    assert Entitlement.objects.filter(programme="edge").exists()
    # the history differs from the current state somewhere: a benefit paused and resumed
    assert EnrolmentEvent.objects.filter(state="paused", enrolment__state="enrolled").exists()
    assert not EnrolmentEvent.objects.filter(~Q(state="applied"),
                                             effective_on__lt=F("enrolment__applied_on")).exists()


def test_the_demo_runs_once(built):
    assert demo.generate("131002", progress=lambda *_: None) == {}


def test_viewers_see_programme_aggregates_of_the_demo_but_no_household(built, client_for):
    html = client_for("viewer1").get("/assistance/").content.decode()
    assert "DEMO-" not in html and "低保户" in html
    assert client_for("viewer1").get("/assistance/households/").status_code == 403
    streets = Enrolment.objects.filter(state="enrolled", programme="dibao").values_list(
        "region__parent__name", flat=True)
    assert next(iter(streets)) in html


def test_the_demo_families_have_ages_that_fit_their_relationships(built):
    """A parent is older than the head of household by at least 20 years, a child younger by at
    least 20 (a parent born in 2004 under a head born in 1970 was the demo's before)."""
    checked = 0
    for h in Household.objects.filter(number__startswith="DEMO-").prefetch_related("members"):
        members = list(h.members.all())
        head = next(m for m in members if m.relationship == "head")
        for m in members:
            years = (head.birth_date - m.birth_date).days / 365.25
            if m.relationship == "parent":
                assert years >= 19, (h.number, m.birth_date, head.birth_date)
                checked += 1
            elif m.relationship == "child":
                assert years <= -19, (h.number, m.birth_date, head.birth_date)
                checked += 1
    assert checked > 50


def test_the_demo_has_paid_first_aid_after_reviewed_and_one_overdue(built, client_for):
    out, _seconds = built
    today = timezone.localdate()
    first = Enrolment.objects.filter(paid_first=True, household__number__startswith="DEMO-")
    assert out["paid_first"] == first.count() == 5
    outcomes = Counter(first.values_list("after_review_outcome", flat=True))
    assert outcomes == {"confirmed": 2, "refused": 1, "": 2}
    overdue = first.filter(after_review_outcome="", after_review_due__lt=today)
    assert overdue.count() == 1
    assert first.filter(after_review_outcome="", after_review_due__gte=today).count() == 1
    # paid by the street from its 备用金: never by a cycle
    assert not Entitlement.objects.filter(enrolment__in=first).exists()
    assert all(e.award_amount > 0 and e.decided_on <= today for e in first)
    # the street's staff paid those of its own street
    street_paid = EnrolmentEvent.objects.filter(enrolment__in=first, state="enrolled",
                                                actor__username="street1")
    assert street_paid.exists()
    # the refused one is ended on its after-review day; the pages show the overdue flag
    refused = first.get(after_review_outcome="refused")
    assert refused.state == "exited"
    assert refused.events.latest("effective_on", "id").effective_on == refused.after_review_on
    late = overdue.get()
    html = client_for("civil1").get(f"/assistance/enrolments/{late.pk}/").content.decode()
    assert "先行救助" in html and "逾期" in html
    tasks = client_for("street1").get("/assistance/reviews/").content.decode()
    assert "先行救助补办审核" in tasks


def test_the_demo_refuses_households_whose_assets_exceed_the_limits(built, client_for):
    out, _seconds = built
    limits = dict(Standard.objects.filter(region_id="131002000000",
                                          programme__startswith="asset_")
                  .values_list("programme", "amount"))
    assert set(limits) == {"asset_savings", "asset_vehicles"}
    refused = Enrolment.objects.filter(state="refused", programme__in=("dibao", "edge"),
                                       household__number__startswith="DEMO-")
    assert out["refused_for_assets"] == refused.count() > 0
    for e in refused.select_related("assessment"):
        members = e.household.members.count()
        over = (e.assessment.savings > limits["asset_savings"] * members
                or e.assessment.vehicles > limits["asset_vehicles"])
        assert over, e.household.number
        assert e.computed_verdict == "不符合" and "超过上限" in e.computed_rule
        assert "财产" in e.decision_reason
    e = refused.first()
    html = client_for("civil1").get(f"/assistance/enrolments/{e.pk}/").content.decode()
    assert "超过上限" in html and "不予认定" in html
