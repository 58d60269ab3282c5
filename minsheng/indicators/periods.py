"""Reporting periods, as DHIS2 names them but readable: "2025" (year), "2025Q3" (quarter),
"2025-07" (month). Pure Python: the dashboards, data entry, targets and the report all use these.

A period covers [start, end) in local dates. `fraction_of_year` prorates annual targets;
`previous` gives the period the trend compares with; `sub_periods` lists the months or quarters a
year or quarter is made of, so monthly manual data can be rolled up to a quarter or a year.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

YEAR, QUARTER, MONTH = "year", "quarter", "month"
KINDS = (YEAR, QUARTER, MONTH)
_RE = re.compile(r"^(?P<y>\d{4})(?:Q(?P<q>[1-4])|-(?P<m>0[1-9]|1[0-2]))?$")


class PeriodError(ValueError):
    pass


@dataclass(frozen=True, order=True)
class Period:
    year: int
    kind: str = YEAR
    number: int = 0  # quarter 1-4 or month 1-12; 0 for a year

    @property
    def id(self) -> str:
        if self.kind == QUARTER:
            return f"{self.year}Q{self.number}"
        if self.kind == MONTH:
            return f"{self.year}-{self.number:02d}"
        return str(self.year)

    def __str__(self) -> str:
        return self.id

    @property
    def start(self) -> dt.date:
        if self.kind == QUARTER:
            return dt.date(self.year, 3 * self.number - 2, 1)
        if self.kind == MONTH:
            return dt.date(self.year, self.number, 1)
        return dt.date(self.year, 1, 1)

    @property
    def end(self) -> dt.date:
        """The first day after the period."""
        if self.kind == QUARTER:
            return dt.date(self.year + (self.number == 4), (3 * self.number) % 12 + 1, 1)
        if self.kind == MONTH:
            return dt.date(self.year + (self.number == 12), self.number % 12 + 1, 1)
        return dt.date(self.year + 1, 1, 1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def fraction_of_year(self) -> float:
        return self.days / (dt.date(self.year + 1, 1, 1) - dt.date(self.year, 1, 1)).days

    @property
    def label(self) -> str:
        if self.kind == QUARTER:
            return f"{self.year}年第{self.number}季度"
        if self.kind == MONTH:
            return f"{self.year}年{self.number}月"
        return f"{self.year}年"

    @property
    def label_en(self) -> str:
        if self.kind == QUARTER:
            return f"{self.year} Q{self.number}"
        if self.kind == MONTH:
            return f"{dt.date(self.year, self.number, 1):%b %Y}"
        return str(self.year)

    def previous(self) -> Period:
        if self.kind == QUARTER:
            return Period(self.year - (self.number == 1), QUARTER, (self.number - 2) % 4 + 1)
        if self.kind == MONTH:
            return Period(self.year - (self.number == 1), MONTH, (self.number - 2) % 12 + 1)
        return Period(self.year - 1)

    def sub_periods(self, kind: str) -> list[Period]:
        """The periods of a finer kind that make up this one (itself when the kind is the same)."""
        if kind == self.kind:
            return [self]
        if kind == MONTH and self.kind in (YEAR, QUARTER):
            months = range(1, 13) if self.kind == YEAR else range(3 * self.number - 2,
                                                                 3 * self.number + 1)
            return [Period(self.year, MONTH, m) for m in months]
        if kind == QUARTER and self.kind == YEAR:
            return [Period(self.year, QUARTER, q) for q in range(1, 5)]
        raise PeriodError(f"{self.id} 不能由{kind}期组成")

    def contains(self, day: dt.date) -> bool:
        return self.start <= day < self.end

    def is_finer_or_equal(self, kind: str) -> bool:
        return KINDS.index(self.kind) >= KINDS.index(kind)


def parse(text: str | int) -> Period:
    m = _RE.match(str(text).strip())
    if not m:
        raise PeriodError(f"无法识别的期间“{text}”：应为 2025、2025Q3 或 2025-07")
    year = int(m["y"])
    if not 1990 <= year <= 2100:
        raise PeriodError(f"年份 {year} 超出范围（1990–2100）")
    if m["q"]:
        return Period(year, QUARTER, int(m["q"]))
    if m["m"]:
        return Period(year, MONTH, int(m["m"]))
    return Period(year)


def current(kind: str, today: dt.date) -> Period:
    if kind == QUARTER:
        return Period(today.year, QUARTER, (today.month - 1) // 3 + 1)
    if kind == MONTH:
        return Period(today.year, MONTH, today.month)
    return Period(today.year)
