"""连续零发案 as indicators (issue 14): the compounds with at least 12 months without incident at
a period's end, the compounds the returns list, and the longest run — per region, the longest
rolled up as a maximum (never a sum); a period without an approved return of its own has no value
("—", not the figure of an earlier period); drafts never count; and the annual report's governance
part says it."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from minsheng.cases.models import IncidentCount, IncidentReturn
from minsheng.indicators import services
from minsheng.places.models import Compound, Region
from minsheng.reports import export
from minsheng.reports.services import annual_report

pytestmark = pytest.mark.django_db

D = "131002000000"
INDICATORS = ("zero_incident_compounds", "zero_incident_share", "zero_incident_longest_run")


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    out, m = [], first
    while m <= last:
        out.append(m)
        m = (m + dt.timedelta(days=32)).replace(day=1)
    return out


@pytest.fixture
def returns():
    """Approved returns of 2022–2023 for three compounds: A never had an incident (24 months at
    the end of 2023), B had one in June 2023 (6), C none but the December return leaves it out
    (0 at the year's end, 23 at November's). A and B share a street; C is in another. A draft of
    January 2024 lists A with an incident: it never counts."""
    IncidentReturn.objects.filter(district_id=D).delete()  # the demo's, rolled back after
    streets = list(Region.objects.filter(parent_id=D).order_by("code")[:2])
    one = list(Compound.objects.filter(region__code__startswith=streets[0].code[:9])
               .order_by("pk")[:2])
    other = Compound.objects.filter(region__code__startswith=streets[1].code[:9]).order_by(
        "pk").first()
    a, b, c = one[0], one[1], other
    now = timezone.now()
    for m in _months(dt.date(2022, 1, 1), dt.date(2023, 12, 1)):
        r = IncidentReturn.objects.create(district_id=D, month=m, status="approved",
                                          imported_at=now, approved_at=now)
        rows = [IncidentCount(incident_return=r, compound=a),
                IncidentCount(incident_return=r, compound=b,
                              public_order=int(m == dt.date(2023, 6, 1)))]
        if m != dt.date(2023, 12, 1):
            rows.append(IncidentCount(incident_return=r, compound=c))
        IncidentCount.objects.bulk_create(rows)
    draft = IncidentReturn.objects.create(district_id=D, month=dt.date(2024, 1, 1),
                                          imported_at=now)
    IncidentCount.objects.create(incident_return=draft, compound=a, criminal=1)
    return {"a": a, "b": b, "c": c, "street": streets[0].code, "other": streets[1].code}


def _values(period: str, regions: list[str]) -> dict[str, dict[str, Decimal | None]]:
    services.compute(D, period)
    got = services.evaluate(regions, period, with_previous=False)
    return {r: {code: got[r][code].value for code in INDICATORS} for r in regions}


def test_the_year_s_figures_are_the_runs_at_its_last_approved_month(returns):
    v = _values("2023", [D, returns["street"], returns["other"]])
    assert v[D] == {"zero_incident_compounds": 1,  # A only (24 months); B 6, C left out in Dec
                    "zero_incident_share": Decimal("50.0"),  # of the 2 December lists
                    "zero_incident_longest_run": 24}
    assert v[returns["street"]]["zero_incident_longest_run"] == 24  # A's, not A's + B's (30)
    assert v[returns["street"]]["zero_incident_compounds"] == 1
    assert v[returns["other"]]["zero_incident_longest_run"] == 0
    assert v[returns["other"]]["zero_incident_share"] is None  # no compound of it listed


def test_a_month_s_figures_end_at_that_month(returns):
    v = _values("2023-11", [D, returns["other"]])[D]
    assert v["zero_incident_compounds"] == 2  # A and C, 23 months each; B 5
    assert v["zero_incident_longest_run"] == 23


def test_a_period_without_an_approved_return_of_its_own_has_no_value(returns):
    for period in ("2021", "2024", "2024-01"):  # before any; only a draft; never the 2023 figure
        v = _values(period, [D, returns["street"]])
        assert all(x is None for r in v.values() for x in r.values()), (period, v)
    got = services.evaluate([D], "2024", with_previous=False)[D]
    assert got["zero_incident_compounds"].text == "—"


def test_the_annual_report_s_governance_part_reads_the_figures(returns):
    report = annual_report(Region.objects.get(code=D), 2023)
    text = re.sub(r"<[^>]+>", " ", export.html(report, embed_fonts=False))
    assert "连续12个月及以上零发案的小区1个" in text
    assert "占月报覆盖小区的50.0%" in text and "最长的已连续24个月零发案" in text
    governance = next(s for s in report.sections if s.key == "governance")
    assert "零发案" in governance.generated
    # a year without approved returns says so instead of printing 0
    text = re.sub(r"<[^>]+>", " ", export.html(annual_report(Region.objects.get(code=D), 2021),
                                                embed_fonts=False))
    assert "连续零发案情况（暂无数据）" in text
