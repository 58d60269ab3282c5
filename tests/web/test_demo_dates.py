"""The demo is built relative to today, so it must keep its promises whatever today is: rebuild its
date-dependent parts (projects, cases, indicators) under six frozen clocks and check, on each, that
the project list shows every flag, that the office has progress reports to approve that the lead
department submitted (and can approve one on the page), that some cases are open and some overdue,
and that last year's indicators have values (the annual report's year)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from minsheng.accounts.models import Membership
from minsheng.accounts.roles import Role
from minsheng.cases import demo as cases_demo
from minsheng.cases.models import Case
from minsheng.indicators import demo as indicators_demo
from minsheng.indicators.models import Completion, Computation, DataValue, Target
from minsheng.indicators.services import evaluate
from minsheng.projects import demo as projects_demo
from minsheng.projects.models import ExpenditureLine, Plan, ProgressReport, Project
from minsheng.projects.services import status_of

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
DISTRICT = "131002000000"
FLAGS = {"on_track", "lagging", "at_risk", "overdue", "completed"}
TWO_YEARS_AHEAD = dt.datetime.combine(dt.datetime.now(TZ).date() + dt.timedelta(days=731), dt.time(10),
                                      tzinfo=TZ)
DATES = [
    dt.datetime(2027, 1, 1, 0, 30, tzinfo=TZ),
    dt.datetime(2028, 2, 29, 12, 0, tzinfo=TZ),
    dt.datetime(2026, 6, 30, 9, 0, tzinfo=TZ),
    dt.datetime(2026, 12, 3, 15, 0, tzinfo=TZ),
    dt.datetime(2026, 12, 31, 23, 59, tzinfo=TZ),
    TWO_YEARS_AHEAD,
]


def quiet(*_args, **_kw) -> None:
    return None


def rebuild() -> None:
    """Drop the date-dependent demo data and build it again at the (frozen) current time."""
    Case.objects.filter(generated=True).delete()
    ProgressReport.objects.all().delete()
    Plan.objects.all().delete()
    ExpenditureLine.objects.all().delete()
    for model in (DataValue, Completion, Computation, Target):
        model.objects.all().delete()
    projects_demo.generate("131002", progress_cb=quiet)
    cases_demo.generate("131002", n=200, progress=quiet)
    indicators_demo.generate("131002", progress=quiet)


@pytest.mark.parametrize("moment", DATES, ids=lambda d: d.strftime("%Y-%m-%d_%H%M"))
def test_the_demo_keeps_its_promises_on_any_date(moment, client_for):
    with time_machine.travel(moment, tick=False):
        rebuild()
        today = timezone.localdate()
        assert today == moment.date()

        flags = {status_of(p).flag for p in Project.objects.filter(plan__region_id=DISTRICT)}
        assert flags >= FLAGS, f"missing flags on {today}: {FLAGS - flags}"

        pending = list(ProgressReport.objects.filter(state=ProgressReport.State.SUBMITTED)
                       .select_related("project", "submitted_by"))
        assert pending, f"no progress report awaits review on {today}"
        for r in pending:
            assert r.as_of <= today
            assert Membership.objects.filter(
                user=r.submitted_by, role=Role.DEPARTMENT_STAFF,
                organisation=r.project.lead_department).exists(), \
                f"{r.project} was submitted by {r.submitted_by}, not its lead department"
        assert not ProgressReport.objects.filter(as_of__gt=today).exists()

        first = pending[0]
        c = client_for("district")
        assert 'name="decision"' in c.get(f"/projects/{first.project_id}/").content.decode()
        c.post(f"/projects/reports/{first.pk}/review/", {"decision": "approve"})
        first.refresh_from_db()
        assert first.state == ProgressReport.State.APPROVED
        assert first.reviewed_by.username == "district"

        open_cases = Case.objects.filter(region__code__startswith="131002",
                                         status__in=[Case.Status.ASSIGNED, Case.Status.ACCEPTED])
        assert open_cases.exists()
        assert open_cases.filter(overdue=True).exists()
        assert not Case.objects.filter(created_at__gt=timezone.now()).exists()

        last_year = str(today.year - 1)
        values = {code: v.value for code, v in evaluate([DISTRICT], last_year)[DISTRICT].items()}
        assert values["cases_received"] > 0
        assert values["air_good_days"] == 300
        assert values["livelihood_share"] is not None


def test_every_demo_case_number_carries_its_local_submission_date():
    """The number says the day the case was filed (as workflow.do_file numbers a real one), also
    for the cases the demo moves to come due or run overdue."""
    wrong = [(c.number, timezone.localtime(c.created_at).date())
             for c in Case.objects.filter(generated=True).only("number", "created_at")
             if c.number.split("-")[1] != f"{timezone.localtime(c.created_at):%Y%m%d}"]
    assert not wrong, wrong[:5]
