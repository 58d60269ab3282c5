"""Computed data elements of social assistance (assistance/), registered with sources.source:
households and people per programme, money paid, entitlements paid by the programme's due day,
and periodic reviews done. One GROUP BY region per figure, over the records; held equal to an
independent recount by tests/assistance/test_indicators.py.

- Programme counts are stock "as of" the period's last day, read from the dated history
  (EnrolmentEvent, by assistance.enrolment.in_force_on, the rule's one owner, which the
  payment cycles also read): an enrolment counts when its latest event effective on or before that day
  is `enrolled` (a decision, a resumption or a change of the benefit), never from its current
  state, so last year's figures stay last year's after this year's pauses and exits; 低保
  people are the members that event covered.
- 临时救助 is a flow: enrolments decided (enrolled) in the period.
- Money paid: payments with status paid, by the day they were paid in (paid_on in the period),
  and the 临时救助 paid first (先行救助) from a street's 备用金, on the day it was granted.
- On time: approved entitlements of the cycles whose month lies in the period; on time when the
  payee has a paid payment in that cycle with paid_on no later than the due day of the cycle's
  month (Procedure.payment_due_day of the region in force then).
- Reviews: review tasks due in the period, and of those the ones done.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import Coalesce

from minsheng.assistance.enrolment import in_force_on as enrolled_on
from minsheng.assistance.enrolment import procedure_for
from minsheng.assistance.models import (
    Cycle,
    Enrolment,
    Entitlement,
    Payment,
    Review,
)
from minsheng.indicators.periods import Period
from minsheng.indicators.sources import Row, _rows, source

__all__ = ["assistance_flows", "assistance_stock", "due_date", "enrolled_on"]

STOCK = ("dibao_households", "dibao_recipients", "edge_households", "tekun_people",
         "orphan_people")
FLOWS = ("temporary_aid_households", "assistance_paid_amount", "assistance_entitlements_due",
         "assistance_entitlements_on_time", "assistance_reviews_due", "assistance_reviews_done")


def due_date(cycle: Cycle) -> dt.date:
    day = procedure_for(cycle.region_id, cycle.month).payment_due_day
    last = calendar.monthrange(cycle.month.year, cycle.month.month)[1]
    return cycle.month.replace(day=min(max(day, 1), last))


def _assistance_started(prefix: str, period: Period) -> bool:
    """Missing is not zero: a district with no application recorded before the period's end has
    no assistance figures ("—"), not zero households."""
    return Enrolment.objects.filter(region__code__startswith=prefix,
                                    applied_on__lt=period.end).exists()


@source("assistance_stock", STOCK, stock=True, covers=_assistance_started)
def assistance_stock(prefix: str, period: Period) -> Iterable[Row]:
    qs = (enrolled_on(period.end - dt.timedelta(days=1), prefix)
          .order_by().values("region_id").annotate(
              dibao=Count("pk", filter=Q(programme="dibao")),
              dibao_people=Coalesce(Sum("covered", filter=Q(programme="dibao")), 0),
              edge=Count("pk", filter=Q(programme="edge")),
              tekun=Count("pk", filter=Q(programme="tekun")),
              orphan=Count("pk", filter=Q(programme="orphan"))))
    yield from _rows(qs, "region_id", {"dibao_households": "dibao",
                                       "dibao_recipients": "dibao_people",
                                       "edge_households": "edge", "tekun_people": "tekun",
                                       "orphan_people": "orphan"})


@source("assistance_flows", FLOWS, covers=_assistance_started)
def assistance_flows(prefix: str, period: Period) -> Iterable[Row]:
    temporary = (Enrolment.objects.filter(
        region__code__startswith=prefix, programme="temporary",
        state__in=(Enrolment.State.ENROLLED, Enrolment.State.EXITED),
        decided_on__gte=period.start, decided_on__lt=period.end)
        .order_by().values("region_id").annotate(n=Count("pk")))
    yield from _rows(temporary, "region_id", {"temporary_aid_households": "n"})
    paid = (Payment.objects.filter(region__code__startswith=prefix, status=Payment.Status.PAID,
                                   paid_on__gte=period.start, paid_on__lt=period.end)
            .order_by().values("region_id").annotate(amount=Sum("amount")))
    yield from _rows(paid, "region_id", {"assistance_paid_amount": "amount"})
    # 先行救助: paid from the street's 备用金 on the day it was granted (never by a cycle)
    first = (Enrolment.objects.filter(region__code__startswith=prefix, paid_first=True,
                                      decided_on__gte=period.start, decided_on__lt=period.end)
             .order_by().values("region_id").annotate(amount=Sum("award_amount")))
    yield from _rows(first, "region_id", {"assistance_paid_amount": "amount"})
    for cycle in Cycle.objects.filter(region__code__startswith=prefix[:6],
                                      month__gte=period.start, month__lt=period.end):
        on_time = Payment.objects.filter(cycle=cycle, person_id=OuterRef("payee_id"),
                                         status=Payment.Status.PAID, paid_on__lte=due_date(cycle))
        qs = (Entitlement.objects.filter(cycle=cycle, state=Entitlement.State.APPROVED,
                                         region__code__startswith=prefix)
              .annotate(ok=Exists(on_time)).order_by().values("region_id").annotate(
                  due=Count("pk"), on_time=Count("pk", filter=Q(ok=True))))
        yield from _rows(qs, "region_id", {"assistance_entitlements_due": "due",
                                           "assistance_entitlements_on_time": "on_time"})
    reviews = (Review.objects.filter(enrolment__region__code__startswith=prefix,
                                     due_on__gte=period.start, due_on__lt=period.end)
               .order_by().values("enrolment__region_id").annotate(
                   due=Count("pk"), done=Count("pk", filter=Q(done_on__isnull=False))))
    yield from _rows(reviews, "enrolment__region_id", {"assistance_reviews_due": "due",
                                                       "assistance_reviews_done": "done"})


