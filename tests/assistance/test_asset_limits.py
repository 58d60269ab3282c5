"""Asset checks in eligibility: the assessment's property against the region's dated asset limits
(Standard kinds asset_*), the rule written beside the income rule; a limit not configured is
not checked; the worker's own finding still counts. Households worked by hand, one per boundary."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth import get_user_model

from minsheng.assistance import actions
from minsheng.assistance import eligibility as el
from minsheng.assistance.models import Household, Person, Standard
from minsheng.assistance.services import eligibility_of
from tests.hostile import FORMULAS, NUMBERS, XSS

pytestmark = pytest.mark.django_db
D = Decimal
DISTRICT = "131002000000"
DAY = dt.date(2026, 6, 1)


def worker():
    return get_user_model().objects.get(username="community1")


def limit(programme, amount, valid_from=dt.date(2026, 1, 1), source="区民政局财产认定办法"):
    Standard.objects.create(region_id=DISTRICT, programme=programme, area="both",
                            valid_from=valid_from, amount=D(amount), source=source)


@pytest.fixture
def standards(db):
    Standard.objects.create(region_id=DISTRICT, programme="dibao", area="urban",
                            valid_from=dt.date(2025, 1, 1), amount=D("800"), source="低保标准文件")
    limit("asset_savings", "20000")  # per member
    limit("asset_vehicles", "0")
    limit("asset_homes", "1")
    limit("asset_business", "100000", valid_from=dt.date(2026, 7, 1))  # not yet in force
    return get_user_model().objects.get(username="community1").memberships.first().region


_n = iter(range(100, 999))


def household(region, *, savings="0", vehicles=0, homes=0, business="0", flag=True):
    """Two adults with 6000 a year of wages between them: 250 per person a month (低保)."""
    h = Household.objects.create(number=f"AS-{next(_n)}", region=region, area="urban")
    head = None
    for i in range(2):
        p = Person.objects.create(household=h, region=region, relationship="head" if i == 0
                                  else "spouse", name=f"{h.number}-{i}",
                                  id_number=f"13100219800101{next(_n):03d}{i}",
                                  birth_date="1980-01-01")
        head = head or p
    actions.do_record_assessment(worker(), h, assessed_on=DAY,
                                 incomes=[(head, "wages", D("6000"))], savings=D(savings),
                                 vehicles=vehicles, homes=homes, business_stake=D(business),
                                 assets_within_rules=flag)
    return {r.programme: r for r in eligibility_of(h, DAY).results}


@time_machine.travel(dt.datetime(2026, 6, 15, 4, tzinfo=dt.UTC), tick=False)
def test_assets_exactly_at_the_limits_are_within_and_the_rule_is_shown(standards):
    got = household(standards, savings="40000", vehicles=0, homes=1, business="500000")
    assert got["低保"].verdict == el.ELIGIBLE
    rule = got["低保"].rule
    assert "人均月收入 250.00 元低于低保标准 800.00 元" in rule
    assert "人均存款及有价证券 20000.00 元，不超过上限 20000.00 元" in rule
    assert "机动车 0 辆，不超过上限 0 辆" in rule and "住房 1 套，不超过上限 1 套" in rule
    # the business limit starts in July: not checked in June
    assert "经营性资产" not in rule
    assert "区民政局财产认定办法" in got["低保"].source


@time_machine.travel(dt.datetime(2026, 6, 15, 4, tzinfo=dt.UTC), tick=False)
@pytest.mark.parametrize("assets,why", [
    ({"savings": "40000.02"}, "人均存款及有价证券 20000.01 元，超过上限 20000.00 元"),
    ({"vehicles": 1}, "机动车 1 辆，超过上限 0 辆"),
    ({"homes": 2}, "住房 2 套，超过上限 1 套"),
    ({"flag": False}, "经办人员核定财产状况不符合当地规定"),
])
def test_one_asset_over_its_limit_refuses_dibao_edge_and_tekun(standards, assets, why):
    got = household(standards, **assets)
    for programme in ("低保", "低保边缘"):
        assert got[programme].verdict == el.INELIGIBLE
        assert why in got[programme].rule
    assert got["特困"].verdict == el.INELIGIBLE


@time_machine.travel(dt.datetime(2026, 6, 15, 4, tzinfo=dt.UTC), tick=False)
def test_without_limits_only_the_worker_s_finding_counts(standards):
    Standard.objects.filter(programme__startswith="asset_").delete()
    got = household(standards, savings="9999999", vehicles=3, homes=4)
    assert got["低保"].verdict == el.ELIGIBLE
    assert got["低保"].rule == "人均月收入 250.00 元低于低保标准 800.00 元"
    assert household(standards, flag=False)["低保"].verdict == el.INELIGIBLE


@time_machine.travel(dt.datetime(2026, 6, 15, 4, tzinfo=dt.UTC), tick=False)
def test_civil_affairs_sets_a_limit_on_the_standards_page_and_bad_ones_are_refused(
        standards, client_for):
    c = client_for("civil1")

    def post(programme, amount, valid_from="2026-08-01"):
        return c.post("/assistance/standards/", {
            "what": "standard", "s-region": DISTRICT, "s-programme": programme,
            "s-area": "both", "s-valid_from": valid_from, "s-amount": amount,
            "s-source": "财产认定办法"})

    before = Standard.objects.count()
    for programme, amount in (("asset_vehicles", "1.5"), ("asset_vehicles", "-1"),
                              ("asset_homes", "100"), ("asset_savings", NUMBERS[0]),
                              ("asset_savings", XSS[0]), ("asset_savings", FORMULAS[0])):
        r = post(programme, amount)
        assert r.status_code == 200, (programme, amount)
    assert Standard.objects.count() == before
    assert post("asset_vehicles", "1").status_code == 302  # from August: one vehicle allowed
    assert post("asset_savings", "0", "2026-09-01").status_code == 302  # 0 is a limit
    page = c.get("/assistance/standards/").content.decode()
    assert "财产上限：机动车（辆）" in page
    # a limit of 0 reads 0.00, never "None" (it was shown as the empty multiplier)
    assert re.search(r"财产上限：人均存款及有价证券（元）</td><td>[^<]*</td><td>2026-09-01</td>"
                     r'<td class="num">0(\.00)?</td>', page)
    assert "None" not in page
    # others may not set limits
    assert client_for("community1").post("/assistance/standards/", {
        "what": "standard", "s-region": DISTRICT, "s-programme": "asset_homes", "s-area": "both",
        "s-valid_from": "2026-08-01", "s-amount": "2", "s-source": "x"}).status_code == 403
    assert Standard.objects.count() == before + 2
