"""SLA badges agree with each other and show the deadline they refer to: a case accepted late
but on time for resolving says 受理超时 with the acceptance time limit beside a clock counting
down to the resolution time limit, never a bare "已超时" beside an on-time clock."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from minsheng.cases.models import Case

pytestmark = pytest.mark.django_db


def badges(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", b) for b in
            re.findall(r'<span class="flag flag-[a-z_]+"[^>]*>(.*?</span>)', html)]


def test_a_case_accepted_late_but_on_time_says_which_deadline_it_missed(client_for):
    now = timezone.now()
    c = Case.objects.filter(status=Case.Status.ACCEPTED).order_by("pk").first()
    Case.objects.filter(pk=c.pk).update(
        created_at=now - dt.timedelta(hours=30), accept_due=now - dt.timedelta(hours=26),
        accepted_at=now - dt.timedelta(hours=20), resolve_due=now + dt.timedelta(hours=40),
        resolved_at=None, overdue=True)
    html = client_for("district").get(f"/cases/{c.pk}/").content.decode()
    head = html[html.index("<h1"):html.index("</h1>") + 400]
    got = badges(head)
    assert any(b.startswith("距办结时限") and "时限 " in b for b in got), got
    assert any(b.startswith("受理超时（时限") for b in got), got
    assert "已超时" not in "".join(got)


def test_the_case_list_shows_the_time_limit_of_every_clock(client_for):
    html = client_for("district").get("/cases/?status=assigned").content.decode()
    clocks = [b for b in badges(html) if b.startswith(("距", "受理已超时", "办结已超时"))]
    assert clocks
    assert all("（时限 " in b for b in clocks), clocks[:3]
