"""Cumulative spending never falls below the last approved report without a written correction
reason, and such a report is flagged for the reviewer (issue 12 §1: 640万 → 500万 was accepted
and approved)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client

from minsheng.projects import actions
from minsheng.projects.models import ProgressReport
from tests.projects.test_workflow import project  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 1, 10, tzinfo=dt.UTC)


def submit(user, p, **kw):
    args = {"as_of": dt.date(2026, 6, 30), "percent": D(40), "spent": D(300_000),
            "narrative": "按计划推进"} | kw
    return actions.do_submit_progress(user, p, **args)


@time_machine.travel(NOW, tick=False)
def test_spending_below_the_last_approved_report_needs_a_correction_reason(user, project):  # noqa: F811
    dept, office = user("dept1"), user("district")
    actions.do_review(office, submit(dept, project, spent=D(640_000), overspend_reason="追加"),
                      approve=True)
    with pytest.raises(ValidationError) as e:
        submit(dept, project, as_of=dt.date(2026, 7, 31), percent=D(50), spent=D(500_000))
    assert "correction_reason" in e.value.message_dict
    r = submit(dept, project, as_of=dt.date(2026, 7, 31), percent=D(50), spent=D(500_000),
               correction_reason="6月误将下月合同款计入，更正")
    assert r.correction_reason.startswith("6月误将")
    page = Client()
    page.force_login(office)
    html = page.get(f"/projects/{project.pk}/").content.decode()
    assert "累计支出更正（减少）" in html and "6月误将下月合同款计入" in html
    actions.do_review(office, r, approve=True)
    assert ProgressReport.objects.get(pk=r.pk).state == "approved"


@time_machine.travel(NOW, tick=False)
def test_approval_rechecks_against_a_report_approved_meanwhile(user, project):  # noqa: F811
    dept, office = user("dept1"), user("district")
    first = submit(dept, project, spent=D(400_000))
    second = submit(dept, project, as_of=dt.date(2026, 7, 31), percent=D(50), spent=D(640_000),
                    overspend_reason="追加")
    actions.do_review(office, second, approve=True)
    with pytest.raises(ValidationError):
        actions.do_review(office, first, approve=True)
