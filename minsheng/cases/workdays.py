"""Working-time arithmetic for SLA clocks (pure: no Django, no database).

A Calendar knows which dates are holidays (法定节假日), which weekend dates are make-up working days
(调休上班), and the working periods of a day (e.g. 09:00–12:00 and 13:30–17:30, Asia/Shanghai).

- add_hours(start, n): the moment n working hours after start (time outside working periods does
  not count; a start outside them begins at the next period).
- add_days(start, m): the end of the m-th working day after start's date ("within m working days
  from filing": the filing day itself does not count).
- working_seconds(a, b): working time between two moments (a pause moves deadlines by this).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

Period = tuple[dt.time, dt.time]
DEFAULT_PERIODS: tuple[Period, ...] = ((dt.time(9), dt.time(12)), (dt.time(13, 30), dt.time(17, 30)))
MAX_DAYS = 3660  # a clock never looks further than ten years ahead (guards a calendar of holidays)


def parse_periods(text: str) -> tuple[Period, ...]:
    """'09:00-12:00,13:30-17:30' → ((09:00, 12:00), (13:30, 17:30)); sorted, non-overlapping."""
    out = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        a, _, b = part.partition("-")
        start, end = dt.time.fromisoformat(a.strip()), dt.time.fromisoformat(b.strip())
        if end <= start:
            raise ValueError(f"working period {part!r} ends before it starts")
        out.append((start, end))
    out.sort()
    for (_, e1), (s2, _) in zip(out, out[1:], strict=False):
        if s2 < e1:
            raise ValueError(f"working periods overlap: {text!r}")
    if not out:
        raise ValueError("no working period")
    return tuple(out)


@dataclass(frozen=True)
class Calendar:
    holidays: frozenset[dt.date] = frozenset()
    workdays: frozenset[dt.date] = frozenset()  # 调休: weekend dates that are working days
    periods: tuple[Period, ...] = DEFAULT_PERIODS
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))

    @classmethod
    def of(cls, holidays: Iterable[dt.date] = (), workdays: Iterable[dt.date] = (),
           periods: tuple[Period, ...] = DEFAULT_PERIODS, tz: str = "Asia/Shanghai") -> Calendar:
        return cls(frozenset(holidays), frozenset(workdays), periods, ZoneInfo(tz))

    def is_working_day(self, d: dt.date) -> bool:
        if d in self.holidays:
            return False
        if d in self.workdays:
            return True
        return d.weekday() < 5

    def day_seconds(self) -> int:
        return sum(_secs(e) - _secs(s) for s, e in self.periods)

    def _spans(self, d: dt.date):
        """The working periods of date d as aware datetimes (none on a day off)."""
        if not self.is_working_day(d):
            return
        for s, e in self.periods:
            yield (dt.datetime.combine(d, s, self.tz), dt.datetime.combine(d, e, self.tz))

    def add_hours(self, start: dt.datetime, hours: float) -> dt.datetime:
        left = dt.timedelta(hours=hours)
        local = start.astimezone(self.tz)
        d = local.date()
        for _ in range(MAX_DAYS):
            for s, e in self._spans(d):
                if e <= local:
                    continue
                s = max(s, local)
                if s + left <= e:
                    return (s + left).astimezone(start.tzinfo)
                left -= e - s
            d += dt.timedelta(days=1)
        raise ValueError("no working time within ten years")

    def add_days(self, start: dt.datetime, days: int) -> dt.datetime:
        d = start.astimezone(self.tz).date()
        n = 0
        for _ in range(MAX_DAYS):
            d += dt.timedelta(days=1)
            if self.is_working_day(d):
                n += 1
                if n >= days:
                    end = dt.datetime.combine(d, self.periods[-1][1], self.tz)
                    return end.astimezone(start.tzinfo)
        raise ValueError("no working day within ten years")

    def working_seconds(self, a: dt.datetime, b: dt.datetime) -> float:
        if b <= a:
            return 0.0
        total = 0.0
        d, last = a.astimezone(self.tz).date(), b.astimezone(self.tz).date()
        while d <= last:
            for s, e in self._spans(d):
                lo, hi = max(s, a), min(e, b)
                if hi > lo:
                    total += (hi - lo).total_seconds()
            d += dt.timedelta(days=1)
        return total


def _secs(t: dt.time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second
