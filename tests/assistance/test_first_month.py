"""Whether a new benefit is paid for the whole month of its decision (the default) or from the
month after is dated configuration per region (Procedure.first_month), read by the cycle for
the household's region (a street's own rule before the district's) as in force in the month,
and shown on the standards page. Amounts are worked by hand in the comments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth import get_user_model

from minsheng.assistance import enrolment as en
from minsheng.assistance import payments as pay
from minsheng.assistance.models import (
    Enrolment,
    EnrolmentEvent,
    Entitlement,
    Household,
    Person,
    Procedure,
    Review,
    Standard,
)
from minsheng.places.models import Region

pytestmark = pytest.mark.django_db
D = Decimal
DISTRICT = "131002000000"
URL = "/assistance/standards/"


def u(name):
    return get_user_model().objects.get(username=name)


def clock(y, m, d):
    return time_machine.travel(dt.datetime(y, m, d, 12, tzinfo=dt.UTC), tick=False)


def enrolled(region: Region, number: str, decided: dt.date, per_capita: str = "300"
             ) -> Enrolment:
    h = Household.objects.create(number=number, region=region, area="urban")
    p = Person.objects.create(household=h, region=region, relationship="head", name=number,
                              id_number=f"13100219600101{int(number[2:]):04d}",
                              birth_date="1960-01-01", bank_account=f"62170000000{number[2:]}")
    e = Enrolment.objects.create(
        household=h, payee=p, region=region, area="urban", programme="dibao", state="enrolled",
        applied_on=decided, consent_on=decided, decided_on=decided,
        per_capita_income=D(per_capita), members_covered=1)
    EnrolmentEvent.objects.create(enrolment=e, state="enrolled", effective_on=decided,
                                  members_covered=1, per_capita_income=D(per_capita))
    return e


def owed(month: dt.date) -> dict[str, Decimal]:
    civil = u("civil1")
    c = pay.do_open_cycle(civil, DISTRICT, month)
    pay.do_generate(civil, c)
    return dict(Entitlement.objects.filter(cycle=c).values_list("enrolment__household__number",
                                                                "amount"))


@pytest.fixture
def streets():
    community = u("community1").memberships.first().region
    other = (Region.objects.filter(level="community", code__startswith=DISTRICT[:6])
             .exclude(code__startswith=community.code[:9]).order_by("code").first())
    Standard.objects.create(region_id=DISTRICT, programme="dibao", area="urban",
                            valid_from=dt.date(2025, 1, 1), amount=D("800"), source="测试")
    return community, other


def procedure(region_code: str, first_month: str, valid_from: dt.date) -> Procedure:
    return Procedure.objects.create(region_id=region_code, valid_from=valid_from,
                                    first_month=first_month, source="测试")


def test_a_street_that_pays_from_the_month_after_the_decision(streets):
    community, other = streets
    procedure(community.code[:9].ljust(12, "0"), "next", dt.date(2026, 1, 1))
    enrolled(community, "F-1", dt.date(2026, 5, 20))   # this street: from June
    enrolled(other, "F-2", dt.date(2026, 5, 20))       # another street: May, whole
    enrolled(community, "F-3", dt.date(2026, 5, 1))    # decided on 1 May: from June too
    enrolled(community, "F-4", dt.date(2026, 4, 30))   # in force before May: May paid
    with clock(2026, 7, 10):
        may, june = owed(dt.date(2026, 5, 1)), owed(dt.date(2026, 6, 1))
        assert pay.amount_due(Enrolment.objects.get(household__number="F-1"),
                              dt.date(2026, 5, 1)) is None
    assert may == {"F-2": D("500.00"), "F-4": D("500.00")}  # 800 − 300
    assert june == {"F-1": D("500.00"), "F-2": D("500.00"), "F-3": D("500.00"),
                    "F-4": D("500.00")}


def test_a_resumed_benefit_follows_the_same_rule_and_an_ended_one_keeps_its_last_month(streets):
    community, _other = streets
    procedure(DISTRICT, "next", dt.date(2026, 1, 1))
    resumed = enrolled(community, "F-5", dt.date(2026, 1, 10))
    ended = enrolled(community, "F-6", dt.date(2026, 1, 10))
    worker = u("community1")
    with clock(2026, 6, 20):
        en.do_complete_review(worker, Review.objects.create(enrolment=resumed,
                                                            due_on=dt.date(2026, 3, 1)),
                              outcome="pause", note="外出务工", on=dt.date(2026, 3, 5))
        en.do_complete_review(worker, Review.objects.create(enrolment=resumed,
                                                            due_on=dt.date(2026, 4, 1)),
                              outcome="keep", note="返乡，恢复", on=dt.date(2026, 4, 15))
        en.do_complete_review(worker, Review.objects.create(enrolment=ended,
                                                            due_on=dt.date(2026, 4, 1)),
                              outcome="end", note="收入增加", on=dt.date(2026, 4, 10))
        april, may = owed(dt.date(2026, 4, 1)), owed(dt.date(2026, 5, 1))
    assert april == {"F-6": D("500.00")}  # F-5 resumed on 15 April: from May; F-6 in force 1–9 April
    assert may == {"F-5": D("500.00")}


def test_the_rule_is_dated_and_the_default_pays_the_whole_first_month(streets):
    community, _other = streets
    enrolled(community, "F-7", dt.date(2026, 3, 20))
    enrolled(community, "F-8", dt.date(2026, 5, 20))
    procedure(DISTRICT, "next", dt.date(2026, 5, 1))  # from May only
    with clock(2026, 7, 10):
        march, may = owed(dt.date(2026, 3, 1)), owed(dt.date(2026, 5, 1))
    assert march == {"F-7": D("500.00")}  # before the rule: the whole first month
    assert may == {"F-7": D("500.00")}    # F-8 decided in May under the new rule: from June
    # a street's own "whole month" row beats the district's "next"
    procedure(community.code[:9].ljust(12, "0"), "whole", dt.date(2026, 5, 1))
    enrolled(community, "F-9", dt.date(2026, 6, 3))
    with clock(2026, 7, 10):
        assert owed(dt.date(2026, 6, 1)) == {"F-7": D("500.00"), "F-8": D("500.00"),
                                            "F-9": D("500.00")}


NOW = dt.datetime(2031, 6, 15, 4, 0, tzinfo=dt.UTC)


def _procedure(**kw):
    return {"what": "procedure", "p-region": DISTRICT, "p-valid_from": "2031-07-01",
            "p-publicity_days": 7, "p-review_months_unable": 12, "p-review_months_partial": 6,
            "p-review_months_able": 3, "p-payment_due_day": 10, "p-source": "测试文件"} | kw


@time_machine.travel(NOW, tick=False)
def test_the_standards_page_sets_and_shows_the_first_month_rule(client_for):
    c = client_for("civil1")
    assert c.post(URL, _procedure(**{"p-first_month": "next"})).status_code == 302
    assert Procedure.objects.get(valid_from=dt.date(2031, 7, 1)).first_month == "next"
    html = c.get(URL).content.decode()
    assert "起发月份" in html and "自认定次月起发放" in html
    # left empty: the default, the whole month
    assert c.post(URL, _procedure(**{"p-valid_from": "2031-08-01"})).status_code == 302
    assert Procedure.objects.get(valid_from=dt.date(2031, 8, 1)).first_month == "whole"


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("value", ["<script>alert(1)</script>", "=cmd|' /C calc'!A0", "next\x00",
                                   "whole\x07", "x" * 5000, "NEXT"])
def test_a_first_month_rule_that_is_not_a_choice_is_refused(client_for, value):
    before = Procedure.objects.count()
    r = client_for("civil1").post(URL, _procedure(**{"p-first_month": value}))
    assert r.status_code == 200
    assert Procedure.objects.count() == before
