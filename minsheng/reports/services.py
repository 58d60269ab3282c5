"""Building the annual report and changing its narratives (do_*). The command, the pages and
the tests all call `annual_report`; only the do_* functions write ReportDraft."""

from __future__ import annotations

import re

from django.utils import timezone

from minsheng.places.models import Region
from minsheng.reports import document, figures
from minsheng.reports.models import ReportDraft

REPORT_LEVELS = (Region.Level.DISTRICT, Region.Level.STREET, Region.Level.COMMUNITY)


class ReportInputError(ValueError):
    """A region, year or format the report cannot be made for (Chinese message)."""


def parse_region(code: str | None) -> Region:
    code = (code or "").strip()
    if not re.fullmatch(r"\d{6}|\d{9}|\d{12}", code):
        raise ReportInputError(f"区划代码“{code}”不对：应为12位统计用区划代码，如 131002000000")
    code = code.ljust(12, "0")
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise ReportInputError(f"找不到区划 {code}：请检查代码，或先导入该区县的区划"
                               f"（minsheng regions load --district {code[:6]}）")
    if region.level not in REPORT_LEVELS:
        raise ReportInputError(f"{region.name}（{code}）是{region.get_level_display()}级区划；"
                               "年度报告按区县、街道（乡镇）或社区（村）生成")
    return region


def year_range() -> tuple[int, int]:
    return figures.FIRST_YEAR, timezone.localdate().year


def parse_year(text: str | int | None) -> int:
    first, last = year_range()
    raw = str(text if text is not None else "").strip().removesuffix("年")
    if not re.fullmatch(r"\d{4}", raw):
        raise ReportInputError(f"年份“{text}”不对：应为四位数字，如 {last - 1}")
    year = int(raw)
    if not first <= year <= last:
        raise ReportInputError(f"年份 {year} 超出范围：应在 {first} 年至 {last} 年之间")
    return year


def narratives_of(region: Region, year: int) -> dict[str, str]:
    draft = ReportDraft.objects.filter(region=region, year=year).first()
    return dict(draft.narratives) if draft else {}


def annual_report(region: Region, year: int, *, fresh: bool = True) -> document.Report:
    """The region's annual report with its edited narratives. `fresh` recomputes the computed
    indicators of the year first (the command and downloads); the page preview accepts values
    up to ten minutes old."""
    data = figures.collect(region, year, fresh=fresh)
    return document.build(data, narratives_of(region, year))
