"""The recurring background jobs, defined in one place and registered with django-q2 by both
`minsheng demo` and `minsheng serve`. A new module adds its job to SCHEDULES, nowhere else."""

from __future__ import annotations

import logging

from django.utils.module_loading import import_string
from django_q.models import Schedule

from minsheng.lib.locks import once_per_tick

__all__ = ["SCHEDULES", "ensure_schedules", "run"]

log = logging.getLogger(__name__)

# name → (dotted function the worker calls, every N minutes)
SCHEDULES: dict[str, tuple[str, int]] = {
    "cases-sla": ("minsheng.cases.sla.check", 1),  # escalate overdue cases
    # devices silent past their kind's setting: an outage and a notice to the operator, once
    "devices-offline": ("minsheng.cases.devices.check_offline", 1),
    "indicators": ("minsheng.indicators.jobs.refresh", 10),  # this year, quarter and month
    # governance changes scheduled for a day (a takeover's start) reach the compounds that day
    "governance-due": ("minsheng.governance.registry.apply_due", 5),
    # 防返贫: 零就业家庭 found in the employment registers raise an alert, once a day
    "monitoring-zero-employment": (
        "minsheng.assistance.monitoring.raise_zero_employment_alerts", 24 * 60),
}
# How long a run may hold its lock before another worker may assume it died (django-q2 kills a
# task after Q_CLUSTER["timeout"], 30 minutes).
LOCK_SECONDS = 1800


def run(name: str):
    """What the schedules call: the job `name`, once per tick across every worker of every
    server (lib.locks); a tick already run, or a run still going, is skipped."""
    func, minutes = SCHEDULES[name]
    with once_per_tick(name, every=minutes * 60, ttl=LOCK_SECONDS) as mine:
        if not mine:
            log.info("job %s: already run this tick or still running elsewhere; skipped", name)
            return None
        return import_string(func)()


def ensure_schedules() -> None:
    """Create or update every schedule the worker cluster runs (idempotent)."""
    for name, (_func, minutes) in SCHEDULES.items():
        Schedule.objects.update_or_create(
            name=name, defaults={"func": "minsheng.web.jobs.run", "args": repr(name),
                                 "schedule_type": Schedule.MINUTES, "minutes": minutes,
                                 "repeats": -1})
