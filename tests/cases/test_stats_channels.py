"""The statistics page's call-back coverage and ratings per channel, and its smart-device figures
(alarms per device type, devices offline now), each within the reader's region: cases and devices
of 2030 with a frozen clock, far from the demo's dates."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db.models import Max

from minsheng.cases import stats, workflow
from minsheng.cases.devices import do_receive_alarms, do_receive_heartbeats
from minsheng.cases.models import Alarm, Case, CaseType, Device
from minsheng.places.models import Compound, Organisation

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
START, END = dt.datetime(2030, 1, 1, tzinfo=TZ), dt.datetime(2031, 1, 1, tzinfo=TZ)
NOW = dt.datetime(2030, 5, 6, 10, 0, tzinfo=TZ)  # a Monday


def compound(prefix: str) -> Compound:
    return Compound.objects.filter(region__code__startswith=prefix, property_company__isnull=True
                                   ).order_by("pk").first()


def handled(user, channel: str) -> Case:
    """A case of street1's (银河南路街道) filed by `channel`, accepted and resolved."""
    with time_machine.travel(NOW - dt.timedelta(days=3), tick=False):
        case = workflow.do_file(case_type=CaseType.objects.get(code="street_order"),
                                compound=compound("131002001007"), description="占道经营",
                                channel=channel, reporter_name="王女士",
                                reporter_phone="13812345678")
        workflow.do_accept(user("street1"), case)
        workflow.do_resolve(user("street1"), case, "已清理")
    case.refresh_from_db()
    return case


def test_call_back_coverage_and_ratings_per_channel(user, client_for):
    hotline = handled(user, Case.Channel.HOTLINE)
    patrol = handled(user, Case.Channel.PATROL)
    walk_in = handled(user, Case.Channel.STAFF)
    with time_machine.travel(NOW - dt.timedelta(days=2), tick=False):
        workflow.do_call_back(user("district"), hotline, reached=True, rating=4, fixed=True)
        workflow.do_call_back(user("district"), patrol, reached=False, note="无人接听")
        workflow.do_rate(None, walk_in, fixed=True, rating=5, token=walk_in.token)
    rows = {r["code"]: r for r in stats.callbacks_by_channel(user("district"), START, END)}
    assert rows["hotline"] == {"code": "hotline", "name": "12345 热线", "n": 1, "resolved": 1,
                               "called_back": 1, "coverage_rate": 100.0, "rated": 1,
                               "mean_rating": 4.0}
    assert rows["patrol"]["called_back"] == 0 and rows["patrol"]["coverage_rate"] == 0.0
    assert rows["staff"]["rated"] == 1 and rows["staff"]["mean_rating"] == 5.0
    ratings = {r["code"]: r for r in stats.ratings_by_channel(user("district"), START, END)}
    assert ratings == {
        "callback": {"code": "callback", "name": "工作人员回访", "n": 1, "mean_rating": 4.0,
                     "fixed_rate": 100.0},
        "web": {"code": "web", "name": "居民网页链接", "n": 1, "mean_rating": 5.0,
                "fixed_rate": 100.0}}
    # another street's staff count none of street1's cases
    assert stats.callbacks_by_channel(user("street2"), START, END) == []
    assert stats.ratings_by_channel(user("street2"), START, END) == []
    with time_machine.travel(NOW, tick=False):
        page = client_for("district").get("/cases/stats/?period=year&year=2030")
    assert page.status_code == 200
    text = page.content.decode()
    assert "回访与评价（按诉求来源）" in text and "工作人员回访" in text
    assert client_for("resident1").get("/cases/stats/").status_code == 403


def make_devices() -> dict:
    """Devices of street1's compound (a door, a camera, a smoke sensor never heard from, a
    disabled door) and a door of 平城区, operated by their streets' offices."""
    ours = Organisation.objects.get(kind="street_office", region_id="131002001000")
    theirs = Organisation.objects.filter(kind="street_office", region__code__startswith="140213"
                                         ).order_by("pk").first()
    here, there = compound("131002001007"), compound("140213")
    make = Device.objects.create
    return {
        "door": make(organisation=ours, code="D-1", name="东门", kind=Device.Kind.DOOR,
                     compound=here, alarm_types={"forced_open": "street_order"}),
        "camera": make(organisation=ours, code="C-1", name="球机", kind=Device.Kind.CAMERA,
                       compound=here, alarm_types={"motion": ""}),
        "smoke": make(organisation=ours, code="S-1", name="烟感", kind=Device.Kind.SMOKE,
                      compound=here),
        "off": make(organisation=ours, code="D-2", name="停用门禁", kind=Device.Kind.DOOR,
                    compound=here, active=False),
        "theirs": make(organisation=theirs, code="P-1", name="平城门禁", kind=Device.Kind.DOOR,
                       compound=there, alarm_types={"forced_open": ""}),
        "orgs": (ours, theirs),
    }


FIELDS = ("devices", "offline", "records", "alarms", "cases")


def figures(u, prefix=None, now=None) -> dict:
    """Per device kind, the figures as numbers (zero for a kind without a row), and the totals."""
    f = stats.device_figures(u, START, END, prefix, now=now)
    by = {r["code"]: r for r in f["by_kind"]}
    out = {k: {x: by.get(k, {}).get(x, 0) for x in FIELDS} for k in Device.Kind.values}
    out["total"] = {x: f[x] for x in FIELDS}
    return out


def added(after: dict, before: dict) -> dict:
    return {k: {x: after[k][x] - before[k][x] for x in FIELDS} for k in after
            if any(after[k][x] != before[k][x] for x in FIELDS)}


def test_alarms_per_device_type_and_devices_offline_in_the_readers_region(user, client_for):
    """Against the demo's own devices (all long silent in 2030): what the test's devices add."""
    district, street2 = user("district"), user("street2")
    with time_machine.travel(NOW, tick=False):
        before, before2 = figures(district), figures(street2)
        before_switch = figures(district, "131002002")
        devices = make_devices()
        ours, theirs = devices["orgs"]
        earlier = (NOW - dt.timedelta(minutes=20)).isoformat()
        do_receive_heartbeats(ours.pk, [{"device_id": "D-1"}])
        do_receive_alarms(ours.pk, [{"device_id": "D-1", "type": "forced_open"}] * 3)
        # the camera was last heard of 20 minutes ago: over its kind's 15 minutes
        do_receive_alarms(ours.pk, [{"device_id": "C-1", "type": "motion", "time": earlier}] * 2)
        do_receive_alarms(theirs.pk, [{"device_id": "P-1", "type": "forced_open"}] * 7)
        assert added(figures(district), before) == {
            "door": {"devices": 1, "offline": 0, "records": 1, "alarms": 3, "cases": 1},
            "camera": {"devices": 1, "offline": 1, "records": 1, "alarms": 2, "cases": 0},
            "smoke": {"devices": 1, "offline": 1, "records": 0, "alarms": 0, "cases": 0},
            "total": {"devices": 3, "offline": 2, "records": 2, "alarms": 5, "cases": 1}}
        # 平城区's door and its 7 alarms are not 安次区's (nor counted above); another street's
        # staff see none of street1's devices, and the region switcher narrows it likewise
        assert figures(street2) == before2
        assert figures(district, "131002002") == before_switch
        page = client_for("street1").get("/cases/stats/?period=year&year=2030")
        assert page.status_code == 200
        text = page.content.decode()
        assert "智能设备" in text and "东门" not in text and "智慧平安摄像头" in text
        assert client_for("resident1").get("/cases/stats/figures.json").status_code == 403
        data = client_for("district").get("/cases/stats/figures.json?period=year&year=2030")
        assert data.json()["devices"]["offline"] == before["total"]["offline"] + 2
    # later the door falls silent too (its kind's 30 minutes)
    later = NOW + dt.timedelta(minutes=31)
    assert figures(district, now=later)["total"]["offline"] == before["total"]["offline"] + 3


def test_the_demo_has_devices_some_offline_with_alarms_and_cases(user):
    """The demo's devices (built minutes before the tests, relative to today): at the time they
    were last heard from, about one in six is silent past its kind's setting; alarms of the
    last 90 days show per type, and some cases came by a device."""
    demo = Device.objects.filter(code__startswith="CAM-")
    assert demo.count() >= 10
    built = Device.objects.filter(organisation=demo.first().organisation).aggregate(
        t=Max("last_seen_at"))["t"]
    f = stats.device_figures(user("district"), built - dt.timedelta(days=91),
                             built + dt.timedelta(days=1), now=built)
    assert f["devices"] >= 16 and 0 < f["offline"] < f["devices"] / 3
    assert f["alarms"] > f["records"] > 0 and f["cases"] >= 1
    assert {r["code"] for r in f["by_kind"]} >= {"camera", "door", "bin"}
    device_cases = Case.objects.filter(channel=Case.Channel.DEVICE, alarms__isnull=False)
    assert device_cases.exists() and not device_cases.exclude(reporter_phone="").exists()
    assert not Alarm.objects.filter(last_at__gt=built + dt.timedelta(minutes=5)).exists()
