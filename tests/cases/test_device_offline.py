"""Devices offline (issue 14): the heartbeat job (devices.check_offline, every minute) opens an
outage for a device silent past its kind's setting and notifies the operating organisation once
per silence; a heartbeat or an alarm ends it when the device was heard; the device list shows the
offline ones with since when, to who sees them (region case readers, the operator), and nobody
else."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from minsheng.cases.devices import check_offline, do_receive_alarms, do_receive_heartbeats
from minsheng.cases.models import Device, DeviceOutage, DeviceSilence, Notification
from minsheng.web import jobs
from tests.cases.device_fixtures import door, intake_key
from tests.hostile import CONTROL, FORMULAS, XSS

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_limits")]
URL = "/cases/devices/"


@pytest.fixture
def device():
    """A door of 131002001007 operated by 银河南路街道办事处 (street1's organisation), silent for two
    hours where its kind allows one."""
    DeviceSilence.objects.update_or_create(kind=Device.Kind.DOOR, defaults={"minutes": 60})
    return door("DOOR-OFF-1", "北门人脸门禁", alarm_types={"forced_open": ""},
                last_seen_at=timezone.now() - dt.timedelta(hours=2))


def notices(device: Device) -> list[Notification]:
    return list(Notification.objects.filter(device=device))


def test_the_job_notifies_the_operator_once_per_silence(device):
    now = timezone.now()
    check_offline(now)
    check_offline(now + dt.timedelta(minutes=1))  # the next tick: still the same silence
    outage = DeviceOutage.objects.get(device=device)
    assert outage.ended_at is None and outage.since == device.last_seen_at
    assert outage.detected_at == now
    [n] = notices(device)
    assert n.organisation_id == device.organisation_id and n.case_id is None
    assert "北门人脸门禁" in n.message and "DOOR-OFF-1" in n.message and "设备离线" in n.message


def test_a_heartbeat_ends_the_silence_and_a_new_one_notifies_again(device):
    t0 = timezone.now()
    check_offline(t0)
    back = t0 + dt.timedelta(minutes=5)
    [r] = do_receive_heartbeats(device.organisation_id, [{"device_id": "DOOR-OFF-1",
                                                          "time": back.isoformat()}], now=back)
    assert r["ok"]
    outage = DeviceOutage.objects.get(device=device)
    assert outage.ended_at == back  # when it was heard, not when the job next ran
    check_offline(back + dt.timedelta(minutes=1))  # heard five minutes ago: not offline
    assert not DeviceOutage.objects.filter(device=device, ended_at__isnull=True).exists()
    later = back + dt.timedelta(hours=2)  # silent again past the hour
    check_offline(later)
    assert DeviceOutage.objects.filter(device=device).count() == 2
    assert len(notices(device)) == 2


def test_an_alarm_also_ends_it(device):
    t0 = timezone.now()
    check_offline(t0)
    [r] = do_receive_alarms(device.organisation_id, [{"device_id": "DOOR-OFF-1",
                                                      "type": "forced_open"}], now=t0)
    assert r["ok"]
    assert DeviceOutage.objects.get(device=device).ended_at == t0


def test_a_disabled_device_s_outage_ends_and_a_never_heard_one_is_offline(device):
    t0 = timezone.now()
    check_offline(t0)
    Device.objects.filter(pk=device.pk).update(active=False)
    check_offline(t0 + dt.timedelta(minutes=1))
    assert DeviceOutage.objects.get(device=device).ended_at == t0 + dt.timedelta(minutes=1)
    never = door("DOOR-NEVER", "南门")
    check_offline(t0 + dt.timedelta(minutes=2))
    assert DeviceOutage.objects.get(device=never).since is None
    assert "从未上报" in notices(never)[0].message


def test_the_job_is_scheduled():
    assert jobs.SCHEDULES["devices-offline"] == ("minsheng.cases.devices.check_offline", 1)


def test_the_list_shows_offline_devices_with_since_when(client_for, device):
    check_offline()
    c = client_for("street1")
    page = c.get(URL).content.decode()
    since = timezone.localtime(device.last_seen_at).strftime("%Y-%m-%d %H:%M")
    assert "DOOR-OFF-1" in page and f"自 {since} 起" in page and "已通知" in page
    # the offline filter keeps it; an online device of the same operator appears only unfiltered
    door("DOOR-ON-1", "西门", last_seen_at=timezone.now())
    assert "DOOR-ON-1" in c.get(URL).content.decode()
    only = c.get(URL + "?offline=1").content.decode()
    assert "DOOR-OFF-1" in only and "DOOR-ON-1" not in only


def test_the_queue_s_notice_leads_to_the_list(client_for, device):
    check_offline()
    page = client_for("street1").get("/cases/queue/").content.decode()
    assert "设备离线：北门人脸门禁" in page and 'href="/cases/devices/?offline=1"' in page
    assert 'href="/cases/devices/"' in page  # the queue's own link for an operator


def test_who_sees_the_device_and_who_does_not(client, client_for, device):
    assert "DOOR-OFF-1" in client_for("district").get(URL).content.decode()
    # another street's staff and a property manager elsewhere: the page, without this device
    for name in ("street2", "property1"):
        r = client_for(name).get(URL)
        assert r.status_code == 200 and "DOOR-OFF-1" not in r.content.decode(), name
    # a resident and an employer hold no case right: refused
    for name in ("resident1", "employer1"):
        assert client_for(name).get(URL).status_code == 403, name
    assert client.get(URL).status_code == 302  # to sign in


def test_the_stats_page_links_to_the_list(client_for, device):
    page = client_for("district").get("/cases/stats/").content.decode()
    assert 'href="/cases/devices/' in page


@pytest.mark.parametrize("value", [*XSS[:2], *FORMULAS[:2], *CONTROL[:2], "99999999999999999999",
                                   "-1"])
def test_hostile_query_values_answer_the_page(client_for, device, value):
    c = client_for("street1")
    for key in ("offline", "page"):
        r = c.get(URL, {key: value})
        assert r.status_code == 200, (key, value)
        assert "<script>" not in r.content.decode().split("<main", 1)[-1]


def test_the_device_intake_stays_json(client, device):
    """The intake's answer is unchanged by the outages it ends (a device key posts)."""
    intake_key("k-off", name="k")
    check_offline()
    r = client.post("/api/devices/heartbeats/", json.dumps({"device_id": "DOOR-OFF-1"}),
                    content_type="application/json", headers={"authorization": "Bearer k-off"})
    assert r.status_code == 200 and r.json()["accepted"] == 1
    assert not DeviceOutage.objects.filter(device=device, ended_at__isnull=True).exists()
