"""Device alarms at /api/devices/alarms/: registered devices of an organisation post with its key;
a mapped alarm files a case at the device's compound; a burst of 1,000 from one device is one case
with a count; another organisation's device, an unknown type and hostile input are refused."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
import time_machine
import yaml
from django.db import connection
from django.utils import timezone

from minsheng.cases.devices import RATE, do_receive_alarms, offline
from minsheng.cases.models import Alarm, Case, Device, DeviceKey, DeviceSilence
from minsheng.places.models import Organisation
from tests.cases.device_fixtures import door, intake_key

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_limits")]
URL = "/api/devices/alarms/"
KEY = "test-device-key-1"


@pytest.fixture
def device():
    intake_key(KEY)
    return door("DOOR-0001", "东门人脸门禁",
                alarm_types={"forced_open": "street_order", "heartbeat": ""})


def post(client, body, key=KEY):
    return client.post(URL, json.dumps(body), content_type="application/json",
                       headers={"authorization": f"Bearer {key}"} if key else {})


def test_a_burst_of_a_thousand_alarms_is_one_case_with_a_count(client, device):
    before = Case.objects.count()
    t = timezone.now().isoformat()
    r = post(client, [{"device_id": "DOOR-0001", "type": "forced_open", "time": t}] * 1000)
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["accepted"] == 1000
    assert Case.objects.count() == before + 1
    alarm = Alarm.objects.get(device=device)
    assert alarm.count == 1000 and alarm.case.compound == device.compound
    assert alarm.case.channel == Case.Channel.DEVICE
    # another burst within the window counts on the same row
    assert post(client, {"device_id": "DOOR-0001", "type": "forced_open"}).status_code == 200
    alarm.refresh_from_db()
    assert alarm.count == 1001 and Case.objects.count() == before + 1
    device.refresh_from_db()
    assert device.last_seen_at is not None


def test_record_only_types_file_nothing(client, device):
    before = Case.objects.count()
    r = post(client, {"device_id": "DOOR-0001", "type": "heartbeat"})
    alarm = Alarm.objects.get(device=device)
    assert r.json()["results"][0] == {"ok": True, "alarm": alarm.pk, "count": 1,
                                      "case": None}
    assert Case.objects.count() == before


def test_keys_devices_and_types_are_checked(client, device):
    assert post(client, {"device_id": "DOOR-0001", "type": "forced_open"}, key="").status_code \
        == 401
    assert post(client, {"device_id": "DOOR-0001", "type": "forced_open"},
                key="wrong").status_code == 401
    assert client.get(URL).status_code == 405
    other = Organisation.objects.exclude(pk=device.organisation_id).first()
    intake_key("other-key", organisation=other, name="别的单位")
    r = post(client, {"device_id": "DOOR-0001", "type": "forced_open"}, key="other-key")
    assert r.status_code == 200 and r.json()["accepted"] == 0  # not its device
    r = post(client, {"device_id": "DOOR-0001", "type": "smoke"})
    assert r.json()["accepted"] == 0 and "smoke" in r.json()["results"][0]["error"]
    assert not Alarm.objects.filter(device=device).exists()


def test_hostile_input_is_refused(client, device):
    now = timezone.now()
    bad = [
        {"device_id": "<script>", "type": "forced_open"},
        {"device_id": "DOOR\x00-0001", "type": "forced_open"},
        {"device_id": "DOOR-0001", "type": "<b>x</b>"},
        {"device_id": "DOOR-0001", "type": "forced_open", "time": "9999-12-31T00:00:00"},
        {"device_id": "DOOR-0001", "type": "forced_open", "time": "0001-01-01T00:00:00"},
        {"device_id": "DOOR-0001", "type": "forced_open",
         "time": (now + dt.timedelta(days=1)).isoformat()},
        {"device_id": "DOOR-0001", "type": "forced_open", "time": 10 ** 30},
        {"device_id": 10 ** 30, "type": "forced_open"},
        {"device_id": "DOOR-0001", "type": "forced_open", "payload": {"x": "y" * 5000}},
        "not an object",
    ]
    r = post(client, bad)
    assert r.status_code == 200 and r.json()["accepted"] == 0
    assert not Alarm.objects.filter(device=device).exists()
    for body in ([], [{"device_id": "DOOR-0001", "type": "forced_open"}] * 1001):
        assert post(client, body).status_code == 400
    r = client.post(URL, "{not json", content_type="application/json",
                    headers={"authorization": f"Bearer {KEY}"})
    assert r.status_code == 400
    r = client.post(URL, "[" * 100000, content_type="application/json",
                    headers={"authorization": f"Bearer {KEY}"})
    assert r.status_code in (400, 413)
    # a lone surrogate (JSON's "\ud800" escape) in a value, a payload key or NaN: a 400, never
    # a 500 when the answer echoes it
    for raw in ('[{"device_id": "DOOR-0001", "type": "x\\ud800"}]',
                '[{"device_id": "DOOR-0001", "type": "forced_open", "payload": {"\\udfff": 1}}]',
                '[{"device_id": "DOOR-0001", "type": "forced_open", "payload": {"t": NaN}}]'):
        r = client.post(URL, raw, content_type="application/json",
                        headers={"authorization": f"Bearer {KEY}"})
        assert r.status_code == 400, raw
        assert "JSON" in r.content.decode("utf-8")
    assert not Alarm.objects.filter(device=device).exists()


def test_each_key_is_rate_limited(client, device, monkeypatch):
    monkeypatch.setattr(RATE, "limit", 2)
    for _ in range(2):
        assert post(client, {"device_id": "DOOR-0001", "type": "heartbeat"}).status_code == 200
    r = post(client, {"device_id": "DOOR-0001", "type": "heartbeat"})
    assert r.status_code == 429 and int(r["Retry-After"]) > 0


# --- heartbeats and offline devices ------------------------------------------------------------

HEARTBEATS = "/api/devices/heartbeats/"
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def beat(client, body, key=KEY):
    return client.post(HEARTBEATS, json.dumps(body), content_type="application/json",
                       headers={"authorization": f"Bearer {key}"} if key else {})


def test_a_heartbeat_stamps_the_device_and_unknown_devices_are_refused_per_item(client, device):
    t = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=2)
    r = beat(client, [{"device_id": "DOOR-0001", "time": t.isoformat()},
                      {"device_id": "DOOR-9999"}, {"device_id": "<script>"}, "x"])
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["accepted"] == 1
    assert body["results"][0] == {"ok": True, "device": "DOOR-0001", "last_seen": t.isoformat()}
    assert body["results"][1] == {"ok": False, "error": "没有编号为 DOOR-9999 的本单位设备"}
    assert body["results"][2]["ok"] is False and body["results"][3]["ok"] is False
    device.refresh_from_db()
    assert device.last_seen_at == t
    # an older heartbeat arriving late never moves the last-seen time back
    beat(client, {"device_id": "DOOR-0001", "time": (t - dt.timedelta(hours=1)).isoformat()})
    device.refresh_from_db()
    assert device.last_seen_at == t
    # a disabled device, another organisation's key and a missing key are refused
    Device.objects.filter(pk=device.pk).update(active=False)
    assert beat(client, {"device_id": "DOOR-0001"}).json()["accepted"] == 0
    Device.objects.filter(pk=device.pk).update(active=True)
    other = Organisation.objects.exclude(pk=device.organisation_id).first()
    intake_key("other-key", organisation=other, name="别的单位")
    assert beat(client, {"device_id": "DOOR-0001"}, key="other-key").json()["accepted"] == 0
    assert beat(client, {"device_id": "DOOR-0001"}, key="").status_code == 401
    assert client.get(HEARTBEATS).status_code == 405
    for bad in ([], [{"device_id": "DOOR-0001"}] * 1001):
        assert beat(client, bad).status_code == 400
    r = client.post(HEARTBEATS, '[{"device_id": "DOOR\\ud800"}]', content_type="application/json",
                    headers={"authorization": f"Bearer {KEY}"})
    assert r.status_code == 400
    r = beat(client, [{"device_id": "DOOR-0001", "time": "9999-12-31T00:00:00"},
                      {"device_id": "DOOR\x00-0001"}])
    assert r.json()["accepted"] == 0
    device.refresh_from_db()
    assert device.last_seen_at == t  # nothing refused moved it


def test_a_silent_device_goes_offline_after_its_kinds_silence(client, device):
    """With the clock frozen: a door is offline 30 minutes (its kind's setting) after its last
    heartbeat or alarm; a longer setting in the back office brings it back; a device never heard
    from is offline; a disabled one is not counted."""
    assert DeviceSilence.objects.get(kind=Device.Kind.DOOR).minutes == 30  # the shipped value
    ours = Device.objects.filter(organisation=device.organisation)
    t0 = dt.datetime(2026, 6, 1, 9, 0, tzinfo=SHANGHAI)
    with time_machine.travel(t0, tick=False):
        assert list(offline(ours)) == [device]  # never heard from
        assert beat(client, {"device_id": "DOOR-0001"}).json()["accepted"] == 1
        assert not offline(ours).exists()
    with time_machine.travel(t0 + dt.timedelta(minutes=29), tick=False):
        assert not offline(ours).exists()
    with time_machine.travel(t0 + dt.timedelta(minutes=31), tick=False):
        assert list(offline(ours)) == [device]
        DeviceSilence.objects.filter(kind=Device.Kind.DOOR).update(minutes=60)
        assert not offline(ours).exists()
        # a kind without a setting uses the default
        DeviceSilence.objects.filter(kind=Device.Kind.DOOR).delete()
        assert DeviceSilence.DEFAULT_MINUTES == 60 and not offline(ours).exists()
    with time_machine.travel(t0 + dt.timedelta(minutes=61), tick=False):
        assert list(offline(ours)) == [device]
        # an alarm is a sign of life too
        assert post(client, {"device_id": "DOOR-0001", "type": "heartbeat"}).status_code == 200
        assert not offline(ours).exists()
        Device.objects.filter(pk=device.pk).update(last_seen_at=None, active=False)
        assert not offline(ours).exists()


def test_the_device_openapi_document_describes_both_endpoints(client):
    r = client.get("/api/devices/openapi.yaml")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/yaml")
    doc = yaml.safe_load(r.content)
    assert {"/api/devices/alarms/", "/api/devices/heartbeats/"} <= set(doc["paths"])
    assert doc["components"]["schemas"]["Heartbeat"]["required"] == ["device_id"]
    assert client.post("/api/devices/openapi.yaml").status_code == 405


# --- concurrent bursts (PostgreSQL) ------------------------------------------------------------

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql",
                                   reason="row locks: the PostgreSQL pass (scripts/with-postgres)")


def _in_thread(fn):
    """Run fn in its own thread, so its own connection, committed as a server worker's would be."""
    out: dict = {}

    def run():
        try:
            out["value"] = fn()
        except BaseException as e:  # noqa: BLE001 - re-raised in the test's thread
            out["error"] = e
        finally:
            connection.close()

    t = threading.Thread(target=run)
    t.start()
    t.join(120)
    if "error" in out:
        raise out["error"]
    return out.get("value")


@postgres_only
def test_a_burst_over_concurrent_posts_from_one_device_is_one_case():
    """Eight batches of 125 alarms from one device at the same instant, each in its own connection
    and transaction (as from eight server workers): the device's row lock makes them one alarm
    record counting 1,000 and one case, never one case per batch."""
    n, size = 8, 125

    def setup():
        key = intake_key("burst-key", name="并发测试")
        dev = door("BURST-1", "并发门禁", alarm_types={"forced_open": "street_order"})
        return dev.organisation_id, dev.pk, key.pk

    org_id, dev_id, key_id = _in_thread(setup)
    barrier, errors = threading.Barrier(n), []

    def burst():
        try:
            barrier.wait(30)
            results = do_receive_alarms(org_id, [{"device_id": "BURST-1",
                                                  "type": "forced_open"}] * size)
            assert all(r["ok"] for r in results)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)
        finally:
            connection.close()

    try:
        threads = [threading.Thread(target=burst) for _ in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert not errors, errors
        rows = _in_thread(lambda: list(Alarm.objects.filter(device_id=dev_id).values_list(
            "count", "case_id")))
        assert len(rows) == 1 and rows[0][0] == n * size and rows[0][1] is not None
    finally:
        def cleanup():
            cases = list(Alarm.objects.filter(device_id=dev_id).exclude(case=None).values_list(
                "case_id", flat=True))
            Device.objects.filter(pk=dev_id).delete()
            Case.objects.filter(pk__in=cases).delete()
            DeviceKey.objects.filter(pk=key_id).delete()
        _in_thread(cleanup)
