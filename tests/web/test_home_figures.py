"""One definition per figure (issue 12 §1): the home page prints the figures the indicators give
(the dashboard's and the report's), never its own counts. The party-secretary share read 31.8 %
on the home page (of all compounds) and 58.1 % on the dashboard (of compounds with a committee)."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from minsheng.indicators import services
from minsheng.indicators.periods import Period

pytestmark = pytest.mark.django_db

D = "131002000000"
CODES = ("compounds_total", "management_coverage", "committee_coverage",
         "party_secretary_head_share", "signed_service_points")


def tiles(html: str) -> list[str]:
    return re.findall(r"<b>([^<]*)</b>", html)


@pytest.mark.parametrize("username, code", [("district", D), ("street1", "131002001000")])
def test_the_home_page_shows_the_indicator_values(client_for, username, code):
    html = client_for(username).get("/").content.decode()
    period = Period(timezone.localdate().year)
    services.ensure_fresh(D, period)
    values = services.evaluate([code], period, with_previous=False)[code]
    shown = tiles(html)
    for c in ("management_coverage", "committee_coverage", "party_secretary_head_share"):
        assert values[c].text in shown, (c, values[c].text, shown)
    assert f"{int(values['compounds_total'].value):,}" in shown
    assert f"{int(values['signed_service_points'].value):,}" in shown
