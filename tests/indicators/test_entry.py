"""The data-entry service (minsheng/indicators/entry.py): validation that writes nothing on any
error, submission, approval by someone else with the right, locking, un-approval with a reason,
and approved values being the only ones that count in the indicators."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from minsheng.accounts.models import Membership
from minsheng.accounts.roles import Role
from minsheng.indicators import entry
from minsheng.indicators.entry import EntryError
from minsheng.indicators.models import Completion, DataSet, DataValue, Indicator
from minsheng.indicators.periods import Period
from minsheng.indicators.services import evaluate
from minsheng.places.models import Region

pytestmark = pytest.mark.django_db

ANCI = "131002000000"
PINGCHENG = "140213000000"
Y = Period(2023)  # 365 days; the demo's returns are for last year and this year
LEAP = Period(2024)
GOOD = {"air_days_assessed": "365", "air_good_days": "300", "pm25_mean": "28",
        "water_section_class": "3"}


@pytest.fixture
def env():
    ds = DataSet.objects.get(code="environment")
    # whatever a demo may have put here, these tests start from an empty return
    Completion.objects.filter(dataset=ds, period__in=[Y.id, LEAP.id]).delete()
    DataValue.objects.filter(element__dataset=ds, period__in=[Y.id, LEAP.id]).delete()
    return ds


@pytest.fixture
def anci():
    return Region.objects.get(code=ANCI)


def _stored(ds, region, period=Y):
    return entry.values_of(ds, region, period)


def _rate(period=Y):
    ind = Indicator.objects.filter(code="air_good_rate")
    return evaluate([ANCI], period, indicators=ind, with_previous=False)[ANCI][
        "air_good_rate"].value


@pytest.mark.parametrize(("raw", "field", "expected"), [
    ({"air_days_assessed": "abc"}, "air_days_assessed", "“abc”不是数字"),
    ({"air_good_days": "12.5"}, "air_good_days", "空气质量优良天数应为整数，填写的是 12.5"),
    ({"air_good_days": "1e400"}, "air_good_days", "空气质量优良天数不能大于 366"),
    ({"water_section_class": "7"}, "water_section_class", "国控断面水质类别不能大于 6"),
    ({"pm25_mean": "-1"}, "pm25_mean", "PM2.5 平均浓度不能小于 0"),
    ({"pm25_mean": "28.123456"}, "pm25_mean", "PM2.5 平均浓度最多保留 4 位小数"),
    ({"pm25_mean": "NaN"}, "pm25_mean", "“NaN”不是数字"),
    ({**GOOD, "air_days_assessed": "300", "air_good_days": "301"}, "",
     "优良天数不能多于有效监测天数"),
    ({**GOOD, "air_days_assessed": "366", "air_good_days": "300"}, "",
     "有效监测天数不能多于本期天数"),
])
def test_invalid_values_are_refused_with_a_clear_message_and_nothing_written(
        env, anci, user, raw, field, expected):
    entry.save(user("dept1"), env, anci, Y, {"pm25_mean": "30"})  # an earlier draft
    before = _stored(env, anci)
    history = Completion.objects.get(dataset=env, region=anci, period=Y.id).history
    # a valid value beside the bad one must not be written either
    raw = {"pm25_mean": "31", **raw} if "pm25_mean" not in raw else raw
    with pytest.raises(EntryError) as exc:
        entry.save(user("dept1"), env, anci, Y, raw)
    assert any(expected in m for m in exc.value.errors[field]), exc.value.errors
    assert expected in str(exc.value)
    assert _stored(env, anci) == before == {"pm25_mean": Decimal("30")}
    assert Completion.objects.get(dataset=env, region=anci, period=Y.id).history == history


def test_every_problem_is_listed_at_once(env, anci, user):
    with pytest.raises(EntryError) as exc:
        entry.save(user("dept1"), env, anci, Y, {"air_days_assessed": "x", "air_good_days": "1.5",
                                                  "water_section_class": "0"})
    assert set(exc.value.errors) == {"air_days_assessed", "air_good_days", "water_section_class"}
    assert not Completion.objects.filter(dataset=env, period=Y.id).exists()


def test_days_rule_follows_the_period(env, anci, user):
    """366 assessed days is right for a leap year and wrong for any other."""
    c = entry.save(user("dept1"), env, anci, LEAP, {**GOOD, "air_days_assessed": "366"})
    assert c.state == Completion.State.DRAFT
    assert _stored(env, anci, LEAP)["air_days_assessed"] == 366


def test_values_are_read_as_a_clerk_types_them(env, anci, user):
    entry.save(user("dept1"), env, anci, Y, {"air_days_assessed": " 365 ", "air_good_days": 300,
                                             "pm25_mean": "28.50000", "water_section_class": 3})
    assert _stored(env, anci) == {"air_days_assessed": 365, "air_good_days": 300,
                                  "pm25_mean": Decimal("28.5"), "water_section_class": 3}
    ins = DataSet.objects.get(code="insurance")
    with pytest.raises(EntryError) as exc:  # would overflow the column on PostgreSQL
        entry.save(user("dept1"), ins, anci, Y, {"pension_insured": "1" + "0" * 17})
    assert "城乡居民养老保险参保人数数值过大" in exc.value.errors["pension_insured"]
    entry.save(user("dept1"), ins, anci, Y, {"pension_insured": "198,000"})
    assert _stored(ins, anci)["pension_insured"] == 198000


def test_empty_value_removes_a_saved_one(env, anci, user):
    entry.save(user("dept1"), env, anci, Y, GOOD)
    entry.save(user("dept1"), env, anci, Y, {**GOOD, "pm25_mean": ""})
    assert "pm25_mean" not in _stored(env, anci)


def test_submit_is_refused_while_values_are_missing(env, anci, user):
    with pytest.raises(EntryError, match="只有已保存"):
        entry.submit(user("dept1"), env, anci, Y)
    entry.save(user("dept1"), env, anci, Y, {"air_days_assessed": "365", "air_good_days": "300"})
    with pytest.raises(EntryError) as exc:
        entry.submit(user("dept1"), env, anci, Y)
    assert "PM2.5 平均浓度、国控断面水质类别" in str(exc.value)
    assert Completion.objects.get(dataset=env, region=anci, period=Y.id).state == "draft"
    entry.save(user("dept1"), env, anci, Y, GOOD)
    assert entry.submit(user("dept1"), env, anci, Y).state == "submitted"


def test_approval_needs_the_right_and_someone_else(env, anci, user):
    entry.save(user("dept1"), env, anci, Y, GOOD)
    with pytest.raises(EntryError, match="只有已上报"):
        entry.approve(user("district"), env, anci, Y)
    entry.submit(user("dept1"), env, anci, Y)
    for name in ("dept1", "viewer1", "street1"):
        with pytest.raises(EntryError, match="没有审核"):
            entry.approve(user(name), env, anci, Y)
    assert Completion.objects.get(dataset=env, region=anci, period=Y.id).state == "submitted"

    # the approver who submitted cannot approve their own return
    entry.send_back(user("district"), env, anci, Y, "请补充说明")
    entry.save(user("district"), env, anci, Y, GOOD)
    entry.submit(user("district"), env, anci, Y)
    with pytest.raises(EntryError, match="不能审核自己上报的数据"):
        entry.approve(user("district"), env, anci, Y)
    c = entry.approve(user("admin"), env, anci, Y)
    assert (c.state, c.approved_by.username) == ("approved", "admin")


def test_approved_return_is_locked_until_unapproved_with_a_reason(env, anci, user):
    entry.save(user("dept1"), env, anci, Y, GOOD)
    entry.submit(user("dept1"), env, anci, Y)
    with pytest.raises(EntryError, match="不能修改"):  # submitted: locked too
        entry.save(user("dept1"), env, anci, Y, {**GOOD, "air_good_days": "301"})
    entry.approve(user("district"), env, anci, Y)
    for name in ("dept1", "district"):
        with pytest.raises(EntryError, match="已审核（锁定），不能修改"):
            entry.save(user(name), env, anci, Y, {**GOOD, "air_good_days": "301"})
    assert _stored(env, anci)["air_good_days"] == 300
    with pytest.raises(EntryError, match="必须说明理由"):
        entry.send_back(user("district"), env, anci, Y, "   ")
    with pytest.raises(EntryError, match="没有审核"):
        entry.send_back(user("dept1"), env, anci, Y, "我想改")
    assert Completion.objects.get(dataset=env, region=anci, period=Y.id).state == "approved"

    c = entry.send_back(user("district"), env, anci, Y, "优良天数需与月报核对")
    assert (c.state, c.approved_by, c.approved_at) == ("draft", None, None)
    entry.save(user("dept1"), env, anci, Y, {**GOOD, "air_good_days": "301"})
    assert _stored(env, anci)["air_good_days"] == 301
    c.refresh_from_db()
    assert [(h["user"], h["action"], h["note"]) for h in c.history] == [
        ("dept1", "save", ""), ("dept1", "submit", ""), ("district", "approve", ""),
        ("district", "unapprove", "优良天数需与月报核对"), ("dept1", "save", "")]
    assert all(h["at"] for h in c.history)


def test_only_approved_values_count_in_the_indicators(env, anci, user):
    entry.save(user("dept1"), env, anci, Y, GOOD)
    entry.submit(user("dept1"), env, anci, Y)
    assert _rate() is None  # submitted, not yet approved
    entry.approve(user("district"), env, anci, Y)
    assert _rate() == Decimal("82.2")  # 300 / 365
    entry.send_back(user("district"), env, anci, Y, "核对")
    assert _rate() is None
    assert not DataValue.objects.filter(element__dataset=env, period=Y.id, approved=True).exists()
    entry.save(user("dept1"), env, anci, Y, {**GOOD, "air_good_days": "292"})
    entry.submit(user("dept1"), env, anci, Y)
    entry.approve(user("district"), env, anci, Y)
    assert _rate() == Decimal("80.0")  # 292 / 365


def test_returning_a_submitted_return_reopens_it(env, anci, user):
    entry.save(user("dept1"), env, anci, Y, GOOD)
    with pytest.raises(EntryError, match="无需退回"):
        entry.send_back(user("district"), env, anci, Y, "x")
    entry.submit(user("dept1"), env, anci, Y)
    c = entry.send_back(user("district"), env, anci, Y, "水质类别填错了")
    assert c.state == "draft" and c.history[-1]["action"] == "return"
    entry.save(user("dept1"), env, anci, Y, {**GOOD, "water_section_class": "2"})


def test_scope_region_level_and_period(env, anci, user):
    pingcheng = Region.objects.get(code=PINGCHENG)
    with pytest.raises(EntryError, match="没有在平城区填报"):
        entry.save(user("dept1"), env, pingcheng, Y, GOOD)
    for name in ("resident1", "viewer1", "street1"):
        with pytest.raises(EntryError, match="没有"):
            entry.save(user(name), env, anci, Y, GOOD)
    # a department in 平城区 cannot touch 安次区
    other = get_user_model().objects.create(username="pc_dept")
    Membership.objects.create(user=other, role=Role.DEPARTMENT_STAFF, region=pingcheng)
    with pytest.raises(EntryError):
        entry.save(other, env, anci, Y, GOOD)
    entry.save(other, env, pingcheng, Y, GOOD)
    street = Region.objects.filter(parent=anci).first()
    with pytest.raises(EntryError, match="银河南路街道不是区"):
        entry.save(user("dept1"), env, street, Y, GOOD)
    with pytest.raises(EntryError, match="尚未开始"):
        entry.save(user("dept1"), env, anci, "2099", GOOD)
    with pytest.raises(EntryError, match="按年填报"):
        entry.save(user("dept1"), env, anci, "2023Q1", GOOD)
    with pytest.raises(EntryError, match="无法识别"):
        entry.save(user("dept1"), env, anci, "last year", GOOD)
    assert not Completion.objects.filter(dataset=env, region=anci, period=Y.id).exists()
