"""A plausible year of cases for the demo district (generated, deterministic): requests, patrol
findings, hotline orders, disputes with mediation, legal-aid consultations, administrative
reviews, hazards — with their events, so the statistics pages have something to show. A few open
cases come due minutes after the demo starts, so escalation can be watched happening.

Cases are written in bulk with the same events the workflow would append (filing thousands one
by one through workflow.do_file would take minutes on SQLite); routing uses the real rules.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from minsheng.cases import tally
from minsheng.cases.devices import silences
from minsheng.cases.incidents import demo_returns
from minsheng.cases.models import (
    AdminReview,
    Alarm,
    ApiKey,
    Attachment,
    CallBack,
    Case,
    CaseEvent,
    CaseType,
    Device,
    DeviceKey,
    Extension,
    Mediation,
    MediationSession,
    Party,
    RatingChannel,
    RoutingRule,
    SupervisionOrder,
)
from minsheng.cases.routing import dispatcher, nearest_org, route
from minsheng.lib.images import labelled_photo
from minsheng.places.demo import phone_number
from minsheng.places.models import Compound, Organisation, Region

DEMO_API_KEY = "minsheng-demo-key"
DEMO_DEVICE_KEY = "minsheng-demo-device-key"
S = Case.Status
A = CaseEvent.Action

WEIGHTS = {  # relative frequency per year
    "property_repair": 420, "roof_leak": 90, "sewage": 110, "environment": 380,
    "street_order": 330, "civilised_city": 160, "noise": 150, "neighbour_dispute": 170,
    "family_dispute": 80, "property_dispute": 120, "labour_dispute": 60, "legal_aid": 400,
    "admin_dispute": 12, "reconsideration": 6, "safety_hazard": 480, "enterprise_interview": 52,
    "petition": 40,
}
TEXTS = {
    "property_repair": ["单元门禁坏了一周没人修", "电梯经常停运，老人上下楼困难", "楼道灯不亮", "二次供水水压太低"],
    "roof_leak": ["顶楼房顶漏水，下雨天屋里滴水", "楼顶防水层破损渗水"],
    "sewage": ["小区下水道堵塞，污水外溢到路面", "化粪池满溢，气味很大"],
    "environment": ["垃圾桶满了没人清运", "绿化带里堆了建筑垃圾"],
    "street_order": ["路口占道经营，影响通行", "人行道上乱停车"],
    "civilised_city": ["公益广告牌破损", "公共座椅损坏"],
    "noise": ["夜间施工噪音扰民", "广场舞音响声音太大"],
    "neighbour_dispute": ["楼上漏水到楼下，双方协商不成", "邻居占用公共楼道堆放杂物"],
    "family_dispute": ["子女赡养老人问题纠纷", "离婚后子女抚养费纠纷"],
    "property_dispute": ["业主对物业费上涨有异议", "停车位分配引发业主与物业纠纷"],
    "labour_dispute": ["工地拖欠农民工工资", "公司未签劳动合同"],
    "legal_aid": ["咨询租房合同纠纷如何处理", "咨询交通事故赔偿", "申请法律援助"],
    "admin_dispute": ["对行政处罚决定有异议"],
    "reconsideration": ["对拆违决定申请行政复议"],
    "safety_hazard": ["电动车在楼道充电", "燃气管道老化", "消防通道被堵"],
    "enterprise_interview": ["企业存在安全隐患，约谈负责人限期整改"],
    "petition": ["反映房屋征收补偿问题"],
}
NAMES = ["王芳", "李强", "张敏", "刘洋", "陈静", "杨磊", "赵丽", "黄伟", "周杰", "吴涛", "徐娜", "孙勇"]


def demo_routing_rules(district: Region) -> None:
    """Departments for the categories whose handler is a department."""
    by_name = {o.name: o for o in Organisation.objects.filter(region=district,
                                                               kind="department")}
    rules = {"labour_dispute": "区人力资源和社会保障局", "admin_dispute": "区司法局",
             "reconsideration": "区司法局", "enterprise_interview": "区应急管理局"}
    for code, name in rules.items():
        if name in by_name:
            RoutingRule.objects.get_or_create(case_type_id=code, region_prefix=district.code[:6],
                                              defaults={"organisation": by_name[name]})


def demo_api_key() -> None:
    ApiKey.objects.get_or_create(digest=ApiKey.hash(DEMO_API_KEY),
                                 defaults={"name": "演示客户端（minsheng-demo-key）"})


@transaction.atomic
def generate(district6: str = "131002", *, n: int = 3000, progress=print) -> int:
    """About `n` cases a year from 1 January last year to now, with their histories."""
    district = Region.objects.get(code=district6.ljust(12, "0"))
    demo_routing_rules(district)
    demo_api_key()
    if demo_returns(district):
        progress(f"{district.name}: 无物业小区近 18 个月已审核的警情月报（生成）")
    if Case.objects.filter(region__code__startswith=district6, generated=True).exists():
        progress(f"{district.name}: 诉求演示数据已存在，跳过生成")
        return 0
    rng = random.Random(f"minsheng-cases-{district6}")  # noqa: S311 - not security
    now = timezone.now()
    types = {t.code: t for t in CaseType.objects.all()}
    codes = [c for c in WEIGHTS if c in types]
    weights = [WEIGHTS[c] for c in codes]
    compounds = list(Compound.objects.in_region(district.code).select_related(
        "region", "property_company", "grid"))
    cw = [max(1, c.population) for c in compounds]
    route_cache: dict[tuple, Organisation] = {}
    cases: list[Case] = []
    # From 1 January last year to now, at `n` a year, so that last year is complete on any date
    # (its annual figures and report) and this year has its cases so far.
    first = dt.datetime(timezone.localdate().year - 1, 1, 1,
                        tzinfo=timezone.get_current_timezone())
    span_days = (now - first).total_seconds() / 86400
    for i in range(round(n * span_days / 365)):
        t = types[rng.choices(codes, weights=weights)[0]]
        c = rng.choices(compounds, weights=cw)[0]
        at = now - dt.timedelta(days=rng.uniform(0.2, span_days - 0.5),
                                minutes=rng.randint(0, 600))
        key = (t.code, c.region_id, c.property_company_id if t.property_first else None)
        if key not in route_cache:
            route_cache[key] = route(t, c.region, c)
        org = route_cache[key]
        channel = (Case.Channel.PATROL if t.group in ("hazard",) or rng.random() < 0.2 else
                   rng.choice([Case.Channel.RESIDENT, Case.Channel.HOTLINE, Case.Channel.HOTLINE]))
        cases.append(Case(
            number=f"{district6}-{timezone.localtime(at):%Y%m%d}-9{i:04d}", token=secrets.token_urlsafe(16)[:22],
            case_type=t, description=rng.choice(TEXTS.get(t.code, ["问题反映"])), channel=channel,
            region=c.region, grid=c.grid, compound=c,
            lat=c.lat + rng.uniform(-0.0008, 0.0008), lng=c.lng + rng.uniform(-0.001, 0.001),
            address=c.address, reporter_name=rng.choice(NAMES), reporter_phone=phone_number(rng),
            organisation=org, created_at=at,
            accept_due=at + dt.timedelta(hours=t.accept_hours),
            resolve_due=at + dt.timedelta(hours=t.resolve_hours),
            public=t.public, generated=True, status=S.ASSIGNED,
            external_id=f"12345-{at:%Y%m%d}{i:04d}" if channel == Case.Channel.HOTLINE else ""))
    Case.objects.bulk_create(cases, batch_size=500)
    cases = list(Case.objects.filter(region__code__startswith=district6, generated=True)
                 .select_related("case_type", "organisation", "region"))
    events: list[CaseEvent] = []
    for c in cases:
        _history(rng, c, now, events)
    Case.objects.bulk_update(cases, ["status", "accepted_at", "resolved_at", "closed_at",
                                     "outcome", "verdict", "rating", "overdue",
                                     "escalation_level", "reopen_count"], batch_size=500)
    CaseEvent.objects.bulk_create(events, batch_size=1000)
    _mediations(rng, [c for c in cases if c.case_type.mediation], now)
    _reviews(rng, [c for c in cases if c.case_type.admin_review], now)
    _outcome_kinds(cases)
    _rating_channels(cases)
    _extensions(rng, cases[6:], now)
    _supervisions(rng, cases[6:], now)
    _due_soon(rng, cases[:3], now)
    _overdue(cases[3:6], now)
    public = sorted((c for c in cases if c.public and c.case_type.public),
                    key=lambda c: c.created_at, reverse=True)
    _photos(public[:36:3])  # recent ones: Open311's default list covers the last 90 days
    n_devices = _devices(rng, district, cases, now)
    tally.invalidate(district6)  # bulk writes and back-dating above bypass the ORM's signals
    progress(f"{district.name}: 智能设备 {n_devices} 台（含离线设备）及其告警")
    progress(f"{district.name}: 生成去年以来的诉求 {len(cases)} 件及办理记录（含调解、复议、隐患）")
    return len(cases)


# kind → (code prefix, name, alarm type → case type or "" for record only)
DEVICES = {
    Device.Kind.CAMERA: ("CAM", "智慧平安摄像头", {"fire_lane_blocked": "safety_hazard",
                                                 "loitering": "", "camera_blocked": ""}),
    Device.Kind.DOOR: ("DOOR", "人脸识别门禁", {"forced_open": "safety_hazard",
                                              "held_open": "", "stranger": ""}),
    Device.Kind.BIN: ("BIN", "智能垃圾箱", {"overflow": "environment", "full": ""}),
    Device.Kind.SMOKE: ("SMK", "独立式烟感", {"smoke": "safety_hazard", "battery_low": ""}),
    Device.Kind.WATER: ("WTR", "水浸传感器", {"water_leak": "property_repair",
                                          "pressure_low": ""}),
}


def demo_device_key(organisation: Organisation) -> None:
    DeviceKey.objects.get_or_create(digest=DeviceKey.hash(DEMO_DEVICE_KEY), defaults={
        "name": "演示设备平台（minsheng-demo-device-key）", "organisation": organisation})


def _devices(rng, district: Region, cases: list[Case], now: dt.datetime) -> int:
    """Smart devices in compounds without a property company (智慧平安小区: a camera in each, doors,
    bins, smoke and water sensors in some), operated by the district's office with the demo
    device key. Most were heard from minutes ago; about one in six has fallen silent past its
    kind's setting (one never reported), so "devices offline" has something to show. Each has
    record-only alarm bursts over the last 90 days, and a few of the generated hazard,
    environment and repair cases at their compounds came from a device's alarm."""
    operator = dispatcher(district)
    demo_device_key(operator)
    # compounds where a recent case could have come by a device's alarm first, then others
    mapped = {t for _p, _n, types in DEVICES.values() for t in types.values() if t}
    recent = {c.compound_id for c in cases[6:] if c.case_type_id in mapped and c.channel in (
        Case.Channel.PATROL, Case.Channel.RESIDENT) and c.created_at > now - dt.timedelta(days=90)}
    compounds = list(Compound.objects.in_region(district.code).filter(
        property_company__isnull=True).order_by("pk"))
    rng.shuffle(compounds)
    compounds.sort(key=lambda c: c.pk not in recent)
    compounds = sorted(compounds[:16], key=lambda c: c.pk)
    silence = silences()
    devices: list[Device] = []
    for k, comp in enumerate(compounds):
        kinds = [Device.Kind.CAMERA] + [kind for kind, every, at in (
            (Device.Kind.DOOR, 2, 0), (Device.Kind.BIN, 3, 0), (Device.Kind.SMOKE, 4, 1),
            (Device.Kind.WATER, 5, 2)) if k % every == at]
        for kind in kinds:
            prefix, name, types = DEVICES[kind]
            silent = len(devices) % 6 == 5
            seen = (now - silence[kind] - dt.timedelta(hours=rng.uniform(1, 240)) if silent
                    else now - dt.timedelta(minutes=rng.uniform(0.5, 5)))
            devices.append(Device(
                organisation=operator, code=f"{prefix}-{comp.pk:05d}", compound=comp, kind=kind,
                name=f"{comp.name}{name}", alarm_types=types,
                last_seen_at=None if len(devices) == 11 else seen))
    # the demo's devices are built with its cases, relative to now: a rebuild replaces them
    Device.objects.filter(organisation=operator, code__in=[d.code for d in devices]).delete()
    Device.objects.bulk_create(devices)
    alarms: list[Alarm] = []
    for d in devices:
        quiet = [t for t, target in d.alarm_types.items() if not target]
        for _ in range(rng.randint(2, 9)):
            first = now - dt.timedelta(days=rng.uniform(0.5, 90))
            if d.last_seen_at is None or first > d.last_seen_at:
                continue  # a device says nothing after it fell silent
            alarms.append(Alarm(device=d, alarm_type=rng.choice(quiet), first_at=first,
                                last_at=min(now, first + dt.timedelta(minutes=rng.randint(0, 25))),
                                count=rng.randint(1, 60)))
    # a generated case at a device's compound, of the type one of its alarms files, came by it
    taken: set[int] = set()
    by_place = {}
    for c in sorted(cases[6:], key=lambda c: c.created_at, reverse=True):  # [:6]: re-dated
        if c.channel in (Case.Channel.PATROL, Case.Channel.RESIDENT) and \
                c.created_at > now - dt.timedelta(days=90):
            by_place.setdefault((c.compound_id, c.case_type_id), []).append(c)
    for d in devices:
        for kind, target in d.alarm_types.items():
            c = next((c for c in by_place.get((d.compound_id, target), []) if c.pk not in taken
                      and d.last_seen_at and c.created_at < d.last_seen_at), None)
            if c is None:
                continue
            taken.add(c.pk)
            c.channel, c.reporter_name, c.reporter_phone = Case.Channel.DEVICE, "", ""
            c.description = f"设备告警：{d.name}（{d.code}）{kind}"
            c.external_id = ""
            alarms.append(Alarm(device=d, alarm_type=kind, first_at=c.created_at,
                                last_at=min(now, c.created_at + dt.timedelta(
                                    minutes=rng.randint(0, 20))),
                                count=rng.randint(1, 12), case=c))
            Case.objects.filter(pk=c.pk).update(
                channel=c.channel, reporter_name="", reporter_phone="", description=c.description,
                external_id="")
            CaseEvent.objects.filter(case=c, action=A.CREATED).update(
                note=c.get_channel_display())
    Alarm.objects.bulk_create(alarms, batch_size=500)
    return len(devices)


def _extensions(rng, cases: list[Case], now: dt.datetime) -> None:
    """About one accepted case in thirty asked for an extension (延期) while it was being handled:
    most approved (the deadline moved), some refused, a few still waiting; all in the past."""
    exts, events, moved = [], [], []
    for c in cases:
        if c.accepted_at is None or rng.random() > 0.033:
            continue
        end = min(c.resolved_at or now, now)
        if end - c.accepted_at < dt.timedelta(hours=2):
            continue
        asked = c.accepted_at + (end - c.accepted_at) * rng.uniform(0.2, 0.6)
        decided = asked + (end - asked) * rng.uniform(0.1, 0.5)
        new_due = c.resolve_due + dt.timedelta(days=rng.randint(3, 10))
        pending = c.resolved_at is None and rng.random() < 0.3
        status = (Extension.Status.PENDING if pending else
                  Extension.Status.APPROVED if rng.random() < 0.8 else Extension.Status.REFUSED)
        reason = rng.choice(["需协调多个部门联合处置", "等待维修配件到货", "需走业主表决程序"])
        exts.append(Extension(case=c, reason=reason, old_due=c.resolve_due, new_due=new_due,
                              status=status, requested_at=asked,
                              decided_at=None if pending else decided,
                              decision_note="" if status != Extension.Status.REFUSED
                              else "时限内可以办结"))
        events.append(CaseEvent(case=c, at=asked, action=A.EXTENSION, from_status=S.ACCEPTED,
                                to_status=S.ACCEPTED, organisation=c.organisation,
                                note=f"申请延期至 {timezone.localtime(new_due):%Y-%m-%d %H:%M}：{reason}"))
        if not pending:
            verdict = "批准延期" if status == Extension.Status.APPROVED else "不批准延期"
            events.append(CaseEvent(case=c, at=decided, action=A.EXTENSION,
                                    from_status=S.ACCEPTED, to_status=S.ACCEPTED,
                                    organisation=c.organisation, note=verdict))
        if status == Extension.Status.APPROVED:
            c.resolve_due = new_due
            moved.append(c)
        if pending and c.paused_at is None:  # the clock stops until the decision
            exts[-1].paused_clock = True
            c.paused_at = asked
            moved.append(c)
    Extension.objects.bulk_create(exts, batch_size=500)
    CaseEvent.objects.bulk_create(events, batch_size=1000)
    Case.objects.bulk_update(moved, ["resolve_due", "paused_at"], batch_size=500)


def _rating_channels(cases: list[Case]) -> None:
    """Which way each rating came: residents who filed online rated through the web link; the
    others (12345 callers, patrol and walk-in cases) answered a staff call-back (回访), recorded as
    a CallBack with its private event at the time of the rating. Draws no random numbers."""
    calls, events, rated = [], [], []
    for c in cases:
        at = getattr(c, "_rated_at", None)
        if c.rating is None or at is None:
            continue
        rated.append(c)
        if c.channel in (Case.Channel.RESIDENT, Case.Channel.OPEN311):
            c.rating_channel = RatingChannel.WEB
            continue
        c.rating_channel = RatingChannel.CALLBACK
        fixed = c.verdict == Case.Verdict.FIXED
        caller = "12345热线回访组" if c.channel == Case.Channel.HOTLINE else "街道回访员"
        calls.append(CallBack(case=c, caller_name=caller, called_at=at, reached=True,
                              rating=c.rating, fixed=fixed))
        events.append(CaseEvent(case=c, at=at, action=A.CALLBACK, from_status=S.RESOLVED,
                                to_status=S.RESOLVED, organisation=c.organisation, public=False,
                                note=f"回访（{caller}）：{c.rating} 分，"
                                + ("问题已解决" if fixed else "问题未解决")))
    Case.objects.bulk_update(rated, ["rating_channel"], batch_size=500)
    CallBack.objects.bulk_create(calls, batch_size=500)
    CaseEvent.objects.bulk_create(events, batch_size=1000)


OUTCOMES = [  # (kind, weight, outcome text, rule, where)
    ("resolved", 80, None, "", ""),
    ("partly", 8, "已部分解决，其余纳入下一步计划", "", ""),
    ("explained", 7, "已向居民解释说明，依规暂不能解决",
     "《河北省城市市容和环境卫生条例》相关条款", ""),
    ("redirected", 5, "不属于本平台受理范围，已告知居民去处", "", "110（治安案件）"),
]


def _outcome_kinds(cases: list[Case]) -> None:
    """Each resolved case's outcome as data (its own random stream, so the rest of the demo is
    unchanged)."""
    rng = random.Random("minsheng-case-outcomes")  # noqa: S311 - not security
    done = [c for c in cases if c.outcome]
    texts: dict[str, list[int]] = {}
    for c in done:
        kind, _, text, rule, where = rng.choices(OUTCOMES, weights=[o[1] for o in OUTCOMES])[0]
        c.outcome_kind, c.outcome_rule, c.outcome_redirect = kind, rule, where
        if text:
            c.outcome = text
            texts.setdefault(text, []).append(c.pk)
    Case.objects.bulk_update(done, ["outcome_kind", "outcome_rule", "outcome_redirect",
                                    "outcome"], batch_size=500)
    for text, pks in texts.items():  # the first 办结 event says the same
        CaseEvent.objects.filter(case_id__in=pks, action=A.RESOLVED,
                                 note__startswith="已").exclude(note="二次处理完毕").update(note=text)


def _supervisions(rng, cases: list[Case], now: dt.datetime) -> None:
    """About one overdue case in four got a 督办 order two days after its deadline, answered within
    three days mostly; the rest escalated when unanswered. All in the past."""
    orders, events = [], []
    for c in cases:
        if not c.overdue or rng.random() > 0.25:
            continue
        issued = c.accept_due + dt.timedelta(hours=rng.uniform(1, 48))
        due = issued + dt.timedelta(days=3)
        if due + dt.timedelta(days=1) > now:
            continue
        answered = issued + dt.timedelta(hours=rng.uniform(4, 96)) if rng.random() < 0.85 else None
        escalated = due if answered is None or answered > due else None
        orders.append(SupervisionOrder(
            case=c, organisation=c.organisation, instruction="超时未办，请说明原因并限期办结",
            due=due, issued_at=issued, answer="已加派人员，限期办结" if answered else "",
            answered_at=answered, escalated_at=escalated))
        events.append(CaseEvent(case=c, at=issued, action=A.SUPERVISION, from_status=c.status,
                                to_status=c.status, organisation=c.organisation,
                                note="督办：超时未办，请说明原因并限期办结"))
        if answered:
            events.append(CaseEvent(case=c, at=answered, action=A.SUPERVISION,
                                    from_status=c.status, to_status=c.status,
                                    organisation=c.organisation, note="督办答复：已加派人员，限期办结"))
    SupervisionOrder.objects.bulk_create(orders, batch_size=500)
    CaseEvent.objects.bulk_create(events, batch_size=1000)


def _history(rng, c: Case, now: dt.datetime, events: list[CaseEvent]) -> None:
    t = c.case_type
    events.append(CaseEvent(case=c, at=c.created_at, action=A.CREATED,
                            to_status=S.ASSIGNED, organisation=c.organisation,
                            note=c.get_channel_display()))
    events.append(CaseEvent(case=c, at=c.created_at, action=A.ROUTED, from_status=S.ASSIGNED,
                            to_status=S.ASSIGNED, organisation=c.organisation,
                            note=f"派至 {c.organisation.name}"))
    late = rng.random() < 0.12
    accept_h = t.accept_hours * (rng.uniform(1.1, 2.5) if late else rng.uniform(0.05, 0.9))
    accepted = c.created_at + dt.timedelta(hours=accept_h)
    if accepted > now:
        return  # still waiting to be accepted
    if late:
        c.overdue, c.escalation_level = True, 1
        events.append(CaseEvent(case=c, at=c.accept_due, action=A.ESCALATED,
                                from_status=S.ASSIGNED, to_status=S.ASSIGNED,
                                organisation=c.organisation, note="超过受理时限，已升级督办"))
    c.status, c.accepted_at = S.ACCEPTED, accepted
    events.append(CaseEvent(case=c, at=accepted, action=A.ACCEPTED, from_status=S.ASSIGNED,
                            to_status=S.ACCEPTED, organisation=c.organisation))
    slow = rng.random() < 0.1
    resolve_h = t.resolve_hours * (rng.uniform(1.05, 2.0) if slow else rng.uniform(0.1, 0.95))
    resolved = c.created_at + dt.timedelta(hours=resolve_h)
    if resolved > now:
        return
    if slow:
        c.overdue = True
    c.status, c.resolved_at = S.RESOLVED, resolved
    c.outcome = "已处理完毕，现场复核合格" if t.group != "legal" else "已解答并告知维权途径"
    events.append(CaseEvent(case=c, at=resolved, action=A.RESOLVED, from_status=S.ACCEPTED,
                            to_status=S.RESOLVED, organisation=c.organisation, note=c.outcome))
    rated = resolved + dt.timedelta(hours=rng.uniform(2, 100))
    if rated > now:
        return
    if rng.random() < 0.75:
        c._rated_at = rated  # when the resident answered (a call-back for phone cases)
        fixed = rng.random() < 0.9
        c.rating = rng.choice([4, 5, 5, 5]) if fixed else rng.choice([1, 2, 2, 3])
        c.verdict = Case.Verdict.FIXED if fixed else Case.Verdict.NOT_FIXED
        if fixed:
            c.status, c.closed_at = S.CLOSED, rated
            events.append(CaseEvent(case=c, at=rated, action=A.RATED, from_status=S.RESOLVED,
                                    to_status=S.CLOSED, organisation=c.organisation))
        else:
            c.status, c.reopen_count, c.resolved_at = S.ACCEPTED, 1, None
            events.append(CaseEvent(case=c, at=rated, action=A.REOPENED,
                                    from_status=S.RESOLVED, to_status=S.ACCEPTED,
                                    organisation=c.organisation, note="居民评价问题未解决"))
            again = rated + dt.timedelta(hours=rng.uniform(24, 120))
            if again < now:
                c.status, c.resolved_at, c.closed_at = S.CLOSED, again, again + dt.timedelta(
                    days=7)
                events.append(CaseEvent(case=c, at=again, action=A.RESOLVED,
                                        from_status=S.ACCEPTED, to_status=S.RESOLVED,
                                        organisation=c.organisation, note="二次处理完毕"))
                events.append(CaseEvent(case=c, at=c.closed_at, action=A.CLOSED,
                                        from_status=S.RESOLVED, to_status=S.CLOSED,
                                        organisation=c.organisation, note="办结后 7 天未评价，自动关闭"))
    elif rated + dt.timedelta(days=7) < now:
        c.status, c.closed_at = S.CLOSED, resolved + dt.timedelta(days=7)
        events.append(CaseEvent(case=c, at=c.closed_at, action=A.CLOSED, from_status=S.RESOLVED,
                                to_status=S.CLOSED, organisation=c.organisation,
                                note="办结后 7 天未评价，自动关闭"))


def _mediations(rng, cases: list[Case], now: dt.datetime) -> None:
    for c in cases:
        committee = c.organisation if c.organisation.kind == "mediation_committee" else \
            nearest_org("mediation_committee", c.region)
        done = c.status in (S.RESOLVED, S.CLOSED)
        ok = rng.random() < 0.93
        m = Mediation.objects.create(
            case=c, committee=committee, matter=c.description,
            agreement="双方自愿达成协议：责任方于十五日内修复并赔偿损失。" if done and ok else "",
            outcome=(Mediation.Outcome.SETTLED if ok else Mediation.Outcome.FAILED) if done
            else Mediation.Outcome.PENDING,
            referral="" if ok or not done else rng.choice(["court", "arbitration"]),
            amount=Decimal(rng.choice([0, 0, 500, 2000, 8000, 30000])) if done else None,
            concluded_at=c.resolved_at if done else None)
        Party.objects.bulk_create([
            Party(mediation=m, role=Party.Role.APPLICANT, name=c.reporter_name,
                  phone=c.reporter_phone),
            Party(mediation=m, role=Party.Role.RESPONDENT, name=rng.choice(NAMES),
                  phone=phone_number(rng))])
        if c.accepted_at and c.accepted_at + dt.timedelta(days=1) < now:
            MediationSession.objects.create(mediation=m, held_at=c.accepted_at + dt.timedelta(
                days=1), place=f"{committee.name}调解室", notes="听取双方陈述，释法明理。")


def _reviews(rng, cases: list[Case], now: dt.datetime) -> None:
    """The seed's figures for reconsiderations: accepted 6, concluded 4 (1 corrected, 1 settled),
    215万元 recovered; about half of administrative disputes resolved by the dispute centre."""
    outcomes = ["corrected", "settled", "upheld", "dismissed"]
    # the oldest six, concluded (the first four) within 50 days but never after now: a fact
    # recorded in the demo is never dated in the future
    recon = sorted((c for c in cases if c.case_type.code == "reconsideration"),
                   key=lambda c: (c.created_at, c.pk))[:6]
    for k, c in enumerate(recon):
        concluded = k < 4
        latest = max(c.created_at, now - dt.timedelta(hours=1))
        accepted_at = min(c.created_at + dt.timedelta(days=3), latest)
        concluded_at = min(c.created_at + dt.timedelta(days=50), latest)
        AdminReview.objects.create(
            case=c, kind=AdminReview.Kind.RECONSIDERATION, respondent="区城市管理综合行政执法局",
            accepted=True, accepted_at=accepted_at,
            concluded_at=concluded_at if concluded else None,
            outcome=outcomes[k] if concluded else "",
            amount_recovered=Decimal("1250000") if k == 0 else (Decimal("900000") if k == 1
                                                                else None))
    for k, c in enumerate(c for c in cases if c.case_type.code == "admin_dispute"):
        AdminReview.objects.create(case=c, kind=AdminReview.Kind.DISPUTE, accepted=True,
                                   accepted_at=c.accepted_at, by_dispute_centre=k % 2 == 0,
                                   concluded_at=c.resolved_at,
                                   outcome="settled" if c.resolved_at else "")
    for c in cases:
        if not hasattr(c, "admin_review") and not AdminReview.objects.filter(case=c).exists():
            AdminReview.objects.create(case=c, kind=AdminReview.Kind.RECONSIDERATION,
                                       accepted=False)


def _due_soon(rng, cases: list[Case], now: dt.datetime) -> None:
    """Three open cases that come due a few minutes after the demo starts: the SLA job
    escalates them while you watch (the queue and the case pages show it)."""
    for k, c in enumerate(cases):
        created = now - dt.timedelta(hours=c.case_type.accept_hours) + dt.timedelta(
            minutes=2 + k)
        Case.objects.filter(pk=c.pk).update(
            number=renumbered(c, created), status=S.ASSIGNED, accepted_at=None, resolved_at=None, closed_at=None,
            created_at=created, accept_due=now + dt.timedelta(minutes=2 + k),
            resolve_due=created + dt.timedelta(hours=c.case_type.resolve_hours), overdue=False,
            escalation_level=0, rating=None, verdict="", outcome="", reopen_count=0)
        CaseEvent.objects.filter(case=c).exclude(action__in=[A.CREATED, A.ROUTED]).delete()
        CaseEvent.objects.filter(case=c).update(at=created)
        Mediation.objects.filter(case=c).update(outcome=Mediation.Outcome.PENDING,
                                                concluded_at=None, agreement="")


def renumbered(c: Case, created: dt.datetime) -> str:
    """The case's number with the date it was (re)filed on: the number carries the local
    submission date, as workflow.do_file numbers a real case."""
    district6, _date, serial = c.number.split("-")
    return f"{district6}-{timezone.localtime(created):%Y%m%d}-{serial}"


def _photos(cases: list[Case]) -> None:
    """A generated, labelled photo (演示照片) filed with some public cases, so the public
    tracking page and Open311's media_url show photos as real ones would."""
    for c in cases:
        photo = labelled_photo(c.case_type.name, c.pk)
        att = Attachment(case=c, width=photo.width, height=photo.height)
        att.image.save(photo.name(), photo.file(), save=True)


def _overdue(cases: list[Case], now: dt.datetime) -> None:
    """Three cases accepted late and still not resolved past their deadline, escalated once: the
    queue's red clocks and the overdue figures have something to show on any day."""
    for c in cases:
        t = c.case_type
        created = now - dt.timedelta(hours=t.resolve_hours + 30)
        accept_due = created + dt.timedelta(hours=t.accept_hours)
        accepted = accept_due + dt.timedelta(hours=2)
        Case.objects.filter(pk=c.pk).update(
            number=renumbered(c, created), status=S.ACCEPTED, created_at=created, accept_due=accept_due, accepted_at=accepted,
            resolve_due=created + dt.timedelta(hours=t.resolve_hours), resolved_at=None,
            closed_at=None, overdue=True, escalation_level=1, rating=None, verdict="",
            outcome="", reopen_count=0)
        CaseEvent.objects.filter(case=c).delete()
        CaseEvent.objects.bulk_create([
            CaseEvent(case=c, at=created, action=A.CREATED, to_status=S.ASSIGNED,
                      organisation=c.organisation, note=c.get_channel_display()),
            CaseEvent(case=c, at=created, action=A.ROUTED, from_status=S.ASSIGNED,
                      to_status=S.ASSIGNED, organisation=c.organisation,
                      note=f"派至 {c.organisation.name}"),
            CaseEvent(case=c, at=accept_due, action=A.ESCALATED, from_status=S.ASSIGNED,
                      to_status=S.ASSIGNED, organisation=c.organisation,
                      note="超过受理时限，已升级督办"),
            CaseEvent(case=c, at=accepted, action=A.ACCEPTED, from_status=S.ASSIGNED,
                      to_status=S.ACCEPTED, organisation=c.organisation)])
        Mediation.objects.filter(case=c).update(outcome=Mediation.Outcome.PENDING,
                                                concluded_at=None, agreement="")
