"""防返贫 monitoring's data elements, from assistance's records (monitoring_models), by the region
code each record carries. One GROUP BY per question; all values additive over regions.

Definitions (the same words are in catalogue.json):
- *monitored at the end of the period*: a case approved by the district (identified_on) before the
  period's end and not closed by then (closed_on empty or on/after the end). Counted by household
  (以户为单位); people are the household's registered members.
- by category, by risk type (a household with two risks counts under both), with at least one
  measure started before the end, with a 兜底 (低保/特困) measure started before the end;
- *risks removed*: cases whose removal review passed with its date (closed_on) in the period;
- *monitoring_identified*: cases approved by the district in the period — the households checked;
- *relapse_households* (返贫致贫户): of those, the ones whose per-capita annual net income at
  approval was below the poverty line (脱贫标准) in force that day (both stored on the case by
  monitoring.do_step; relapse.fell_into_poverty is the rule);
- *alerts*: received in the period; *due* those handled or past their time limit; *on time*
  those handled by their due time (the region's 预警处置时限).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Count, F, Q
from django.utils import timezone

from minsheng.assistance.monitoring_models import Alert, CaseRisk, Measure, MonitoringCase
from minsheng.cases import stats as case_stats
from minsheng.indicators.periods import Period
from minsheng.indicators.sources import Row, _between, _rows, source

RISK_ELEMENTS = {r: f"monitored_risk_{r}" for r in CaseRisk.Risk.values}
CATEGORY_ELEMENTS = {"unstable_exited": "monitored_unstable", "marginal": "monitored_marginal",
                     "sudden_hardship": "monitored_sudden"}
ELEMENTS = ("monitored_households", "monitored_people", *CATEGORY_ELEMENTS.values(),
            *RISK_ELEMENTS.values(), "monitored_with_measure", "monitored_safety_net",
            "risks_removed", "monitoring_identified", "relapse_households",
            "relapse_alerts_received", "relapse_alerts_due", "relapse_alerts_on_time")


def live_at_end(prefix: str, period: Period):
    end = period.end  # a date: the day after the period
    return (MonitoringCase.objects.filter(region__code__startswith=prefix,
                                          identified_on__lt=end)
            .filter(Q(closed_on__isnull=True) | Q(closed_on__gte=end)))


def _monitoring_started(prefix: str, period: Period) -> bool:
    """Missing is not zero: a district that has recorded no monitoring case or alert before the
    period's end has no monitoring figures ("—"), not zero households."""
    end = period.end
    return (MonitoringCase.objects.filter(region__code__startswith=prefix,
                                          identified_on__lt=end).exists()
            or Alert.objects.filter(region__code__startswith=prefix,
                                    received_at__lt=case_stats.aware(end)).exists())


@source("monitoring", ELEMENTS, covers=_monitoring_started)
def monitoring(prefix: str, period: Period) -> Iterable[Row]:
    end = period.end
    live = live_at_end(prefix, period)
    measured = Measure.objects.filter(start_date__lt=end)
    qs = live.order_by().values("region_id").annotate(
        n=Count("pk"),
        measure=Count("pk", filter=Q(pk__in=measured.values("case_id"))),
        net=Count("pk", filter=Q(pk__in=measured.filter(kind="safety_net").values("case_id"))),
        **{f"c_{k}": Count("pk", filter=Q(category=k)) for k in CATEGORY_ELEMENTS})
    yield from _rows(qs, "region_id", {
        "monitored_households": "n", "monitored_with_measure": "measure",
        "monitored_safety_net": "net",
        **{e: f"c_{k}" for k, e in CATEGORY_ELEMENTS.items()}})
    people = (live.order_by().values("region_id")
              .annotate(n=Count("household__members", distinct=True)))
    yield from _rows(people, "region_id", {"monitored_people": "n"})
    for region, risk, n in (CaseRisk.objects.filter(case__in=live).order_by()
                            .values_list("case__region_id", "risk").annotate(n=Count("pk"))):
        yield region, RISK_ELEMENTS[risk], Decimal(n)
    cases = MonitoringCase.objects.filter(region__code__startswith=prefix).order_by()
    removed = (cases.filter(state="removed", closed_on__gte=period.start, closed_on__lt=end)
               .values("region_id").annotate(n=Count("pk")))
    yield from _rows(removed, "region_id", {"risks_removed": "n"})
    identified = (cases.filter(identified_on__gte=period.start, identified_on__lt=end)
                  .values("region_id").annotate(
                      n=Count("pk"),
                      fell=Count("pk", filter=Q(per_capita_income__lt=F("poverty_line")))))
    yield from _rows(identified, "region_id", {"monitoring_identified": "n",
                                                "relapse_households": "fell"})
    now = timezone.now()
    alerts = (Alert.objects.filter(region__code__startswith=prefix)
              .filter(_between("received_at", period)).order_by().values("region_id")
              .annotate(n=Count("pk"),
                        due=Count("pk", filter=Q(state="handled") | Q(due_at__lt=now)),
                        on_time=Count("pk", filter=Q(state="handled",
                                                     handled_at__lte=F("due_at")))))
    yield from _rows(alerts, "region_id", {"relapse_alerts_received": "n",
                                           "relapse_alerts_due": "due",
                                           "relapse_alerts_on_time": "on_time"})
