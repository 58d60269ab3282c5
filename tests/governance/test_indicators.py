"""The governance figures in the indicator catalogue, recomputed independently from records."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from minsheng.governance import registry
from minsheng.governance.models import (
    GovernanceRecord,
    Scheme,
    Scorecard,
    Takeover,
    TakeoverItem,
    Task,
    TaskList,
)
from minsheng.indicators import services
from minsheng.indicators.models import DataValue
from minsheng.places.models import Compound, Organisation

pytestmark = pytest.mark.django_db
D = "131002000000"


def test_rectification_rate_and_grade_distribution_match_the_records() -> None:
    units = list(Organisation.objects.filter(region__code__startswith="131002")[:3])
    tl = TaskList.objects.create(name="t", kind=TaskList.Kind.FEEDBACK, region_id=D)
    states = ["verified", "verified", "verified", "submitted", "assigned", "returned", "verified"]
    for k, st in enumerate(states, start=1):
        Task.objects.create(task_list=tl, number=k, area="a", problem="p", unit=units[k % 3],
                            deadline=dt.date(2030, 3, k), state=st)
    # due the next year: not in 2030's figures
    Task.objects.create(task_list=tl, number=99, area="a", problem="p", unit=units[0],
                        deadline=dt.date(2031, 1, 5), state="verified")
    scheme = Scheme.objects.create(code="ind", name="i", region_id=D, bands=[])
    companies = list(Organisation.objects.filter(kind=Organisation.Kind.PROPERTY_COMPANY,
                                                 region__code__startswith="131002")[:5])
    grades = ["优秀", "良好", "优秀", "不合格", ""]
    for c, g in zip(companies, grades, strict=True):
        Scorecard.objects.create(scheme=scheme, period="2030", company=c, grade=g,
                                 total=None if not g else Decimal("70"),
                                 computed_at=timezone.now())
    Scorecard.objects.create(scheme=scheme, period="2030Q1", company=companies[0], grade="合格",
                             computed_at=timezone.now())
    with time_machine.travel(dt.datetime(2031, 2, 1, 12, tzinfo=dt.UTC), tick=False):
        services.compute(D, "2030")
        got = services.evaluate([D], "2030", with_previous=False)[D]
    due = [t for t in Task.objects.filter(task_list=tl) if t.deadline.year == 2030]
    done = [t for t in due if t.state == "verified"]
    assert got["rectification_completion_rate"].value == Decimal(
        str(round(100 * len(done) / len(due), 1)))
    graded = [g for g in grades if g]
    assert got["property_companies_graded"].value == len(graded)
    assert got["property_companies_excellent"].value == graded.count("优秀")
    assert got["property_companies_failing"].value == graded.count("不合格")
    assert got["property_excellent_share"].value == Decimal(
        str(round(100 * graded.count("优秀") / len(graded), 1)))


def test_registry_and_takeover_figures_match_the_records(user) -> None:
    compounds = list(Compound.objects.filter(region__code__startswith="131002")
                     .order_by("pk")[:4])
    plan = [  # committee, branch, cadre, elected head, managers
        ("owners", True, True, True, 3),
        ("management", True, False, True, 1),
        ("owners", True, True, False, 0),
        ("", False, False, False, 2),
    ]
    with time_machine.travel(dt.datetime(2030, 3, 1, 4, tzinfo=dt.UTC), tick=False):
        for c, (committee, branch, cadre, elected, managers) in zip(compounds, plan,
                                                                    strict=True):
            registry.do_change_governance(
                c, on=dt.date(2030, 2, 1), by=None, committee=committee,
                has_party_branch=branch, cadre_full_time=cadre,
                head_is_party_secretary=elected and bool(committee),
                election_date=dt.date(2030, 1, 15) if elected else None,
                street_approved=elected, property_managers=managers)
    company = Organisation.objects.filter(kind=Organisation.Kind.PROPERTY_COMPANY,
                                          region__code__startswith="131002").first()
    to = Takeover.objects.create(name="t", company=company, region_id=D,
                                 started_on=dt.date(2030, 1, 1))
    for k, (state, done) in enumerate([("passed", dt.date(2030, 3, 1)),
                                       ("passed", dt.date(2030, 6, 1)), ("open", None)]):
        TakeoverItem.objects.create(takeover=to, compound=compounds[k], standard="cleaning",
                                    requirement="r", deadline=dt.date(2030, 4, 1), state=state,
                                    done_on=done)
    with time_machine.travel(dt.datetime(2031, 2, 1, 12, tzinfo=dt.UTC), tick=False):
        services.compute(D, "2030")
        got = services.evaluate([D], "2030", with_previous=False)[D]
    rows = GovernanceRecord.objects.filter(valid_to__isnull=True)
    branches = rows.filter(has_party_branch=True).count()
    cadres = rows.filter(has_party_branch=True, cadre_full_time=True).count()
    assert (branches, cadres) == (3, 2)
    assert got["cadre_coverage"].value == Decimal(str(round(100 * cadres / branches, 1)))
    assert got["secretary_heads_elected"].value == 2
    assert got["full_time_property_managers"].value == 6
    assert got["takeover_on_time_rate"].value == Decimal(str(round(100 * 1 / 3, 1)))


def test_coverage_figures_read_the_registry_history(user) -> None:
    """Last year's committee and management coverage stay last year's after this year's change,
    even for a period never computed before the change (no snapshot to fall back on)."""
    plain = Compound.objects.filter(region__code__startswith="131002")
    c = plain.filter(committee="", property_status="none").order_by("pk").first()
    assert c is not None
    committees = plain.exclude(committee="").count()
    managed = plain.exclude(property_status="none").count()
    company = Organisation.objects.filter(kind=Organisation.Kind.PROPERTY_COMPANY,
                                          region__code__startswith="131002").first()
    with time_machine.travel(dt.datetime(2031, 6, 1, 4, tzinfo=dt.UTC), tick=False):
        # no registry change before 2031: the registry's own figures are missing, not 0
        services.compute(D, "2030")
        got = services.evaluate([D], "2030", with_previous=False)[D]
        assert got["full_time_property_managers"].value is None
        assert got["cadre_coverage"].value is None
        registry.do_change_governance(
            c, on=dt.date(2031, 3, 1), by=user("district"), form="company",
            property_company=company, committee="owners", head_is_party_secretary=True,
            has_party_branch=True, election_date=dt.date(2031, 2, 1), street_approved=True,
            property_managers=4)
        c.refresh_from_db()
        assert c.committee == "owners" and c.property_status == "company"
        DataValue.objects.filter(period="2030").delete()  # as if never computed
        services.compute(D, "2030")
        services.compute(D, "2031")
        this = services.evaluate([D], "2031", with_previous=False)[D]
    values = {(e, p): v for e, p, v in DataValue.objects.filter(region_id=D).values_list(
        "element_id", "period", "value")}
    assert values[("compounds_with_committee", "2030")] == committees
    assert values[("compounds_with_committee", "2031")] == committees + 1
    assert values[("compounds_managed", "2030")] == managed
    assert values[("compounds_managed", "2031")] == managed + 1
    assert ("gov_property_managers", "2030") not in values  # missing, not 0
    assert values[("gov_property_managers", "2031")] == 4
    assert this["full_time_property_managers"].value == 4
