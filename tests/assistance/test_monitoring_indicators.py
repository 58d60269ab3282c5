"""防返贫 indicators recomputed independently from the records (Python over rows, not the SQL
source), and the annual report's sentence saying what was checked."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
from django.utils import timezone

from minsheng.assistance.monitoring_models import Alert, MonitoringCase
from minsheng.indicators import services
from minsheng.indicators.periods import Period
from minsheng.places.models import Region
from minsheng.reports import services as reports
from minsheng.reports.document import Paragraph

pytestmark = pytest.mark.django_db
DISTRICT = "131002000000"


def expected(period: Period) -> Counter:
    out: Counter = Counter()
    end, start = period.end, period.start
    for c in MonitoringCase.objects.filter(region__code__startswith="131002").prefetch_related(
            "measures", "risks", "household__members"):
        live = c.identified_on is not None and c.identified_on < end and (
            c.closed_on is None or c.closed_on >= end)
        if live:
            out["monitored_households"] += 1
            out["monitored_people"] += len(c.household.members.all())
            out[{"unstable_exited": "monitored_unstable", "marginal": "monitored_marginal",
                 "sudden_hardship": "monitored_sudden"}[c.category]] += 1
            for r in c.risks.all():
                out[f"monitored_risk_{r.risk}"] += 1
            started = [m for m in c.measures.all() if m.start_date < end]
            out["monitored_with_measure"] += bool(started)
            out["monitored_safety_net"] += any(m.kind == "safety_net" for m in started)
        if c.state == "removed" and start <= c.closed_on < end:
            out["risks_removed"] += 1
        if c.identified_on is not None and start <= c.identified_on < end:
            out["monitoring_identified"] += 1
            out["relapse_households"] += (c.poverty_line is not None
                                          and c.per_capita_income < c.poverty_line)
    return out


def test_elements_equal_a_recount_of_the_records():
    year = MonitoringCase.objects.filter(category="unstable_exited", poverty_line__isnull=False,
                                         per_capita_income__lt=Decimal(4000)).first()
    period = Period(year.identified_on.year)
    services.compute("131002", period)
    got = services.element_values([DISTRICT], period)[DISTRICT]
    want = expected(period)
    assert want["relapse_households"] >= 1 and want["monitored_households"] > 0
    for code, n in want.items():
        assert got.get(code, Decimal(0)) == n, code
    for code in ("monitored_households", "relapse_households", "risks_removed"):
        assert got.get(code, Decimal(0)) == want[code]


def test_alert_elements_equal_a_recount():
    period = Period(timezone.localdate().year)
    services.compute("131002", period)
    got = services.element_values([DISTRICT], period)[DISTRICT]
    now = timezone.now()
    rows = [a for a in Alert.objects.filter(region__code__startswith="131002")
            if period.start <= timezone.localtime(a.received_at).date() < period.end]
    assert got.get("relapse_alerts_received", 0) == len(rows)
    assert got.get("relapse_alerts_due", 0) == sum(a.state == "handled" or a.due_at < now
                                                   for a in rows)
    assert got.get("relapse_alerts_on_time", 0) == sum(
        a.state == "handled" and a.handled_at <= a.due_at for a in rows)


def test_the_report_says_what_was_checked():
    case = MonitoringCase.objects.filter(category="unstable_exited", poverty_line__isnull=False,
                                         per_capita_income__lt=Decimal(4000)).first()
    year = case.identified_on.year
    services.compute("131002", Period(year))
    want = expected(Period(year))
    report = reports.annual_report(Region.objects.get(code=DISTRICT), year)
    text = next(b.text for b in report.blocks if isinstance(b, Paragraph)
                and b.text.startswith("防返贫动态监测"))
    assert f"新纳入监测{want['monitoring_identified']}户" in text
    assert "逐户核对认定时家庭年人均纯收入与当日脱贫标准" in text
    assert f"返贫致贫{want['relapse_households']}户" in text
