"""Every employment indicator recomputed from records (indicators/sources_employment.py through
the indicator engine), with the period boundaries: registered before the end and employed (or
closed) on or after it still counts as registered unemployed at the end; the registered rate's
denominator is the approved manual 城镇从业人员 and nothing without the approval. 2032 is far from
the demo's dates; the clock is frozen in 2033."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from minsheng.employment.models import (
    Course,
    Employer,
    Employment,
    Enrolment,
    Event,
    Internship,
    Referral,
    Unemployment,
    Vacancy,
)
from minsheng.indicators import entry, services
from minsheng.indicators.models import DataSet
from minsheng.indicators.periods import Period

pytestmark = pytest.mark.django_db
D = "131002000000"
NOW = dt.datetime(2033, 3, 1, 4, 0, tzinfo=dt.UTC)
day = dt.date


def spell(person, registered, ended=None, reason="", hard=False):
    return Unemployment.objects.create(person=person, region=person.region,
                                       registered_on=registered, ended_on=ended,
                                       end_reason=reason, reason="other", hard_to_employ=hard)


def job(person, on, ends=None, left=None, why=""):
    if ends is not None:
        ends.ended_on, ends.end_reason = on, "employed"
        ends.save()
    return Employment.objects.create(person=person, region=person.region, employed_on=on,
                                     ends=ends, left_on=left, left_reason=why)


@pytest.fixture
def world(make_person, community, other_community):
    # the records of this test alone (the session's demo has its own, dated around today)
    for model in (Enrolment, Internship, Referral, Employment, Unemployment, Event, Vacancy,
                  Course):
        model.objects.all().delete()
    a, b, c, d, e = (make_person() for _ in range(5))
    f, g, h = (make_person(region=other_community) for _ in range(3))
    job(a, day(2032, 6, 1), ends=spell(a, day(2032, 3, 1), hard=True))  # re-employed, hard
    job(b, day(2033, 1, 10), ends=spell(b, day(2032, 11, 1)))  # employed after the end
    spell(c, day(2031, 12, 1))  # still registered
    spell(d, day(2032, 2, 1), day(2032, 12, 31), "moved")  # closed before the end
    spell(e, day(2032, 5, 1), day(2033, 1, 1), "cancelled")  # closed on the first day after
    job(f, day(2032, 4, 1), left=day(2032, 10, 1), why="retired")  # hired, then attrition
    job(g, day(2031, 1, 1), left=day(2032, 8, 1), why="died")  # attrition
    job(g, day(2032, 12, 31))  # new job on the last day (g died? a data slip the sums ignore)
    job(h, day(2032, 7, 1), left=day(2032, 9, 1), why="quit")  # hired; leaving is no attrition
    emp = Employer.objects.create(name="测试单位", region_id=D)
    for n, posted in ((4, day(2032, 1, 5)), (6, day(2032, 12, 31)), (9, day(2033, 1, 1))):
        Vacancy.objects.create(employer=emp, region_id=D, title="岗位", positions=n,
                               posted_on=posted)
    for kind, held, vis, agr in (("fair", day(2032, 3, 10), 500, 50),
                                 ("online", day(2032, 10, 10), 300, 20),
                                 ("community", day(2032, 5, 5), 80, 8),
                                 ("fair", day(2033, 1, 2), 999, 99)):
        Event.objects.create(name=kind, kind=kind, region=community, held_on=held, visitors=vis,
                             agreements=agr)
    for p, start, end, kept in ((a, day(2032, 1, 1), day(2032, 4, 1), True),
                                (c, day(2032, 2, 1), day(2032, 8, 1), False),
                                (d, day(2032, 9, 1), None, None)):
        Internship.objects.create(person=p, region=p.region, host=emp, basis="youth",
                                  starts_on=start, months=6, monthly_allowance=2000,
                                  ended_on=end, retained=kept)
    kw = {"occupation": "电工", "provider": "职校", "hours": 40}
    c1 = Course.objects.create(name="1", region=community, starts_on=day(2032, 3, 1),
                               ends_on=day(2032, 4, 1), **kw)
    c0 = Course.objects.create(name="0", region=community, starts_on=day(2031, 3, 1),
                               ends_on=day(2031, 4, 1), **kw)
    for p, cert in ((a, "C1"), (b, ""), (c, "C2")):
        Enrolment.objects.create(course=c1, person=p, region=p.region, certificate=cert)
    Enrolment.objects.create(course=c0, person=d, region=d.region, certificate="C0")
    return community, other_community


def _values(regions, period="2032"):
    services.compute(D, period)
    return services.evaluate(regions, period, with_previous=False)


@time_machine.travel(NOW, tick=False)
def test_every_employment_figure_from_records(world, user):
    community, other = world
    street = community.code[:9] + "000"
    v = _values([D, street, other.code[:9] + "000"])
    got = {k: x.value for k, x in v[D].items() if x.indicator.section == "employment"}
    assert got["urban_new_jobs"] == 2  # hires a, f, g, h (4) − attrition f, g (2)
    assert v[D]["urban_new_jobs"].elements == {"emp_hires": 4, "emp_attrition": 2}
    assert got["emp_reemployed"] == 1 and got["emp_hard_placed"] == 1
    assert got["registered_unemployed"] == 3  # b, c, e
    assert got["vacancy_ratio"] == Decimal("2.00")  # 10 openings ÷ 5 seekers (a–e)
    assert (got["job_fairs"], got["emp_community_events"]) == (2, 1)
    assert (got["emp_event_attendance"], got["emp_event_agreements"]) == (880, 78)
    assert got["emp_internships"] == 3 and got["internship_retention"] == Decimal("50.0")
    assert (got["emp_courses"], got["trainees"]) == (1, 3)
    # no approved 城镇从业人员 yet: no registered rate; the surveyed rate is manual only
    assert got["registered_unemployment_rate"] is None
    assert got["surveyed_unemployment_rate"] is None
    # a street sees its own: street 1 has a–e, street 2 has f, g, h
    assert v[street]["registered_unemployed"].value == 3
    assert v[other.code[:9] + "000"]["urban_new_jobs"].value == 1  # f, g, h − f, g
    assert v[other.code[:9] + "000"]["registered_unemployed"].value == 0


@time_machine.travel(NOW, tick=False)
def test_registered_rate_takes_the_approved_denominator(world, user):
    ds, district = DataSet.objects.get(code="employment"), world[0].parent.parent
    entry.save(user("dept1"), ds, district, Period(2032), {"urban_employed": "997",
                                                           "surveyed_unemployment_rate": "5.1"})
    entry.submit(user("dept1"), ds, district, Period(2032))
    assert _values([D])[D]["registered_unemployment_rate"].value is None  # not approved yet
    entry.approve(user("district"), ds, district, Period(2032))
    v = _values([D])[D]
    assert v["registered_unemployment_rate"].value == Decimal("0.30")  # 3 ÷ (997 + 3) × 100
    assert (v["registered_unemployment_rate"].numerator,
            v["registered_unemployment_rate"].denominator) == (3, 1000)
    assert v["surveyed_unemployment_rate"].value == Decimal("5.1")


@time_machine.travel(NOW, tick=False)
def test_period_boundaries_by_quarter(world):
    q4, q1 = _values([D], "2032Q4")[D], _values([D], "2033Q1")[D]
    assert q4["registered_unemployed"].value == 3 and q1["registered_unemployed"].value == 1  # c
    assert q1["emp_reemployed"].value == 1  # b, employed 10 January
    assert q4["urban_new_jobs"].value == 0  # g hired 31 Dec − f retired 1 Oct
    assert q1["job_fairs"].value == 1
