"""The recurring background jobs, defined in one place and registered with django-q2 by both
`minsheng demo` and `minsheng serve`. A new module adds its job to SCHEDULES, nowhere else."""

from __future__ import annotations

from django_q.models import Schedule

__all__ = ["SCHEDULES", "ensure_schedules"]

# name → (dotted function the worker calls, every N minutes)
SCHEDULES: dict[str, tuple[str, int]] = {
    "cases-sla": ("minsheng.cases.sla.check", 1),  # escalate overdue cases
    "indicators": ("minsheng.indicators.jobs.refresh", 10),  # this year, quarter and month
}


def ensure_schedules() -> None:
    """Create or update every schedule the worker cluster runs (idempotent)."""
    for name, (func, minutes) in SCHEDULES.items():
        Schedule.objects.update_or_create(
            name=name, defaults={"func": func, "schedule_type": Schedule.MINUTES,
                                 "minutes": minutes, "repeats": -1})
