"""The statistics page's call-back coverage and ratings per channel, and its smart-device figures
(alarms per device type, devices offline now), each within the reader's region: cases and devices
of 2030 with a frozen clock, far from the demo's dates."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from minsheng.cases import stats, workflow
from minsheng.cases.devices import do_receive_alarms, do_receive_heartbeats
from minsheng.cases.models import Case, CaseType, Device
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


@pytest.fixture
def devices():
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


def test_alarms_per_device_type_and_devices_offline_in_the_readers_region(devices, user,
                                                                            client_for):
    ours, theirs = devices["orgs"]
    earlier = (NOW - dt.timedelta(minutes=20)).isoformat()
    with time_machine.travel(NOW, tick=False):
        do_receive_heartbeats(ours.pk, [{"device_id": "D-1"}])
        do_receive_alarms(ours.pk, [{"device_id": "D-1", "type": "forced_open"}] * 3)
        # the camera was last heard of 20 minutes ago: over its kind's 15 minutes
        do_receive_alarms(ours.pk, [{"device_id": "C-1", "type": "motion", "time": earlier}] * 2)
        do_receive_alarms(theirs.pk, [{"device_id": "P-1", "type": "forced_open"}] * 7)
        figures = stats.device_figures(user("district"), START, END)
        by = {r["code"]: r for r in figures["by_kind"]}
        assert by["door"] == {"code": "door", "name": "人脸识别门禁", "devices": 1, "offline": 0,
                              "records": 1, "alarms": 3, "cases": 1}
        assert by["camera"] == {"code": "camera", "name": "智慧平安摄像头", "devices": 1,
                                "offline": 1, "records": 1, "alarms": 2, "cases": 0}
        assert by["smoke"]["devices"] == 1 and by["smoke"]["offline"] == 1
        assert (figures["devices"], figures["offline"], figures["alarms"]) == (3, 2, 5)
        # 平城区's door and its 7 alarms are not 安次区's; another street's staff see none of ours
        assert stats.device_figures(user("street2"), START, END)["by_kind"] == []
        # the region switcher narrows it
        assert stats.device_figures(user("district"), START, END, "131002002")["devices"] == 0
        page = client_for("street1").get("/cases/stats/?period=year&year=2030")
        assert page.status_code == 200
        text = page.content.decode()
        assert "智能设备" in text and "智慧平安摄像头" in text
        assert client_for("resident1").get("/cases/stats/figures.json").status_code == 403
        data = client_for("district").get("/cases/stats/figures.json?period=year&year=2030").json()
        assert data["devices"]["offline"] == 2
    # later the door falls silent too (its kind's 30 minutes)
    later = NOW + dt.timedelta(minutes=31)
    assert stats.device_figures(user("district"), START, END, now=later)["offline"] == 3
