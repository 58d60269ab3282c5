"""Working-day clocks: working hours and working days on the holiday calendar (a weekend, a
national holiday, a 调休 Saturday), the shipped calendar data, pauses, priorities."""

from __future__ import annotations

import datetime as dt
import json
from importlib import import_module
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.core.exceptions import ValidationError

from minsheng.cases import clocks, sla, workflow
from minsheng.cases.models import Case, CaseEvent, CaseType, Holiday, Notification, Priority
from minsheng.cases.workdays import Calendar, parse_periods
from minsheng.places.models import Compound

SH = ZoneInfo("Asia/Shanghai")
DATA = Path(__file__).resolve().parents[2] / "minsheng" / "cases" / "data"
A = CaseEvent.Action


def at(y, m, d, h=0, mi=0) -> dt.datetime:
    return dt.datetime(y, m, d, h, mi, tzinfo=SH)


def cal2026() -> Calendar:
    data = json.loads((DATA / "holidays-2026.json").read_text(encoding="utf-8"))
    return Calendar.of(holidays=[dt.date.fromisoformat(r["date"]) for r in data["days"]
                                 if r["kind"] == "holiday"],
                       workdays=[dt.date.fromisoformat(r["date"]) for r in data["days"]
                                 if r["kind"] == "workday"])


# --------------------------------------------------------------------------------------------
# pure arithmetic


def test_working_hours_within_a_day_skip_the_lunch_break():
    c = Calendar.of()
    assert c.add_hours(at(2026, 3, 2, 10), 1) == at(2026, 3, 2, 11)
    assert c.add_hours(at(2026, 3, 2, 11), 2) == at(2026, 3, 2, 14, 30)  # 11–12, 13:30–14:30
    assert c.add_hours(at(2026, 3, 2, 20), 1) == at(2026, 3, 3, 10)  # filed at night
    assert c.day_seconds() == 7 * 3600


def test_working_hours_over_a_weekend():
    c = Calendar.of()
    # Friday 16:30 + 4 working hours: 1 h on Friday, 3 h on Monday morning
    assert c.add_hours(at(2026, 3, 6, 16, 30), 4) == at(2026, 3, 9, 12)
    assert c.add_days(at(2026, 3, 6, 16, 30), 1) == at(2026, 3, 9, 17, 30)


def test_working_days_over_a_national_holiday():
    c = cal2026()
    # filed on Wednesday 30 September 2026: National Day 1–7 October, then Thursday the 8th
    assert c.add_days(at(2026, 9, 30, 10), 1) == at(2026, 10, 8, 17, 30)
    assert c.add_hours(at(2026, 9, 30, 17), 1) == at(2026, 10, 8, 9, 30)
    # without the calendar the clock would have run out on 1 October
    assert Calendar.of().add_days(at(2026, 9, 30, 10), 1) == at(2026, 10, 1, 17, 30)


def test_a_make_up_saturday_is_a_working_day():
    c = cal2026()
    # Saturday 10 October 2026 is a 调休 working day: a case filed on Friday 9 October is due then
    assert c.is_working_day(dt.date(2026, 10, 10))
    assert c.add_days(at(2026, 10, 9, 10), 1) == at(2026, 10, 10, 17, 30)
    assert c.add_hours(at(2026, 10, 9, 17), 1) == at(2026, 10, 10, 9, 30)
    # Spring Festival: 14 February (Sat) works, 15–23 off, 28 (Sat) works
    assert c.add_days(at(2026, 2, 13, 10), 2) == at(2026, 2, 24, 17, 30)


def test_working_seconds_between_moments():
    c = cal2026()
    assert c.working_seconds(at(2026, 3, 6, 17), at(2026, 3, 9, 10)) == 1.5 * 3600
    assert c.working_seconds(at(2026, 10, 1, 9), at(2026, 10, 7, 18)) == 0
    assert c.working_seconds(at(2026, 3, 9, 10), at(2026, 3, 9, 9)) == 0


def test_working_periods_are_configurable_and_checked():
    assert parse_periods("08:30-12:00, 14:00-18:00") == (
        (dt.time(8, 30), dt.time(12)), (dt.time(14), dt.time(18)))
    for bad in ("12:00-09:00", "09:00-13:00,12:00-17:00", "", "9-x"):
        with pytest.raises(ValueError):
            parse_periods(bad)


# --------------------------------------------------------------------------------------------
# the calendar as data


def test_the_shipped_calendars_cite_their_source():
    for year in (2026, 2027):
        data = json.loads((DATA / f"holidays-{year}.json").read_text(encoding="utf-8"))
        assert data["year"] == year and data["source"]
        assert all(r["date"].startswith(str(year)) for r in data["days"])
        assert all(r["kind"] in ("holiday", "workday") for r in data["days"])
        if not data["verified"]:
            assert data["source"].startswith("未核实")
    d26 = json.loads((DATA / "holidays-2026.json").read_text(encoding="utf-8"))
    assert sum(r["kind"] == "holiday" for r in d26["days"]) == 33
    assert sum(r["kind"] == "workday" for r in d26["days"]) == 6


@pytest.mark.django_db
def test_the_migration_loaded_the_calendar_and_never_overwrites_edits():
    assert Holiday.objects.get(date=dt.date(2026, 10, 10)).kind == Holiday.Kind.WORKDAY
    assert Holiday.objects.filter(year=2026).count() == 39
    # a district's edit survives a reload (the loader inserts only missing dates)
    Holiday.objects.filter(date=dt.date(2026, 10, 7)).update(kind=Holiday.Kind.WORKDAY,
                                                             source="区政府通知")
    Holiday.objects.filter(date=dt.date(2026, 10, 6)).delete()
    import_module("minsheng.cases.migrations.0005_holidays_and_clocks").load(apps, None)
    assert Holiday.objects.get(date=dt.date(2026, 10, 7)).source == "区政府通知"
    assert Holiday.objects.filter(date=dt.date(2026, 10, 6)).exists()  # missing: re-inserted


# --------------------------------------------------------------------------------------------
# the workflow on working clocks


@pytest.fixture
def compound():
    return Compound.objects.filter(region_id="131002001007", property_company__isnull=True
                                   ).order_by("pk").first()


def file(code, compound, **kw):
    return workflow.do_file(case_type=CaseType.objects.get(code=code), compound=compound,
                            description="测试", channel=Case.Channel.HOTLINE, **kw)


@pytest.mark.django_db
def test_filing_sets_working_deadlines(compound):
    t = CaseType.objects.get(code="street_order")
    t.accept_work_hours, t.resolve_work_days, t.priority = 4, 3, Priority.NORMAL
    t.save()
    with time_machine.travel(at(2026, 9, 30, 16), tick=False):
        case = file("street_order", compound)
    # 16:00–17:30 on the 30th, then 2.5 h on 8 October (National Day off)
    assert case.accept_due == at(2026, 10, 8, 11, 30)
    # three working days after 30 September: 8, 9 and the make-up Saturday 10 October
    assert case.resolve_due == at(2026, 10, 10, 17, 30)
    assert case.priority == Priority.NORMAL


@pytest.mark.django_db
def test_a_pause_stops_the_clock_and_moves_both_deadlines(user, compound):
    t = CaseType.objects.get(code="street_order")
    t.accept_work_hours, t.resolve_work_days, t.priority = 4, 3, Priority.NORMAL
    t.save()
    with time_machine.travel(at(2026, 3, 2, 9), tick=False):  # Monday
        case = file("street_order", compound)
        workflow.do_accept(user("street1"), case)
    assert case.resolve_due == at(2026, 3, 5, 17, 30)
    with time_machine.travel(at(2026, 3, 4, 16, 30), tick=False):  # Wednesday
        with pytest.raises(ValidationError):
            workflow.do_pause(user("street1"), case, " ")
        workflow.do_pause(user("street1"), case, "等待居民提供房产证明")
    case.refresh_from_db()
    # a paused case never escalates, however late
    sla.check(now=at(2026, 3, 9, 10))
    case.refresh_from_db()
    assert case.escalation_level == 0 and not case.overdue
    with time_machine.travel(at(2026, 3, 9, 10), tick=False):  # next Monday 10:00
        workflow.do_resume(user("street1"), case, "居民已补充材料")
    case.refresh_from_db()
    # paused 1 h on Wed + 7 h Thu + 7 h Fri + 1 h Mon = 16 working hours
    assert case.paused_at is None
    assert case.resolve_due == clocks.calendar().add_hours(at(2026, 3, 5, 17, 30), 16)
    assert case.resolve_due == at(2026, 3, 10, 11)  # Fri 7 h, Mon 7 h, Tue 9–11
    ev = case.events.filter(action=A.RESUMED).get()
    assert "16.0" in ev.note
    assert case.events.filter(action=A.PAUSED).count() == 1


@pytest.mark.django_db
def test_who_may_pause(user, compound):
    case = file("street_order", compound)
    for name in ("street2", "resident1", "viewer1"):
        with pytest.raises(workflow.PermissionDenied):
            workflow.do_pause(user(name), case, "等待")


@pytest.mark.django_db
def test_priority_has_its_own_clocks_notifies_and_sorts_first(user, compound, settings):
    settings.CASE_CLOCKS = {"urgent": (1, 1), "high": (2, 2)}
    t = CaseType.objects.get(code="street_order")
    t.accept_work_hours, t.resolve_work_days, t.priority = 7, 5, Priority.NORMAL
    t.save()
    with time_machine.travel(at(2026, 3, 2, 9), tick=False):  # Monday
        normal = file("street_order", compound)
        urgent = file("street_order", compound, priority=Priority.URGENT)
        high = file("street_order", compound, priority=Priority.HIGH)
    assert (normal.accept_due, normal.resolve_due) == (at(2026, 3, 2, 17, 30),
                                                       at(2026, 3, 9, 17, 30))
    assert (urgent.accept_due, urgent.resolve_due) == (at(2026, 3, 2, 10), at(2026, 3, 3, 17, 30))
    assert (high.accept_due, high.resolve_due) == (at(2026, 3, 2, 11), at(2026, 3, 4, 17, 30))
    assert Notification.objects.filter(case=urgent, message__startswith="【紧急】").exists()
    assert not Notification.objects.filter(case=normal, message__startswith="【紧急】").exists()
    # raising a case's priority shortens its deadlines and says so
    with time_machine.travel(at(2026, 3, 2, 9, 30), tick=False):
        workflow.do_set_priority(user("street1"), normal, Priority.URGENT, "涉及老人安全")
    normal.refresh_from_db()
    assert normal.priority == Priority.URGENT and normal.resolve_due == at(2026, 3, 3, 17, 30)
    assert normal.events.filter(action=A.PRIORITY).exists()
    with pytest.raises(workflow.PermissionDenied):
        workflow.do_set_priority(user("street2"), high, Priority.URGENT, "x")
    # a type's default priority applies when the filing names none
    t.priority = Priority.URGENT
    t.save()
    assert file("street_order", compound).priority == Priority.URGENT


@pytest.mark.django_db
def test_pause_resume_and_priority_through_the_detail_page(client_for, compound):
    case = file("street_order", compound)
    url = f"/cases/{case.pk}/"
    c = client_for("street1")
    html = c.get(url).content.decode()
    assert f'action="{url}pause/"' in html and f'action="{url}priority/"' in html
    assert f'action="{url}resume/"' not in html
    assert "请写明" not in html
    r = c.post(url + "pause/", {"reason": ""})
    assert r.status_code == 200 and "暂停计时必须写明" in r.content.decode()
    assert c.post(url + "pause/", {"reason": "等待居民在家时上门"}).status_code == 302
    html = c.get(url).content.decode()
    assert f'action="{url}resume/"' in html and f'action="{url}pause/"' not in html
    assert c.post(url + "resume/").status_code == 302
    r = c.post(url + "priority/", {"priority": "x", "reason": "y"})
    assert "请选择优先级" in r.content.decode()
    assert c.post(url + "priority/", {"priority": "1", "reason": "高空坠物风险"}).status_code == 302
    case.refresh_from_db()
    assert case.priority == Priority.URGENT and case.paused_at is None
    # another street's staff may not
    other = client_for("street2")
    assert other.post(url + "pause/", {"reason": "x"}).status_code in (403, 404)
    assert other.post(url + "priority/", {"priority": "3", "reason": "x"}).status_code in (403, 404)
    # the queue puts urgent cases first
    q = c.get("/cases/queue/").content.decode()
    assert case.number in q


@pytest.mark.django_db
def test_a_holiday_written_in_this_process_moves_the_next_deadline_at_once(
        compound, django_assert_num_queries):
    """The calendar is kept per process (every filing reads it), yet a day entered in the back
    office counts for the very next filing, and a day removed stops counting."""
    t = CaseType.objects.get(code="street_order")
    t.accept_work_hours, t.resolve_work_days, t.priority = 4, 3, Priority.NORMAL
    t.save()
    clocks.calendar()
    with django_assert_num_queries(0):  # kept: filing does not read the holidays every time
        clocks.calendar()
    with time_machine.travel(at(2026, 3, 2, 9), tick=False):  # a Monday
        before = file("street_order", compound)
        day = Holiday.objects.create(date=dt.date(2026, 3, 3), kind=Holiday.Kind.HOLIDAY,
                                     year=2026, name="区级停工日")
        after = file("street_order", compound)
        day.delete()
        again = file("street_order", compound)
    assert before.resolve_due == at(2026, 3, 5, 17, 30)  # the working days 3, 4 and 5 March
    assert after.resolve_due == at(2026, 3, 6, 17, 30)  # the 3rd is off now
    assert again.resolve_due == before.resolve_due
