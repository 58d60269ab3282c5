"""SLA monitoring, run every minute by the worker cluster's scheduler (django-q2 Schedule):
overdue cases escalate to the parent region's office and are flagged; resolved cases nobody rated
close after a week; 督办 orders unanswered past their deadline escalate once."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from minsheng.cases.models import Case, SupervisionOrder
from minsheng.cases.workflow import (
    CLOSE_AFTER_DAYS,
    system_close,
    system_escalate,
    system_escalate_supervision,
)

S = Case.Status


def overdue(now: dt.datetime):
    """Open cases past their running deadline; a paused clock (waiting for the resident) never
    runs out."""
    return Case.objects.filter(Q(status=S.ASSIGNED, accept_due__lt=now) |
                               Q(status=S.ACCEPTED, resolve_due__lt=now), paused_at__isnull=True)


def check(now: dt.datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    escalated = sum(1 for c in overdue(now).only("pk")[:1000] if system_escalate(c, now))
    stale = Case.objects.filter(status=S.RESOLVED,
                                resolved_at__lt=now - dt.timedelta(days=CLOSE_AFTER_DAYS))
    closed = sum(1 for c in stale.only("pk")[:1000] if system_close(c, now))
    late = SupervisionOrder.objects.filter(answered_at__isnull=True, escalated_at__isnull=True,
                                           due__lt=now)
    orders = sum(1 for o in late.only("pk")[:1000] if system_escalate_supervision(o, now))
    return {"escalated": escalated, "closed": closed, "supervision_escalated": orders}
