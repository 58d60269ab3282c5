"""Device alarms: smart-community devices post alarms to ``POST /api/devices/alarms/`` with their
organisation's device key (``Authorization: Bearer <key>``), one JSON object or an array of up to
MAX_BATCH::

    {"device_id": "DOOR-0001", "type": "forced_open", "time": "2026-12-03T21:00:00+08:00",
     "payload": {"door": "东门"}}

An alarm type the device maps to a case type files a case at the device's compound (through
workflow.do_file, channel "device"); one mapped to "" is recorded only; an unknown type, an
unknown device or another organisation's device is refused for that item. Alarms of one type from
one device within WINDOW of the last one are one Alarm row with a count, never a second case: a
burst of a thousand makes one case. Each key may post RATE batches a minute (lib.http.RateLimit).

Heartbeats go to ``POST /api/devices/heartbeats/`` with the same key, one object or an array of
up to MAX_BATCH (``{"device_id": "DOOR-0001", "time": "…"}``, time optional); they (and alarms)
stamp the device's last_seen_at. A device silent for longer than its kind's DeviceSilence
(DeviceSilence.DEFAULT_MINUTES without a row) is offline: offline() is that query, the statistics
page counts it and the device list (/cases/devices/) shows each since when. Both endpoints are
described in devices.yaml, served at /api/devices/openapi.yaml.

The heartbeat job (check_offline, every minute, web/jobs.py) opens a DeviceOutage for a device
newly offline and notifies its operating organisation once for that silence (a Notification on
its queue page); a heartbeat or an alarm ends the outage as it arrives (end_outages), and the job
ends those of devices no longer offline otherwise (disabled, or a longer silence configured).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from minsheng.cases import workflow
from minsheng.cases.models import (
    Alarm,
    Case,
    CaseType,
    Device,
    DeviceKey,
    DeviceOutage,
    DeviceSilence,
    Notification,
)
from minsheng.lib.http import RateLimit
from minsheng.lib.text import json_loads

__all__ = ["MAX_BATCH", "WINDOW", "alarms_view", "check_offline", "do_receive_alarms",
           "do_receive_heartbeats", "end_outages", "heartbeats_view", "offline", "openapi_view",
           "silences"]

MAX_BATCH = 1000
MAX_BODY = 1024 * 1024  # bytes
WINDOW = dt.timedelta(minutes=30)
RATE = RateLimit("devices:post", 120, 60)  # batches a minute per key
HEARTBEAT_RATE = RateLimit("devices:heartbeat", 120, 60)  # heartbeat batches a minute per key
SCHEMA = Path(__file__).with_name("devices.yaml")
TYPE_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_-.")


def _time(raw, now: dt.datetime) -> dt.datetime:
    if raw in (None, ""):
        return now
    if not isinstance(raw, str) or len(raw) > 40:
        raise ValidationError("time 须为 ISO 8601 时间")
    try:
        at = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError("time 须为 ISO 8601 时间") from None
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    if not now - dt.timedelta(days=7) <= at <= now + dt.timedelta(minutes=5):
        raise ValidationError("time 须在过去 7 天之内")
    return at


def _code(raw: dict) -> str:
    code = raw.get("device_id")
    if not isinstance(code, str) or not 0 < len(code) <= 64 or not code.isprintable():
        raise ValidationError("device_id 无效")
    return code


def _item(raw, now: dt.datetime) -> tuple[str, str, dt.datetime, dict]:
    if not isinstance(raw, dict):
        raise ValidationError("每条告警须为 JSON 对象")
    code, kind = _code(raw), raw.get("type")
    if not isinstance(kind, str) or not 0 < len(kind) <= 40 or not set(kind) <= TYPE_CHARS:
        raise ValidationError("type 无效（小写字母、数字、_-.）")
    payload = raw.get("payload") or {}
    if not isinstance(payload, dict) or len(json.dumps(payload)) > 2000:
        raise ValidationError("payload 须为 2000 字节以内的 JSON 对象")
    return code, kind, _time(raw.get("time"), now), payload


@transaction.atomic
def do_receive_alarms(organisation_id: int, items: list, *,
                      now: dt.datetime | None = None) -> list[dict]:
    """Record a batch of alarms of one organisation's devices; one result per item, in order:
    {"ok": true, "alarm": id, "count": n, "case": number|None} or {"ok": false, "error": …}."""
    now = now or timezone.now()
    parsed: list = []
    for raw in items:
        try:
            parsed.append(_item(raw, now))
        except ValidationError as e:
            parsed.append(e.messages[0])
    codes = {p[0] for p in parsed if isinstance(p, tuple)}
    # The devices' rows are locked (in one order, so two batches never wait on each other in a
    # circle) until this batch commits: a concurrent batch of the same device waits here and then
    # finds the alarm row this one wrote, so a burst spread over many POSTs is still one case.
    devices = {d.code: d for d in Device.objects.select_related("compound").select_for_update(
        of=("self",)).filter(organisation_id=organisation_id, code__in=codes, active=True)
        .order_by("pk")}
    results: list[dict] = []
    groups: dict[tuple[int, str], Alarm] = {}
    types = {}
    for p in parsed:
        if isinstance(p, str):
            results.append({"ok": False, "error": p})
            continue
        code, kind, at, payload = p
        device = devices.get(code)
        if device is None:
            results.append({"ok": False, "error": _unknown(code)})
            continue
        if kind not in device.alarm_types:
            results.append({"ok": False, "error": f"设备未登记告警类型 {kind}"})
            continue
        key = (device.pk, kind)
        alarm = groups.get(key)
        if alarm is None:
            alarm = Alarm.objects.select_for_update().filter(
                device=device, alarm_type=kind, last_at__gte=at - WINDOW).order_by(
                "-last_at").first()
            if alarm is None or (alarm.case_id and not alarm.case.is_open):
                alarm = Alarm.objects.create(device=device, alarm_type=kind, first_at=at,
                                             last_at=at, count=0, payload=payload)
                target = device.alarm_types[kind]
                if target:
                    if target not in types:
                        types[target] = CaseType.objects.filter(pk=target).first()
                    if types[target] is not None:
                        alarm.case = workflow.do_file(
                            case_type=types[target], compound=device.compound,
                            channel=Case.Channel.DEVICE, at=at,
                            description=f"设备告警：{device.name}（{device.code}）{kind}")
            groups[key] = alarm
        alarm.count += 1
        alarm.last_at = max(alarm.last_at, at)
        alarm.payload = payload
        device.last_seen_at = max(device.last_seen_at or at, at)
        results.append({"ok": True, "alarm": alarm, "case": alarm.case})
    for alarm in groups.values():
        alarm.save(update_fields=["count", "last_at", "payload", "case"])
    heard = [d for d in devices.values() if d.last_seen_at]
    Device.objects.bulk_update(heard, ["last_seen_at"])
    end_outages(heard, now)
    return [{"ok": True, "alarm": r["alarm"].pk, "count": r["alarm"].count,
             "case": r["case"].number if r["case"] else None} if r["ok"] else r
            for r in results]


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status, json_dumps_params={
        "ensure_ascii": False})


def _unknown(code: str) -> str:
    return f"没有编号为 {code} 的本单位设备"


@transaction.atomic
def do_receive_heartbeats(organisation_id: int, items: list, *,
                          now: dt.datetime | None = None) -> list[dict]:
    """Stamp the last-seen time of a batch of one organisation's devices; one result per item, in
    order: {"ok": true, "device": code, "last_seen": iso} or {"ok": false, "error": …}. A device
    of another organisation, an unknown or a disabled one is refused for that item."""
    now = now or timezone.now()
    parsed: list = []
    for raw in items:
        try:
            if not isinstance(raw, dict):
                raise ValidationError("每条心跳须为 JSON 对象")
            parsed.append((_code(raw), _time(raw.get("time"), now)))
        except ValidationError as e:
            parsed.append(e.messages[0])
    codes = {p[0] for p in parsed if isinstance(p, tuple)}
    devices = {d.code: d for d in Device.objects.select_for_update().filter(
        organisation_id=organisation_id, code__in=codes, active=True).order_by("pk")}
    results: list = []
    for p in parsed:
        if isinstance(p, str):
            results.append({"ok": False, "error": p})
            continue
        code, at = p
        device = devices.get(code)
        if device is None:
            results.append({"ok": False, "error": _unknown(code)})
            continue
        device.last_seen_at = max(device.last_seen_at or at, at)
        results.append(device)
    Device.objects.bulk_update(list(devices.values()), ["last_seen_at"])
    end_outages([d for d in devices.values() if d.last_seen_at], now)
    return [{"ok": True, "device": r.code, "last_seen": r.last_seen_at.isoformat()}
            if isinstance(r, Device) else r for r in results]


def silences() -> dict[str, dt.timedelta]:
    """Every device kind's silence (the back office's rows, else the default)."""
    rows = dict(DeviceSilence.objects.values_list("kind", "minutes"))
    return {k: dt.timedelta(minutes=rows.get(k, DeviceSilence.DEFAULT_MINUTES))
            for k in Device.Kind.values}


def offline_q(now: dt.datetime | None = None) -> Q:
    """Devices silent longer than their kind's silence, or never heard from."""
    now = now or timezone.now()
    q = Q(last_seen_at__isnull=True)
    for kind, silence in silences().items():
        q |= Q(kind=kind, last_seen_at__lt=now - silence)
    return q


def offline(devices: QuerySet[Device] | None = None,
            now: dt.datetime | None = None) -> QuerySet[Device]:
    """The active devices (of `devices`, default all) that are offline now."""
    qs = Device.objects.all() if devices is None else devices
    return qs.filter(offline_q(now), active=True)


def end_outages(devices: list[Device], now: dt.datetime) -> int:
    """The devices were heard from (a heartbeat or an alarm): their open outages end when they
    were last heard (never later than now). The intake calls this as items arrive."""
    ended = 0
    for o in DeviceOutage.objects.filter(device__in=[d.pk for d in devices],
                                         ended_at__isnull=True).select_related("device"):
        seen = o.device.last_seen_at
        if seen is not None and (o.since is None or seen > o.since):
            o.ended_at = min(seen, now)
            o.save(update_fields=["ended_at"])
            ended += 1
    return ended


def _notice(device: Device) -> str:
    seen = (timezone.localtime(device.last_seen_at).strftime("%m-%d %H:%M")
            if device.last_seen_at else "从未上报")
    return (f"设备离线：{device.name}（{device.code}），{device.compound.name}，"
            f"最后上报 {seen}")[:200]


@transaction.atomic
def check_offline(now: dt.datetime | None = None) -> dict[str, int]:
    """The heartbeat job (web/jobs.py, every minute): a device offline without an open outage
    gets one, and its operating organisation a notice — once per silence; an open outage of a
    device no longer offline (heard from, disabled, or given a longer silence) ends."""
    now = now or timezone.now()
    open_ids = DeviceOutage.objects.filter(ended_at__isnull=True).values("device_id")
    newly = list(offline(now=now).exclude(pk__in=open_ids).select_related("compound")
                 .order_by("pk")[:5000])
    DeviceOutage.objects.bulk_create([DeviceOutage(device=d, since=d.last_seen_at,
                                                   detected_at=now) for d in newly])
    Notification.objects.bulk_create([Notification(organisation_id=d.organisation_id, device=d,
                                                   message=_notice(d)) for d in newly])
    back = list(DeviceOutage.objects.filter(ended_at__isnull=True).exclude(
        device__in=offline(now=now).values("pk")).select_related("device"))
    for o in back:
        seen = o.device.last_seen_at
        o.ended_at = min(seen, now) if seen is not None and (o.since is None or seen > o.since) \
            else now
    DeviceOutage.objects.bulk_update(back, ["ended_at"])
    return {"offline": len(newly), "back": len(back)}


def _intake(request: HttpRequest, rate: RateLimit, what: str):
    """The key, the rate limit and the body of a device POST: (key, items) or an error answer."""
    auth = request.headers.get("Authorization", "")
    raw = auth[7:].strip() if auth.startswith("Bearer ") else ""
    key = DeviceKey.objects.filter(digest=DeviceKey.hash(raw), active=True).first() if raw \
        else None
    if key is None:
        return _error(401, "缺少或无效的设备密钥（Authorization: Bearer …）")
    wait = rate.take([f"key:{key.pk}"])
    if wait:
        resp = _error(429, "请求过于频繁")
        resp["Retry-After"] = str(wait)
        return resp
    if len(request.body) > MAX_BODY:
        return _error(413, "请求过大")
    try:
        data = json_loads(request.body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return _error(400, "请求体须为 JSON")
    items = data if isinstance(data, list) else [data]
    if not items or len(items) > MAX_BATCH:
        return _error(400, f"每次 1 至 {MAX_BATCH} 条{what}")
    return key, items


def _answer(results: list[dict]) -> JsonResponse:
    return JsonResponse({"accepted": sum(r["ok"] for r in results), "results": results},
                        json_dumps_params={"ensure_ascii": False})


@csrf_exempt
@require_POST
def alarms_view(request: HttpRequest) -> JsonResponse:
    """POST /api/devices/alarms/ — see the module docstring."""
    got = _intake(request, RATE, "告警")
    if isinstance(got, JsonResponse):
        return got
    key, items = got
    return _answer(do_receive_alarms(key.organisation_id, items))


@csrf_exempt
@require_POST
def heartbeats_view(request: HttpRequest) -> JsonResponse:
    """POST /api/devices/heartbeats/ — see the module docstring."""
    got = _intake(request, HEARTBEAT_RATE, "心跳")
    if isinstance(got, JsonResponse):
        return got
    key, items = got
    return _answer(do_receive_heartbeats(key.organisation_id, items))


def openapi_view(request: HttpRequest) -> HttpResponse:
    """GET /api/devices/openapi.yaml — the device intake's OpenAPI document."""
    if request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405, headers={"Allow": "GET, HEAD"})
    resp = HttpResponse(SCHEMA.read_bytes(), content_type="application/yaml; charset=utf-8")
    resp["X-Content-Type-Options"] = "nosniff"
    return resp
