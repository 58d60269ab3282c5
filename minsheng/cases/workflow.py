"""The case workflow: explicit states, permitted transitions per role, and an event for every
change. This is the only module that changes `Case.status`.

    assigned ──accept──▶ accepted ──resolve──▶ resolved ──rate(fixed)──▶ closed
       ▲  │                 │                     │  └──rate(not fixed)──▶ accepted (reopened)
       │  └─transfer/return─┘                     └──auto close after CLOSE_AFTER_DAYS──▶ closed
       └──────── escalate (overdue; the case moves to the parent region's office) ────────┘
    assigned/accepted ──merge──▶ merged
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from minsheng.accounts.masking import log as audit
from minsheng.accounts.roles import CALL_BACK, SUPERVISE_CASES
from minsheng.cases.clocks import calendar, clocks_of, deadlines, extend_by_pause
from minsheng.cases.models import (
    AdminReview,
    CallBack,
    Case,
    CaseEvent,
    CaseType,
    Extension,
    Mediation,
    Notification,
    OutcomeKind,
    Priority,
    RatingChannel,
    SupervisionOrder,
    Support,
)
from minsheng.cases.routing import dispatcher, escalation_target, nearest_org, route
from minsheng.lib import sms
from minsheng.lib.keys import reserve_pk
from minsheng.places.locate import locate
from minsheng.places.models import Organisation, Region
from minsheng.places.scope import scope_of

log = logging.getLogger(__name__)
S = Case.Status
A = CaseEvent.Action
CLOSE_AFTER_DAYS = 7
SUPPORTS_FOR_PRIORITY = 5  # residents' voices (附议) that raise a 一般 case to 优先

# action → (states it may start from, state it leads to; None = unchanged)
TRANSITIONS: dict[str, tuple[set[str], str | None]] = {
    "accept": ({S.ASSIGNED}, S.ACCEPTED),
    "note": ({S.ASSIGNED, S.ACCEPTED, S.RESOLVED}, None),
    "transfer": ({S.ASSIGNED, S.ACCEPTED}, S.ASSIGNED),
    "return": ({S.ASSIGNED, S.ACCEPTED}, S.ASSIGNED),
    "resolve": ({S.ACCEPTED}, S.RESOLVED),
    "rate": ({S.RESOLVED}, None),  # closed when fixed, back to accepted when not
    "close": ({S.RESOLVED}, S.CLOSED),
    "escalate": ({S.ASSIGNED, S.ACCEPTED}, None),
    "merge": ({S.ASSIGNED, S.ACCEPTED}, S.MERGED),
    "pause": ({S.ASSIGNED, S.ACCEPTED}, None),  # waiting for the resident: clocks stop
    "resume": ({S.ASSIGNED, S.ACCEPTED}, None),
    "priority": ({S.ASSIGNED, S.ACCEPTED}, None),
    "extend": ({S.ACCEPTED}, None),  # the handler applies (延期)
    "decide": ({S.ACCEPTED}, None),  # a supervisor approves or refuses
    "supervise": ({S.ASSIGNED, S.ACCEPTED}, None),  # 督办: a supervisor orders
    "answer": ({S.ASSIGNED, S.ACCEPTED, S.RESOLVED, S.CLOSED}, None),  # the office answers
    # 回访: staff call the resident; on a resolved case the rating closes or reopens it like the
    # resident's own, on a closed one it is recorded (and becomes the rating if there was none)
    "callback": ({S.RESOLVED, S.CLOSED}, None),
    "sms": ({S.RESOLVED}, None),  # the rating link by SMS to the phone the resident gave
}


def _now() -> dt.datetime:
    return timezone.now()


def is_handler(user, case: Case) -> bool:
    """Staff of the organisation that holds the case."""
    return user.is_authenticated and user.memberships.filter(
        organisation_id=case.organisation_id).exists()


def is_supervisor(user, case: Case) -> bool:
    """A district admin or street staff whose region holds the case (may act on any of its cases)."""
    s = scope_of(user)
    return s.has_right(SUPERVISE_CASES, case.region_id)


def is_reporter(user, case: Case, token: str | None = None) -> bool:
    if token and secrets.compare_digest(token, case.token):
        return True
    return bool(user and user.is_authenticated and case.reporter_id == user.pk)


def allowed(user, case: Case, action: str, *, token: str | None = None) -> bool:
    states, _ = TRANSITIONS[action]
    if case.status not in states:
        return False
    if action == "rate":
        return is_reporter(user, case, token)
    if action in ("close", "escalate"):
        return False  # the system does these (sla.py)
    if action == "merge":
        return is_supervisor(user, case)
    if action == "extend":
        return is_handler(user, case) and not case.extensions.filter(
            status=Extension.Status.PENDING).exists()
    if action == "supervise":  # never the office that holds the case
        return is_supervisor(user, case) and not is_handler(user, case)
    if action == "answer":  # staff of the organisation the open order went to
        return user.is_authenticated and user.memberships.filter(
            organisation_id__in=case.supervisions.filter(answered_at__isnull=True).values(
                "organisation_id")).exists()
    if action in ("callback", "sms"):  # independent of the office that handled it
        return scope_of(user).has_right(CALL_BACK, case.region_id) and not is_handler(user, case) \
            and (action == "callback" or bool(case.reporter_phone))
    if action == "decide":  # never the applying office itself
        return is_supervisor(user, case) and not is_handler(user, case) and case.extensions.filter(
            status=Extension.Status.PENDING).exists()
    return is_handler(user, case) or is_supervisor(user, case)


def _event_row(case: Case, action: str, actor=None, *, from_status: str = "", note: str = "",
               organisation: Organisation | None = None, public: bool = True,
               at: dt.datetime | None = None) -> CaseEvent:
    return CaseEvent(
        case=case, at=at or _now(), actor=actor if getattr(actor, "is_authenticated", False)
        else None, action=action, from_status=from_status, to_status=case.status,
        organisation=organisation or case.organisation, note=note, public=public)


def _event(case: Case, action: str, actor=None, **kw) -> CaseEvent:
    event = _event_row(case, action, actor, **kw)
    event.save()
    return event


def _notify(case: Case, message: str) -> None:
    Notification.objects.create(organisation=case.organisation, case=case, message=message[:200])


@transaction.atomic
def do_file(*, case_type: CaseType, description: str, channel: str, lng: float | None = None,
            lat: float | None = None, region: Region | None = None, compound=None,
            address: str = "", reporter=None, reporter_name: str = "", reporter_phone: str = "",
            external_id: str = "", attributes: dict | None = None,
            at: dt.datetime | None = None, generated: bool = False,
            priority: int | None = None) -> Case:
    """File a case: locate it, route it, start its clocks (working time, by its priority), log
    created + routed, notify (urgent cases say so first)."""
    if not description.strip():
        raise ValidationError({"description": "请描述问题。"})
    if not case_type.active:
        raise ValidationError({"case_type": "该类别已停用。"})
    if case_type.redirect_to:  # not our remit: the resident is told where to turn instead
        raise ValidationError({"case_type": f"{case_type.name}不属于本平台受理范围："
                                            f"{case_type.redirect_to}"})
    grid = None
    if lng is not None and lat is not None:
        if not (-180 <= lng <= 180 and -90 <= lat <= 90):
            raise ValidationError({"lat": "坐标超出范围。"})
        loc = locate(lng, lat, region if region and region.level == "district" else None)
        if loc is None and region is None and compound is None:
            raise ValidationError({"lat": "该位置不在本平台服务的区县内。"})
        if loc is not None:
            region, grid = loc.region, loc.grid
            compound = compound or loc.compound
    if compound is not None:
        region = region if region is not None and region.level == "community" else compound.region
        lng = compound.lng if lng is None else lng
        lat = compound.lat if lat is None else lat
        grid = grid or compound.grid
    if region is None:
        raise ValidationError({"lat": "请在地图上标出位置，或选择所在小区。"})
    at = at or _now()
    org = route(case_type, region, compound)
    priority = case_type.priority if priority is None else int(priority)
    if priority not in Priority.values:
        raise ValidationError({"priority": "优先级无效。"})
    accept_due, resolve_due = deadlines(case_type, at, priority)
    # The number carries the primary key, so concurrent filings never collide; where the
    # database hands out the key first (PostgreSQL) the row is written once, with its number.
    pk = reserve_pk(Case)
    numbered = f"{region.code[:6]}-{timezone.localtime(at):%Y%m%d}-"
    case = Case.objects.create(
        pk=pk, number=f"new-{secrets.token_hex(8)}" if pk is None else f"{numbered}{pk:06d}",
        token=secrets.token_urlsafe(16)[:22],
        case_type=case_type, description=description.strip(), channel=channel, region=region,
        grid=grid, compound=compound, lng=lng, lat=lat, address=address, reporter=reporter,
        reporter_name=reporter_name, reporter_phone=reporter_phone, organisation=org,
        created_at=at, accept_due=accept_due, resolve_due=resolve_due, priority=priority,
        external_id=external_id, attributes=attributes or {}, public=case_type.public,
        generated=generated, status=S.ASSIGNED)
    if pk is None:
        case.number = f"{numbered}{case.pk:06d}"
        case.save(update_fields=["number"])
    CaseEvent.objects.bulk_create([  # one round-trip: this runs on every filing
        _event_row(case, A.CREATED, reporter, at=at, note=case.get_channel_display()),
        _event_row(case, A.ROUTED, None, from_status=S.ASSIGNED, at=at, note=f"派至 {org.name}")])
    urgent = "【紧急】" if priority == Priority.URGENT else ""
    _notify(case, f"{urgent}新{case_type.name}：{case.number}")
    if case_type.mediation:
        committee = org if org.kind == Organisation.Kind.MEDIATION_COMMITTEE else nearest_org(
            Organisation.Kind.MEDIATION_COMMITTEE, region)
        Mediation.objects.create(case=case, committee=committee, matter=description.strip())
    if case_type.admin_review:
        AdminReview.objects.create(
            case=case, kind=AdminReview.Kind.RECONSIDERATION if case_type.code ==
            "reconsideration" else AdminReview.Kind.DISPUTE)
    return case


def _locked(case: Case) -> Case:
    return Case.objects.select_for_update().get(pk=case.pk)


def _check(user, case: Case, action: str, token: str | None = None) -> None:
    states, _ = TRANSITIONS[action]
    if case.status not in states:
        raise ValidationError(f"当前状态“{case.get_status_display()}”下不能执行此操作。")
    if not allowed(user, case, action, token=token):
        raise PermissionDenied("您无权对该诉求执行此操作。")


@transaction.atomic
def do_accept(user, case: Case, note: str = "") -> Case:
    case = _locked(case)
    _check(user, case, "accept")
    before = case.status
    case.status, case.accepted_at, case.assignee = S.ACCEPTED, _now(), user
    case.save(update_fields=["status", "accepted_at", "assignee"])
    _event(case, A.ACCEPTED, user, from_status=before, note=note)
    return case


@transaction.atomic
def do_note(user, case: Case, note: str, *, public: bool = True) -> CaseEvent:
    case = _locked(case)
    _check(user, case, "note")
    if not note.strip():
        raise ValidationError({"note": "请填写办理记录。"})
    return _event(case, A.NOTE, user, from_status=case.status, note=note.strip(), public=public)


@transaction.atomic
def do_transfer(user, case: Case, to: Organisation, reason: str) -> Case:
    case = _locked(case)
    _check(user, case, "transfer")
    if not reason.strip():
        raise ValidationError({"reason": "转办必须写明原因。"})
    if to.pk == case.organisation_id:
        raise ValidationError({"organisation": "不能转给本单位。"})
    before = case.status
    case.status, case.organisation, case.assignee = S.ASSIGNED, to, None
    case.save(update_fields=["status", "organisation", "assignee"])
    _event(case, A.TRANSFERRED, user, from_status=before, note=reason.strip(), organisation=to)
    _notify(case, f"转办来的{case.case_type.name}：{case.number}")
    return case


@transaction.atomic
def do_return(user, case: Case, reason: str) -> Case:
    """Wrongly routed: back to the dispatcher (the street office) with a reason."""
    case = _locked(case)
    _check(user, case, "return")
    if not reason.strip():
        raise ValidationError({"reason": "退回必须写明原因。"})
    to = dispatcher(case.region)
    if to.pk == case.organisation_id:
        to = escalation_target(to) or to
    before = case.status
    case.status, case.organisation, case.assignee = S.ASSIGNED, to, None
    case.save(update_fields=["status", "organisation", "assignee"])
    _event(case, A.RETURNED, user, from_status=before, note=reason.strip(), organisation=to)
    _notify(case, f"退回待重新派单：{case.number}")
    return case


@transaction.atomic
def do_resolve(user, case: Case, outcome: str, kind: str = OutcomeKind.RESOLVED, *,
               rule: str = "", redirect_to: str = "", link_base: str = "") -> Case:
    """Resolved, partly resolved, explained (the rule cited) or not our remit (where to go).
    Every path that resolves a case comes here (the web page today; an API, an import or a
    device's case alike), so the rating SMS rule (`wants_rating_sms`) fires on each: the link is
    sent after the commit by `system_send_rating_sms`; `link_base` is the site's address when
    settings.PUBLIC_URL does not say it (the web passes its request's)."""
    case = _locked(case)
    _check(user, case, "resolve")
    if not outcome.strip():
        raise ValidationError({"outcome": "请填写办理结果。"})
    if kind not in OutcomeKind.values:
        raise ValidationError({"kind": "请选择办理结果类型。"})
    if kind == OutcomeKind.EXPLAINED and not rule.strip():
        raise ValidationError({"rule": "解释说明须引用所依据的规定。"})
    if kind == OutcomeKind.REDIRECTED and not redirect_to.strip():
        raise ValidationError({"redirect_to": "不属于受理范围须写明转至何处。"})
    before = case.status
    case.status, case.resolved_at, case.outcome = S.RESOLVED, _now(), outcome.strip()
    case.outcome_kind = kind
    case.outcome_rule = rule.strip()[:300] if kind == OutcomeKind.EXPLAINED else ""
    case.outcome_redirect = redirect_to.strip()[:200] if kind == OutcomeKind.REDIRECTED else ""
    case.save(update_fields=["status", "resolved_at", "outcome", "outcome_kind", "outcome_rule",
                             "outcome_redirect"])
    _event(case, A.RESOLVED, user, from_status=before, note=outcome.strip())
    if wants_rating_sms(case):  # once the resolution is committed, never for one rolled back
        case_id = case.pk
        transaction.on_commit(lambda: system_send_rating_sms(case_id, link_base), robust=True)
    return case


@transaction.atomic
def do_rate(user, case: Case, *, fixed: bool, rating: int, comment: str = "",
            token: str | None = None, via: str = RatingChannel.WEB) -> Case:
    """The resident's verdict, separate from open/closed: not fixed reopens the case. `via` says
    which link it came by (the web page's or the SMS's)."""
    case = _locked(case)
    _check(user, case, "rate", token)
    return _apply_rating(user, case, fixed=fixed, rating=rating, comment=comment,
                         via=via if via in (RatingChannel.WEB, RatingChannel.SMS)
                         else RatingChannel.WEB)


def _apply_rating(user, case: Case, *, fixed: bool, rating: int, comment: str,
                  via: str) -> Case:
    """A rating of a resolved case (locked and checked by the caller): fixed closes it, not fixed
    reopens it with a fresh resolve clock."""
    if not 1 <= int(rating) <= 5:
        raise ValidationError({"rating": "满意度为 1–5 分。"})
    before = case.status
    case.rating = int(rating)
    case.verdict = Case.Verdict.FIXED if fixed else Case.Verdict.NOT_FIXED
    case.rating_channel = via
    if fixed:
        case.status, case.closed_at = S.CLOSED, _now()
        case.save(update_fields=["rating", "verdict", "rating_channel", "status", "closed_at"])
        _event(case, A.RATED, user if via != RatingChannel.CALLBACK else None,
               from_status=before, note=comment)
    else:
        case.status, case.reopen_count = S.ACCEPTED, case.reopen_count + 1
        case.resolved_at = None
        case.resolve_due = max(case.resolve_due, calendar().add_days(
            _now(), clocks_of(case.case_type, case.priority)[1]))
        case.save(update_fields=["rating", "verdict", "rating_channel", "status",
                                 "reopen_count", "resolved_at", "resolve_due"])
        _event(case, A.REOPENED, user if via != RatingChannel.CALLBACK else None,
               from_status=before, note=comment or "居民评价问题未解决")
        _notify(case, f"居民不满意，重新办理：{case.number}")
    return case


@transaction.atomic
def do_call_back(user, case: Case, *, reached: bool, rating: int | None = None,
                 fixed: bool | None = None, note: str = "", caller_name: str = "",
                 called_at: dt.datetime | None = None) -> CallBack:
    """Record a call-back (回访): who called, when, whether the resident was reached and what they
    said. A reached resident's rating of a resolved case closes or reopens it (as their own rating
    would, channel "staff call-back"); on a closed case it becomes the case's rating when the case
    had none, and a "not fixed" answer notifies the office. Written to the audit log (staff
    called a resident's phone)."""
    case = _locked(case)
    _check(user, case, "callback")
    now = _now()
    called_at = called_at or now
    if not now - dt.timedelta(days=366) <= called_at <= now + dt.timedelta(minutes=5):
        raise ValidationError({"called_at": "回访时间须在过去一年之内。"})
    if case.resolved_at is not None and called_at < case.resolved_at:
        raise ValidationError({"called_at": "回访时间不能早于办结时间。"})
    note = note.strip()[:500]
    if reached:
        if rating is None or not 1 <= int(rating) <= 5:
            raise ValidationError({"rating": "满意度为 1–5 分。"})
        if fixed is None:
            raise ValidationError({"fixed": "请选择问题是否解决。"})
    elif not note:
        raise ValidationError({"note": "未联系上居民时请写明情况（如无人接听、号码停机）。"})
    name = (caller_name.strip() or user.get_full_name() or user.get_username())[:50]
    call = CallBack.objects.create(
        case=case, called_by=user, caller_name=name, called_at=called_at, reached=reached,
        rating=int(rating) if reached else None, fixed=fixed if reached else None, note=note)
    if not reached:
        what = f"回访未联系上居民：{note}"
    else:
        verdict = "问题已解决" if fixed else "问题未解决"
        what = f"回访（{name}）：{int(rating)} 分，{verdict}" + (f"；{note}" if note else "")
    _event(case, A.CALLBACK, user, from_status=case.status, note=what, public=False,
           at=called_at)
    if reached and case.status == S.RESOLVED:
        _apply_rating(user, case, fixed=bool(fixed), rating=int(rating), comment=note,
                      via=RatingChannel.CALLBACK)
    elif reached and case.rating is None:
        case.rating, case.rating_channel = int(rating), RatingChannel.CALLBACK
        case.verdict = Case.Verdict.FIXED if fixed else Case.Verdict.NOT_FIXED
        case.save(update_fields=["rating", "verdict", "rating_channel"])
    if reached and not fixed and case.status == S.CLOSED:
        _notify(case, f"回访居民不满意：{case.number}")
    audit(user, "cases.callback", case, fields="reporter_phone", detail=what)
    return call


def support_digest(kind: str, value: str) -> str:
    """The stored form of a supporter's session or phone: a keyed hash, never the value."""
    return hmac.new(settings.SECRET_KEY.encode(), f"{kind}:{value}".encode(),
                    hashlib.sha256).hexdigest()


@transaction.atomic
def do_support(case: Case, *, session_key: str, phone: str = "") -> bool:
    """A resident's "me too" (附议) on an open public case, once per session and once per phone:
    True when counted, False when this session or phone already supported it. The
    SUPPORTS_FOR_PRIORITY-th voice raises a 一般 case to 优先 (with its shorter clocks)."""
    case = _locked(case)
    if not (case.public and case.case_type.public) or case.status not in (S.ASSIGNED,
                                                                          S.ACCEPTED):
        raise ValidationError("只能附议未办结的公开诉求。")
    keys = [support_digest("session", session_key)]
    if phone:
        keys.append(support_digest("phone", phone))
    if Support.objects.filter(case=case, digest__in=keys).exists():
        return False
    now = _now()
    Support.objects.bulk_create([Support(case=case, digest=k, at=now) for k in keys])
    case.support_count += 1
    case.save(update_fields=["support_count"])
    if case.support_count in (SUPPORTS_FOR_PRIORITY, 20, 50):
        _notify(case, f"{case.number} 已有 {case.support_count} 位居民附议")
    if case.support_count >= SUPPORTS_FOR_PRIORITY and case.priority > Priority.HIGH:
        _reprioritise(case, Priority.HIGH, f"{case.support_count} 位居民附议")
    return True


RATING_SMS = "【民生】您反映的问题（{number}）已办结，请评价办理结果：{link}"
# 回访 by SMS: a resident who filed by phone (the 12345 hotline) gets the rating link when the
# case is resolved. The one rule; do_resolve applies it on every resolution.
RATING_SMS_CHANNELS = frozenset({Case.Channel.HOTLINE})


def wants_rating_sms(case: Case) -> bool:
    """A case filed by phone, with the phone the resident gave."""
    return case.channel in RATING_SMS_CHANNELS and bool(case.reporter_phone.strip())


def rating_link(case: Case, base: str = "") -> str:
    """The tracking page's address, marked so that a rating through it counts as by SMS: on
    settings.PUBLIC_URL (MINSHENG_PUBLIC_URL), else on `base` (a request's own address), else on
    the first allowed host."""
    root = settings.PUBLIC_URL or base
    if not root:
        host = next((h for h in settings.ALLOWED_HOSTS if h and h[0] not in ".*"), "localhost")
        root = f"http://{host}"
    return root.rstrip("/") + reverse("cases:track", args=[case.token]) + "?via=sms"


def _send_rating_sms(case: Case, link: str) -> None:
    try:
        sms.send(case.reporter_phone, RATING_SMS.format(number=case.number, link=link))
    except sms.SmsError as e:
        raise ValidationError(f"短信未发出：{e}") from e


def system_send_rating_sms(case_id: int, base: str = "") -> CaseEvent | None:
    """The rating link the system sends once a resolution is committed (do_resolve schedules
    it): at most once per case — not when the case has had one already (the system's or a
    staff member's), nor when it is no longer resolved (rated or reopened meanwhile). A sender's
    failure is logged and leaves no event, so staff see that none went out and may send it from
    the case page or call back."""
    with transaction.atomic():
        case = Case.objects.select_for_update().filter(pk=case_id).first()
        if case is None or case.status != S.RESOLVED or not wants_rating_sms(case):
            return None
        if case.events.filter(action=A.SMS).exists():
            return None
        try:
            _send_rating_sms(case, rating_link(case, base))
        except ValidationError as e:
            log.warning("rating SMS for case %s not sent: %s", case.number, " ".join(e.messages))
            return None
        return _event(case, A.SMS, None, from_status=case.status, note="已发送评价短信",
                      public=False)


def rating_sms_sent(case: Case) -> bool:
    """Whether the resident has had the rating link by SMS (the page warns when a phone case's
    did not go out)."""
    return case.events.filter(action=A.SMS).exists()


@transaction.atomic
def do_send_rating_sms(user, case: Case, link: str) -> CaseEvent:
    """Staff send the rating link (again) to the phone the resident gave, through the configured
    sender (minsheng/lib/sms.py); the sender's failure is a ValidationError on the page and
    leaves no event."""
    case = _locked(case)
    _check(user, case, "sms")
    if not case.reporter_phone:
        raise ValidationError("没有居民的联系电话。")
    _send_rating_sms(case, link)
    audit(user, "cases.rating_sms", case, fields="reporter_phone")
    return _event(case, A.SMS, user, from_status=case.status, note="已发送评价短信",
                  public=False)


@transaction.atomic
def do_merge(user, case: Case, into: Case, reason: str = "") -> Case:
    case = _locked(case)
    _check(user, case, "merge")
    if into.pk == case.pk or into.status == S.MERGED:
        raise ValidationError("不能合并到自身或已合并的诉求。")
    before = case.status
    case.status, case.duplicate_of = S.MERGED, into
    case.save(update_fields=["status", "duplicate_of"])
    _event(case, A.MERGED, user, from_status=before, note=reason or f"与 {into.number} 重复")
    _event(into, A.NOTE, user, from_status=into.status, note=f"合并了重复诉求 {case.number}")
    return case


@transaction.atomic
def do_pause(user, case: Case, reason: str) -> Case:
    """Waiting for the resident (material, an answer, access to the home): the clocks stop."""
    case = _locked(case)
    _check(user, case, "pause")
    if case.paused_at is not None:
        raise ValidationError("计时已暂停。")
    if not reason.strip():
        raise ValidationError({"reason": "暂停计时必须写明等待居民的事项。"})
    case.paused_at = _now()
    case.save(update_fields=["paused_at"])
    _event(case, A.PAUSED, user, from_status=case.status, note=reason.strip())
    return case


@transaction.atomic
def do_resume(user, case: Case, note: str = "") -> Case:
    """The clocks run again; both deadlines move by the working time the pause lasted."""
    case = _locked(case)
    _check(user, case, "resume")
    if case.paused_at is None:
        raise ValidationError("计时未暂停。")
    if case.extensions.filter(status=Extension.Status.PENDING, paused_clock=True).exists():
        raise ValidationError("延期申请审批前计时保持暂停。")
    now, cal = _now(), calendar()
    seconds = cal.working_seconds(case.paused_at, now)
    case.accept_due = extend_by_pause(case.accept_due, case.paused_at, now, cal)
    case.resolve_due = extend_by_pause(case.resolve_due, case.paused_at, now, cal)
    case.paused_at = None
    case.save(update_fields=["paused_at", "accept_due", "resolve_due"])
    _event(case, A.RESUMED, user, from_status=case.status,
           note=(note.strip() + " " if note.strip() else "")
           + f"暂停 {seconds / 3600:.1f} 个工作小时，时限相应顺延")
    return case


@transaction.atomic
def do_set_priority(user, case: Case, priority: int, reason: str) -> Case:
    """A new priority restarts neither clock but takes the shorter of the old and new deadlines
    counted from filing (raising it shortens, lowering it never lengthens a deadline)."""
    case = _locked(case)
    _check(user, case, "priority")
    priority = int(priority)
    if priority not in Priority.values:
        raise ValidationError({"priority": "优先级无效。"})
    if not reason.strip():
        raise ValidationError({"reason": "调整优先级必须写明原因。"})
    if priority == case.priority:
        return case
    return _reprioritise(case, priority, reason.strip(), user)


def _reprioritise(case: Case, priority: int, reason: str, user=None) -> Case:
    """The one place a filed case's priority changes (staff's choice, or the residents' voices):
    neither clock restarts, each takes the shorter of its old deadline and the new priority's
    counted from filing; logged, and an urgent case notifies at once. The caller holds the lock."""
    accept_due, resolve_due = deadlines(case.case_type, case.created_at, priority)
    before = case.get_priority_display()
    case.priority = priority
    case.accept_due, case.resolve_due = (min(case.accept_due, accept_due),
                                         min(case.resolve_due, resolve_due))
    case.save(update_fields=["priority", "accept_due", "resolve_due"])
    _event(case, A.PRIORITY, user, from_status=case.status,
           note=f"{before} → {case.get_priority_display()}：{reason}")
    if priority == Priority.URGENT:
        _notify(case, f"【紧急】{case.number} 调整为紧急")
    return case


@transaction.atomic
def do_request_extension(user, case: Case, reason: str, new_due: dt.datetime) -> Extension:
    """The handling organisation asks to move the resolve deadline (one pending at a time). The
    clocks stop until a supervisor decides (the decision moves them by the time it took)."""
    case = _locked(case)
    _check(user, case, "extend")
    if not reason.strip():
        raise ValidationError({"reason": "申请延期必须写明原因。"})
    if new_due <= case.resolve_due:
        raise ValidationError({"new_due": "申请延至的时间须晚于现办结时限。"})
    if new_due > case.resolve_due + dt.timedelta(days=366):
        raise ValidationError({"new_due": "延期不能超过一年。"})
    now = _now()
    # the clock stops from the application to the decision (unless a pause already holds it)
    paused_clock = case.paused_at is None
    if paused_clock:
        case.paused_at = now
        case.save(update_fields=["paused_at"])
    ext = Extension.objects.create(case=case, reason=reason.strip(), old_due=case.resolve_due,
                                   new_due=new_due, requested_by=user, requested_at=now,
                                   paused_clock=paused_clock)
    _event(case, A.EXTENSION, user, from_status=case.status,
           note=f"申请延期至 {timezone.localtime(new_due):%Y-%m-%d %H:%M}：{reason.strip()}")
    return ext


@transaction.atomic
def do_decide_extension(user, case: Case, *, approve: bool, note: str = "") -> Extension:
    """A supervisor of the case's region approves (the deadline moves) or refuses."""
    case = _locked(case)
    _check(user, case, "decide")
    ext = case.extensions.select_for_update().get(status=Extension.Status.PENDING)
    if not approve and not note.strip():
        raise ValidationError({"note": "不批准延期必须写明意见。"})
    ext.status = Extension.Status.APPROVED if approve else Extension.Status.REFUSED
    ext.decided_by, ext.decided_at, ext.decision_note = user, _now(), note.strip()[:500]
    ext.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    fields = []
    if ext.paused_clock and case.paused_at is not None:  # the clocks run again, moved
        cal = calendar()
        case.accept_due = extend_by_pause(case.accept_due, case.paused_at, ext.decided_at, cal)
        case.resolve_due = extend_by_pause(case.resolve_due, case.paused_at, ext.decided_at, cal)
        case.paused_at = None
        fields += ["accept_due", "resolve_due", "paused_at"]
    if approve:
        case.resolve_due = max(case.resolve_due, ext.new_due)
        fields.append("resolve_due")
    if fields:
        case.save(update_fields=sorted(set(fields)))
    verdict = "批准延期" if approve else "不批准延期"
    _event(case, A.EXTENSION, user, from_status=case.status,
           note=f"{verdict}（{timezone.localtime(ext.new_due):%Y-%m-%d %H:%M}）"
           + (f"：{note.strip()}" if note.strip() else ""))
    _notify(case, f"延期申请{'已批准' if approve else '未批准'}：{case.number}")
    return ext


@transaction.atomic
def do_supervise(user, case: Case, instruction: str, due: dt.datetime) -> SupervisionOrder:
    """A 督办 order to the organisation holding the case; it must answer by `due`."""
    case = _locked(case)
    _check(user, case, "supervise")
    if not instruction.strip():
        raise ValidationError({"instruction": "请填写督办要求。"})
    now = _now()
    if not now < due <= now + dt.timedelta(days=366):
        raise ValidationError({"due": "答复时限须在今后一年之内。"})
    order = SupervisionOrder.objects.create(
        case=case, organisation=case.organisation, instruction=instruction.strip(), due=due,
        issued_by=user, issued_at=now)
    _event(case, A.SUPERVISION, user, from_status=case.status,
           note=f"督办（{timezone.localtime(due):%Y-%m-%d %H:%M} 前答复）：{instruction.strip()}")
    _notify(case, f"督办：{case.number}，请于 {timezone.localtime(due):%m-%d %H:%M} 前答复")
    return order


@transaction.atomic
def do_answer_supervision(user, case: Case, answer: str) -> SupervisionOrder:
    """The ordered organisation answers its oldest open order on the case."""
    case = _locked(case)
    _check(user, case, "answer")
    if not answer.strip():
        raise ValidationError({"answer": "请填写督办答复。"})
    order = case.supervisions.select_for_update().filter(
        answered_at__isnull=True, organisation__membership__user=user).order_by(
        "issued_at", "pk").first()
    order.answer, order.answered_by, order.answered_at = answer.strip(), user, _now()
    order.save(update_fields=["answer", "answered_by", "answered_at"])
    late = "（逾期）" if order.answered_at > order.due else ""
    _event(case, A.SUPERVISION, user, from_status=case.status,
           note=f"督办答复{late}：{answer.strip()}", organisation=order.organisation)
    return order


@transaction.atomic
def system_escalate_supervision(order: SupervisionOrder,
                                now: dt.datetime | None = None) -> SupervisionOrder | None:
    """An order unanswered past its deadline: stamped and reported to the office above (once)."""
    order = SupervisionOrder.objects.select_for_update().select_related(
        "case", "organisation").get(pk=order.pk)
    if order.answered_at is not None or order.escalated_at is not None:
        return None
    now = now or _now()
    order.escalated_at = now
    order.save(update_fields=["escalated_at"])
    target = escalation_target(order.organisation)
    case = order.case
    _event(case, A.SUPERVISION, None, from_status=case.status, at=now,
           note=f"督办逾期未答复（{order.organisation.name}），已报"
           + (target.name if target else "区级督办"))
    if target is not None:
        Notification.objects.create(organisation=target, case=case,
                                     message=f"督办逾期未答复：{case.number}（{order.organisation.name}）")
    return order


def _is_overdue(case: Case, now: dt.datetime) -> bool:
    """The rule of sla.overdue() for one locked case."""
    if case.paused_at is not None:
        return False
    return (case.status == S.ASSIGNED and case.accept_due < now) or (
        case.status == S.ACCEPTED and case.resolve_due < now)


@transaction.atomic
def system_escalate(case: Case, now: dt.datetime | None = None) -> Case | None:
    """Overdue: flag it and move it to the parent region's office (sla.py calls this). Checked
    again under the row lock: a worker that listed the case before another escalated it (which
    moves the deadline on) does nothing, so an overdue case escalates once per lapse; the whole
    escalation (case, event, notification) commits or none of it does."""
    case = _locked(case)
    if case.status not in TRANSITIONS["escalate"][0] or not _is_overdue(case, now or _now()):
        return None
    target = escalation_target(case.organisation)
    before_org = case.organisation
    case.overdue = True
    case.escalation_level += 1
    due = "受理" if case.status == S.ASSIGNED else "办结"
    if target is not None:
        case.organisation = target
    # the escalated office gets a fresh acceptance window so the case does not cascade at once
    base = now or _now()
    cal = calendar()
    case.accept_due = max(case.accept_due, cal.add_hours(
        base, clocks_of(case.case_type, case.priority)[0]))
    case.resolve_due = max(case.resolve_due, cal.add_days(base, 1))
    case.save(update_fields=["overdue", "escalation_level", "organisation", "accept_due",
                             "resolve_due"])
    note = (f"超过{due}时限，由 {before_org.name} 升级至 {target.name}" if target is not None
            else f"超过{due}时限，{before_org.name} 没有上级承办单位，标记超时督办")
    _event(case, A.ESCALATED, None, from_status=case.status, at=now, note=note)
    _notify(case, f"超时升级：{case.number}")
    return case


@transaction.atomic
def system_close(case: Case, now: dt.datetime | None = None) -> Case | None:
    case = _locked(case)
    if case.status != S.RESOLVED:
        return None
    case.status, case.closed_at = S.CLOSED, now or _now()
    case.save(update_fields=["status", "closed_at"])
    _event(case, A.CLOSED, None, from_status=S.RESOLVED, at=now,
           note=f"办结后 {CLOSE_AFTER_DAYS} 天未评价，自动关闭")
    return case
