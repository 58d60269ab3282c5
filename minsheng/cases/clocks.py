"""The SLA clocks of a case on the district's working calendar (the one owner of deadlines).

workdays.py does the arithmetic; this module feeds it the calendar (cases.Holiday + the working
periods in settings.CASE_WORKING_HOURS) and the clocks of a case: its type's (accept within N working
hours, resolve within M working days), shortened by its priority's (settings.CASE_CLOCKS).

Every filing needs the calendar, so it is read once per process and kept for CALENDAR_TTL_S: an
edit in this process (back office, import, migration) forgets it at once (signals below); another
app server of a cluster sees the edit within the minute, as it sees redrawn outlines (places.locate).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from minsheng.cases.models import CaseType, Holiday, Priority
from minsheng.cases.workdays import Calendar, parse_periods
from minsheng.lib.kept import Kept

__all__ = ["calendar", "clocks_of", "deadlines", "extend_by_pause", "invalidate"]

CALENDAR_TTL_S = 60.0
_CALENDARS = Kept("calendar", CALENDAR_TTL_S)
_CALENDARS.forget_on_write(Holiday)


def _read_calendar() -> Calendar:
    rows = list(Holiday.objects.values_list("date", "kind"))
    return Calendar.of(holidays=[d for d, k in rows if k == Holiday.Kind.HOLIDAY],
                       workdays=[d for d, k in rows if k == Holiday.Kind.WORKDAY],
                       periods=parse_periods(settings.CASE_WORKING_HOURS), tz=settings.TIME_ZONE)


def calendar() -> Calendar:
    return _CALENDARS.get((str(settings.CASE_WORKING_HOURS), settings.TIME_ZONE), _read_calendar)


def invalidate(**_signal_kwargs) -> None:
    """Forget the calendar read in this process (a holiday or 调休 day was written)."""
    _CALENDARS.clear()


def clocks_of(case_type: CaseType, priority: int | None = None) -> tuple[int, int]:
    """(working hours to accept, working days to resolve) for a case type at a priority."""
    hours, days = case_type.accept_work_hours, case_type.resolve_work_days
    name = {Priority.URGENT: "urgent", Priority.HIGH: "high"}.get(
        priority if priority is not None else case_type.priority)
    if name and name in settings.CASE_CLOCKS:
        h, d = settings.CASE_CLOCKS[name]
        hours, days = min(hours, h), min(days, d)
    return max(hours, 1), max(days, 1)


def deadlines(case_type: CaseType, start: dt.datetime, priority: int | None = None,
              cal: Calendar | None = None) -> tuple[dt.datetime, dt.datetime]:
    """(accept_due, resolve_due) of a case filed at start."""
    cal = cal or calendar()
    hours, days = clocks_of(case_type, priority)
    return cal.add_hours(start, hours), cal.add_days(start, days)


def extend_by_pause(due: dt.datetime, paused_at: dt.datetime, resumed_at: dt.datetime,
                    cal: Calendar | None = None) -> dt.datetime:
    """A deadline moved by the working time a pause lasted."""
    cal = cal or calendar()
    seconds = cal.working_seconds(paused_at, resumed_at)
    return cal.add_hours(due, seconds / 3600) if seconds else due
