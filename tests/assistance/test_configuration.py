"""Local rules as dated configuration: 区民政局 adds a standard or a procedure row from a date on a
page (never edits one, never backdates one); others are refused; hostile inputs are refused."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from minsheng.accounts.models import AuditLog
from minsheng.assistance.models import Procedure, Standard

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2031, 6, 15, 4, 0, tzinfo=dt.UTC)
D = "131002000000"
URL = "/assistance/standards/"


def _standard(**kw):
    return {"what": "standard", "s-region": D, "s-programme": "dibao", "s-area": "urban",
            "s-valid_from": "2031-07-01", "s-amount": "900", "s-source": "测试文件〔2031〕1号"} | kw


@time_machine.travel(NOW, tick=False)
def test_civil_affairs_adds_a_dated_standard_and_procedure(client_for):
    assert reverse("assistance:standards") == URL
    c = client_for("civil1")
    assert c.get(URL).status_code == 200
    assert c.post(URL, _standard()).status_code == 302
    row = Standard.objects.get(region_id=D, programme="dibao", area="urban",
                               valid_from=dt.date(2031, 7, 1))
    assert row.amount == Decimal("900") and row.multiplier is None
    assert AuditLog.objects.filter(object_type="assistance.standard", object_id=str(row.pk)).exists()
    for bad, why in ((_standard(**{"s-valid_from": "2031-06-01"}), "不能早于今天"),
                     (_standard(**{"s-valid_from": "2031-07-01"}), ""),  # the same date twice
                     (_standard(**{"s-amount": "-5", "s-valid_from": "2031-08-01"}), "金额"),
                     (_standard(**{"s-amount": "99999999", "s-valid_from": "2031-08-01"}),
                      "金额"),
                     (_standard(**{"s-source": "文件\x07", "s-valid_from": "2031-08-01"}),
                      "控制字符"),
                     (_standard(**{"s-programme": "edge", "s-valid_from": "2031-08-01"}),
                      "倍数")):
        r = c.post(URL, bad)
        assert r.status_code == 200 and why in r.content.decode(), why
    street = Standard.objects.count()
    r = c.post(URL, {"what": "procedure", "p-region": D, "p-valid_from": "2031-07-01",
                     "p-publicity_days": 7, "p-review_months_unable": 12,
                     "p-review_months_partial": 6, "p-review_months_able": 3,
                     "p-payment_due_day": 10, "p-street_decides": "on", "p-source": "下放文件"})
    assert r.status_code == 302
    assert Procedure.objects.get(region_id=D, valid_from=dt.date(2031, 7, 1)).street_decides
    r = c.post(URL, {"what": "procedure", "p-region": D, "p-valid_from": "2031-08-01",
                     "p-publicity_days": 999, "p-review_months_unable": 12,
                     "p-review_months_partial": 6, "p-review_months_able": 3,
                     "p-payment_due_day": 10, "p-source": "x"})
    assert r.status_code == 200 and "公示天数" in r.content.decode()
    assert Standard.objects.count() == street
    # another district's region is not a choice
    r = c.post(URL, _standard(**{"s-region": "140213000000", "s-valid_from": "2031-09-01"}))
    assert r.status_code == 200 and not Standard.objects.filter(region_id="140213000000",
                                                                valid_from="2031-09-01").exists()
    assert c.post(URL, {"what": "nothing"}).status_code == 403


@pytest.mark.parametrize("who", ["street1", "community1", "dept-housing", "viewer1", "revival1",
                                 "employ1"])
def test_no_one_else_sets_the_rules(client_for, who):
    c = client_for(who)
    assert c.get(URL).status_code == 403
    assert c.post(URL, _standard()).status_code == 403
