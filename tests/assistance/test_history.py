"""Programme counts "as of" a day come from the dated enrolment history (EnrolmentEvent), not
from the enrolment's current state: last year's year-end figures stay last year's after this
year's pauses, exits and changes. Every count is recomputed here in Python from the event rows;
the back-fill of the history from older records is checked too."""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal

import pytest
import time_machine
from django.apps import apps
from django.contrib.auth import get_user_model

from minsheng.assistance import actions
from minsheng.assistance import enrolment as en
from minsheng.assistance.models import (
    Enrolment,
    EnrolmentEvent,
    Household,
    Person,
    Procedure,
    Review,
    Standard,
)
from minsheng.indicators.periods import Period
from minsheng.indicators.sources_assistance import assistance_stock

pytestmark = pytest.mark.django_db
D = Decimal
DISTRICT = "131002"


def u(name):
    return get_user_model().objects.get(username=name)


def clock(y, m, d):
    return time_machine.travel(dt.datetime(y, m, d, 12, tzinfo=dt.UTC), tick=False)


def household(number: str, ids: tuple[str, ...]) -> Household:
    comm1 = u("community1").memberships.first().region
    h = Household.objects.create(number=number, region=comm1, area="urban")
    people = [Person.objects.create(household=h, region=comm1,
                                    relationship="head" if i == 0 else "child", name=f"成员{i}",
                                    id_number=n, birth_date="1980-01-01",
                                    labour_capacity="none")
              for i, n in enumerate(ids)]
    actions.do_record_assessment(u("community1"), h, assessed_on=dt.date(2025, 11, 1),
                                 incomes=[(people[0], "wages", D("3600"))])
    return h


def enrol(h: Household) -> Enrolment:
    with clock(2025, 11, 2):
        e = en.do_apply(u("community1"), h, programme="dibao", consent_on=dt.date(2025, 11, 2))
        en.do_street_review(u("street1"), e)
    with clock(2025, 11, 3):
        en.do_publicise(u("street1"), e)
    with clock(2025, 12, 10):
        en.do_decide(u("civil1"), e, enrol=True)
    return e


def recount(day: dt.date) -> dict[str, int]:
    """Independently: each enrolment's latest event on or before `day`, in Python."""
    latest: dict[int, EnrolmentEvent] = {}
    for ev in sorted(EnrolmentEvent.objects.all(), key=lambda x: (x.effective_on, x.pk)):
        if ev.effective_on <= day:
            latest[ev.enrolment_id] = ev
    dibao = [ev for ev in latest.values()
             if ev.state == "enrolled" and ev.enrolment.programme == "dibao"]
    return {"dibao_households": len(dibao),
            "dibao_recipients": sum(ev.members_covered for ev in dibao)}



def by_district(period: Period) -> dict[str, int]:
    out: dict[str, int] = {}
    for el, v in ((el, int(v)) for _c, el, v in assistance_stock(DISTRICT, period)):
        if el in ("dibao_households", "dibao_recipients"):
            out[el] = out.get(el, 0) + v
    return out


@pytest.fixture
def three(db):
    Standard.objects.create(region_id="131002000000", programme="dibao", area="urban",
                            valid_from=dt.date(2025, 1, 1), amount=D("800"), source="测试")
    Procedure.objects.create(region_id="131002000000", valid_from=dt.date(2025, 1, 1),
                             publicity_days=5, source="测试")
    with clock(2025, 11, 1):
        hs = [household("H-1", ("131002198001010011", "131002201001010012")),
              household("H-2", ("131002198001010023",)),
              household("H-3", ("131002198001010034", "131002201001010035",
                                "131002201501010036"))]
    return [enrol(h) for h in hs]


def test_last_years_count_stays_after_this_years_pause_exit_and_change(three):
    a, b, c = three
    end_2025 = {"dibao_households": 3, "dibao_recipients": 6}
    with clock(2026, 1, 5):
        assert by_district(Period(2025)) == recount(dt.date(2025, 12, 31)) == end_2025
    # 2026: a is paused, b ends, c's benefit changes to two members (one left the household)
    with clock(2026, 3, 20):
        en.do_complete_review(u("community1"), Review.objects.get(enrolment=a), outcome="pause",
                              note="外出务工收入增加", on=dt.date(2026, 3, 10))
        en.do_complete_review(u("community1"), Review.objects.get(enrolment=b), outcome="end",
                              note="收入超过标准", on=dt.date(2026, 3, 11))
        c.household.members.filter(name="成员2").update(household=None)
        en.do_complete_review(u("community1"), Review.objects.get(enrolment=c), outcome="change",
                              note="成员迁出", on=dt.date(2026, 3, 12))
        # last year's figures are last year's
        assert by_district(Period(2025)) == recount(dt.date(2025, 12, 31)) == end_2025
        # this quarter's end: only c, with two members
        q1 = by_district(Period(2026, "quarter", 1))
        assert q1 == recount(dt.date(2026, 3, 31)) == {"dibao_households": 1,
                                                       "dibao_recipients": 2}
        # the day before the changes: all three as before
        assert recount(dt.date(2026, 3, 9)) == end_2025
    # a review keeps the paused benefit: it resumes from that day
    with clock(2026, 5, 2):
        en.do_complete_review(u("community1"), Review.objects.get(enrolment=a, done_on=None),
                              outcome="keep", on=dt.date(2026, 5, 1))
        a.refresh_from_db()
        assert a.state == "enrolled"
        assert by_district(Period(2026, "month", 4)) == recount(dt.date(2026, 4, 30)) == {
            "dibao_households": 1, "dibao_recipients": 2}
        assert by_district(Period(2026, "month", 5)) == recount(dt.date(2026, 5, 31)) == {
            "dibao_households": 2, "dibao_recipients": 4}
    assert [(ev.state, ev.effective_on) for ev in a.events.all()][-3:] == [
        ("enrolled", dt.date(2025, 12, 10)), ("paused", dt.date(2026, 3, 10)),
        ("enrolled", dt.date(2026, 5, 1))]


def test_the_backfill_dates_the_history_from_the_records(three):
    a, b, c = three
    with clock(2026, 3, 20):
        en.do_complete_review(u("community1"), Review.objects.get(enrolment=b), outcome="end",
                              note="收入超过标准", on=dt.date(2026, 3, 11))
    # records from before the history was dated: wrong days on a's events, none at all on c's
    EnrolmentEvent.objects.filter(enrolment__in=[a, b]).update(effective_on=dt.date(2030, 1, 1))
    EnrolmentEvent.objects.filter(enrolment=c).delete()
    migration = importlib.import_module(
        "minsheng.assistance.migrations.0010_enrolment_event_history")
    migration.backfill(apps, None)
    days = {e.pk: [(ev.state, ev.effective_on) for ev in e.events.all()] for e in three}
    assert days[a.pk][0] == ("applied", dt.date(2025, 11, 2))
    assert ("publicised", dt.date(2025, 11, 3)) in days[a.pk]
    assert days[a.pk][-1] == ("enrolled", dt.date(2025, 12, 10))
    assert days[b.pk][-1] == ("exited", dt.date(2026, 3, 11))
    assert days[c.pk] == [("applied", dt.date(2025, 11, 2)), ("enrolled", dt.date(2025, 12, 10))]
    assert recount(dt.date(2025, 12, 31)) == {"dibao_households": 3, "dibao_recipients": 6}
    assert recount(dt.date(2026, 3, 31)) == {"dibao_households": 2, "dibao_recipients": 5}
