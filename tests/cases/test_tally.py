"""The cases' monthly sums (cases/tally.py) that the indicator catalogue reads instead of the
cases: they must say what counting the cases says, after any change, on any date."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from minsheng.cases import tally, workflow
from minsheng.cases.models import Case, CaseType, TallyMonth
from minsheng.places.models import Compound, Region

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
D6 = "131002"
YEAR = (dt.date(2030, 1, 1), dt.date(2031, 1, 1))


def at(month: int, day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(2030, month, day, hour, tzinfo=TZ)


def compound() -> Compound:
    return Compound.objects.filter(region__code__startswith=D6, lat__isnull=False).order_by("pk")[0]


def file(when: dt.datetime, code: str = "property_repair") -> Case:
    with time_machine.travel(when, tick=False):
        return workflow.do_file(case_type=CaseType.objects.get(code=code), description="测试诉求",
                                channel=Case.Channel.STAFF, compound=compound(), at=when)


def totals(prefix: str = D6, period=YEAR) -> dict[str, int]:
    out = {"received": 0, "resolved": 0, "rated": 0, "rating_sum": 0, "hours": 0.0}
    for (_r, _k, resolved, received, _on_time, handling, rated, rating_sum, *_rest) in tally.rows(
            prefix, *period):
        out["received"] += received
        out["resolved"] += received if resolved else 0
        out["rated"] += rated
        out["rating_sum"] += rating_sum
        out["hours"] += handling.total_seconds() / 3600 if handling is not None else 0
    return out


def test_a_change_to_a_case_of_a_month_that_is_over_is_counted_at_the_next_read(user):
    boss = user("district")
    a, b = file(at(1, 10)), file(at(1, 12))
    file(at(3, 2))
    with time_machine.travel(at(3, 15), tick=False):
        assert totals() == {"received": 3, "resolved": 0, "rated": 0, "rating_sum": 0,
                            "hours": 0.0}
        jan = TallyMonth.objects.get(district=D6, month=dt.date(2030, 1, 1))
        assert jan.computed_version == jan.version  # January is over: trusted from now on
        workflow.do_accept(boss, a)
        workflow.do_resolve(boss, a, "已处理")
        workflow.do_rate(None, a, fixed=True, rating=4, token=a.token)
        got = totals()
    assert (got["received"], got["resolved"], got["rated"], got["rating_sum"]) == (3, 1, 1, 4)
    assert got["hours"] == pytest.approx((at(3, 15) - at(1, 10)).total_seconds() / 3600)
    with time_machine.travel(at(3, 16), tick=False):
        b.delete()
        assert totals()["received"] == 2


def test_a_trusted_month_is_read_without_counting_its_cases_again():
    file(at(1, 10))
    with time_machine.travel(at(3, 15), tick=False):
        winter = (dt.date(2030, 1, 1), dt.date(2030, 3, 1))
        totals(D6, winter)
        with CaptureQueriesContext(connection) as seen:
            assert totals(D6, winter)["received"] == 1
        with CaptureQueriesContext(connection) as current:
            totals(D6, (dt.date(2030, 3, 1), dt.date(2030, 4, 1)))
    assert '"cases_case"' in " ".join(q["sql"] for q in current.captured_queries)  # not over
    sql = " ".join(q["sql"] for q in seen.captured_queries)
    assert '"cases_case"' not in sql  # only the sums and their states were read
    assert "cases_casetally" in sql


def test_changes_that_bypass_the_signals_need_invalidate():
    a = file(at(1, 10))
    with time_machine.travel(at(3, 15), tick=False):
        assert totals()["received"] == 1
        Case.objects.filter(pk=a.pk).update(status=Case.Status.MERGED)  # no signal
        assert totals()["received"] == 1  # the documented gap: QuerySet.update is not seen
        tally.invalidate(D6)
        assert totals()["received"] == 0  # a merged duplicate is not counted


def test_a_month_read_before_it_was_over_is_counted_again_after():
    a = file(at(1, 10))
    with time_machine.travel(at(1, 20), tick=False):
        assert totals()["received"] == 1
    Case.objects.filter(pk=a.pk).update(status=Case.Status.MERGED)  # no signal, no invalidate
    with time_machine.travel(dt.datetime(2030, 2, 1, 0, 30, tzinfo=TZ), tick=False):
        assert totals()["received"] == 0  # read before its end, so never trusted
    with time_machine.travel(at(2, 10), tick=False):
        assert totals()["received"] == 0
        jan = TallyMonth.objects.get(district=D6, month=dt.date(2030, 1, 1))
        assert jan.computed_at == at(2, 10)  # recounted once it was over (and an hour more)


def test_filing_in_the_current_month_writes_nothing_to_the_sums():
    with CaptureQueriesContext(connection) as seen:
        file(at(5, 3))
    assert not [q for q in seen.captured_queries if "tally" in q["sql"].lower()]
    with time_machine.travel(at(5, 4), tick=False):
        assert totals()["received"] == 1


def test_a_change_overtaking_a_recount_leaves_the_month_to_be_counted_again(monkeypatch):
    a = file(at(1, 10))
    original = tally._states

    def racing(districts, month):  # a change to a January case lands as the recount begins
        states = original(districts, month)
        TallyMonth.objects.filter(pk__in=[s.pk for s in states]).update(version=F("version") + 1)
        return states

    with time_machine.travel(at(3, 15), tick=False):
        monkeypatch.setattr(tally, "_states", racing)
        assert totals()["received"] == 1
        monkeypatch.undo()
        jan = TallyMonth.objects.get(district=D6, month=dt.date(2030, 1, 1))
        assert jan.computed_version != jan.version
        Case.objects.filter(pk=a.pk).update(status=Case.Status.MERGED)  # what the race hid
        assert totals()["received"] == 0


def test_only_whole_months_and_only_the_prefix_asked_for():
    file(at(1, 10))
    with time_machine.travel(at(3, 15), tick=False):
        assert totals("131002999")["received"] == 0
        assert totals(D6, (dt.date(2030, 2, 1), dt.date(2030, 3, 1)))["received"] == 0
        with pytest.raises(ValueError):
            tally.rows(D6, dt.date(2030, 1, 5), dt.date(2030, 2, 1))


def other_district_case(when: dt.datetime) -> Case:
    """A copy of a 安次区 case in a community of another district (131003)."""
    district = Region.objects.get_or_create(code="131003000000", defaults={
        "name": "另一区", "level": Region.Level.DISTRICT, "parent": Region.objects.get(
            code="131002000000").parent})[0]
    community = Region.objects.get_or_create(code="131003001001", defaults={
        "name": "另一社区", "level": Region.Level.COMMUNITY, "parent": district})[0]
    case = file(when)
    Case.objects.filter(pk=case.pk).update(region=community, compound=None)
    return case


def test_a_month_long_over_is_counted_for_every_district_at_once():
    """After a bulk load, the first district read counts a month that is over for every
    district in one pass over its cases; the other districts then read their sums alone. The
    current month stays counted per district, on each read."""
    file(at(1, 10))
    other_district_case(at(1, 11))
    other_district_case(at(3, 2))
    tally.invalidate()
    with time_machine.travel(at(3, 15), tick=False):
        jan = (dt.date(2030, 1, 1), dt.date(2030, 2, 1))
        with CaptureQueriesContext(connection) as first:
            assert totals(D6, jan)["received"] == 1
        assert len([q for q in first.captured_queries if "INSERT INTO" in q["sql"]
                    and '"cases_case"' in q["sql"]]) == 1
        states = TallyMonth.objects.filter(month=jan[0])
        assert all(tally._trusted(s) for s in states)  # every district of the database
        assert {D6, "131003"} <= {s.district for s in states}
        with CaptureQueriesContext(connection) as second:
            assert totals("131003", jan)["received"] == 1
        assert '"cases_case"' not in " ".join(q["sql"] for q in second.captured_queries)
        march = (dt.date(2030, 3, 1), dt.date(2030, 4, 1))
        assert totals(D6, march)["received"] == 0
        assert not TallyMonth.objects.filter(district="131003", month=march[0]).exists()
        assert totals("131003", march)["received"] == 1
        assert totals(D6, YEAR)["received"] == 1 and totals("131003", YEAR)["received"] == 2


def test_a_month_that_ended_within_the_hour_is_counted_for_its_district_alone():
    """A recount within TRUST_AFTER of the month's end is not trusted, so it is not done for
    the whole province on every district's read."""
    file(at(1, 10))
    other_district_case(at(1, 11))
    with time_machine.travel(dt.datetime(2030, 2, 1, 0, 30, tzinfo=TZ), tick=False):
        assert totals(D6, (dt.date(2030, 1, 1), dt.date(2030, 2, 1)))["received"] == 1
    assert set(TallyMonth.objects.values_list("district", flat=True)) == {D6}
