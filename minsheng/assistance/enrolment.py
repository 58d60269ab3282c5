"""Enrolment in a programme, the Chinese steps (A.5 §4), and the periodic reviews. The only
writers of Enrolment, Objection and Review rows; each step checks its right, is atomic, leaves an
event and is audited::

    applied ──review (街道)──▶ reviewed ──publicise (街道)──▶ publicised ──decide (区民政局)──▶
        enrolled | refused
    enrolled ──pause──▶ paused ──resume──▶ enrolled ;  enrolled | paused ──end──▶ exited

- application needs the household's consent to the data check (授权核对) and an economic
  assessment: the computed result (eligibility.py) is stored beside the application;
- the decision waits for the end of the 公示 (days from Procedure) and for an answer to every
  objection; enrolling against the computed result, and every refusal, need a written reason;
- enrolment schedules the first review: yearly / half-yearly / quarterly by the members' ability to
  work (Procedure); a review keeps, changes, pauses or ends the benefit and schedules the next.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from minsheng.accounts import masking
from minsheng.accounts.models import AuditLog
from minsheng.accounts.roles import DECIDE_ASSISTANCE, REVIEW_ASSISTANCE
from minsheng.assistance import access, services
from minsheng.assistance import eligibility as el
from minsheng.assistance.models import (
    Enrolment,
    EnrolmentEvent,
    Objection,
    Person,
    Procedure,
    Programme,
    Review,
    Standard,
)
from minsheng.assistance.standards import in_force
from minsheng.lib.validators import check_no_control_chars
from minsheng.places.models import code_prefix

__all__ = ["PROGRAMME_NAMES", "TRANSITIONS", "add_months", "award_ceiling", "do_answer_objection",
           "do_after_review", "do_apply", "do_complete_review", "do_decide", "do_pay_first",
           "do_publicise", "do_record_objection",
           "do_street_review", "in_force_during", "in_force_on", "procedure_for", "procedures_under",
           "review_months"]

E = Enrolment.State
TRANSITIONS: dict[str, dict[str, str]] = {
    "review": {E.APPLIED: E.REVIEWED},
    "publicise": {E.REVIEWED: E.PUBLICISED},
    "enrol": {E.PUBLICISED: E.ENROLLED},
    "refuse": {E.PUBLICISED: E.REFUSED, E.APPLIED: E.REFUSED, E.REVIEWED: E.REFUSED},
    "pause": {E.ENROLLED: E.PAUSED},
    "resume": {E.PAUSED: E.ENROLLED},
    "end": {E.ENROLLED: E.EXITED, E.PAUSED: E.EXITED},
    # 先行救助: the street pays an urgent 临时救助 before its review, 公示 and decision
    "pay_first": {E.APPLIED: E.ENROLLED, E.REVIEWED: E.ENROLLED},
}
PROGRAMME_NAMES = {Programme.DIBAO: el.DIBAO, Programme.EDGE: el.EDGE, Programme.TEKUN: el.TEKUN,
                   Programme.ORPHAN: el.ORPHAN, Programme.TEMPORARY: el.TEMPORARY}
INDIVIDUAL = (Programme.TEKUN, Programme.ORPHAN)
AMOUNT_RE = re.compile(r"[0-9]{1,8}(\.[0-9]{1,2})?")
ACTIVE = (E.APPLIED, E.REVIEWED, E.PUBLICISED, E.ENROLLED, E.PAUSED)


def add_months(d: dt.date, months: int) -> dt.date:
    y, m = divmod(d.month - 1 + months, 12)
    return dt.date(d.year + y, m + 1, min(d.day, calendar.monthrange(d.year + y, m + 1)[1]))


# --- in force on a day / during a month: the one owner of the rule --------------------------
# An enrolment is in benefit on a day when its latest event effective on or before that day is
# `enrolled` (a decision, a resumption, a change of the benefit): the dated history, never the
# current state, so a cycle opened late for a past month, or last year's figures, see the
# enrolments as they were then. Payments (payments.do_generate) and the programme counts
# (indicators/sources_assistance.py) both read these two functions.

def _latest_event(day: dt.date, *, state: str | None = None):
    qs = EnrolmentEvent.objects.filter(enrolment_id=OuterRef("pk"), effective_on__lte=day)
    if state is not None:
        qs = qs.filter(state=state)
    return qs.order_by("-effective_on", "-id")


def in_force_on(day: dt.date, prefix: str = "") -> QuerySet[Enrolment]:
    """Enrolments (of regions under `prefix`) in benefit on `day`, annotated with `covered`: the
    members the latest event covered."""
    latest = _latest_event(day)
    return (Enrolment.objects.filter(region__code__startswith=prefix)
            .annotate(as_of=Subquery(latest.values("state")[:1]),
                      covered=Subquery(latest.values("members_covered")[:1]))
            .filter(as_of=E.ENROLLED))


def in_force_during(start: dt.date, end: dt.date, prefix: str = "", *,
                    with_day_before: bool = False) -> QuerySet[Enrolment]:
    """Enrolments in benefit on at least one day of [start, end] (both included): in benefit on
    `start`, or made (or put back) in benefit by an event effective after `start` and on or
    before `end`. So a cycle for month M pays an enrolment suspended or ended after M, and one
    ended or paused during M (it was in force on M's first days), and never one that starts
    after M or ended before it. Annotated with the basis of the benefit in M, from the latest
    `enrolled` event on or before `end` (a change of the benefit after M does not alter M):
    `covered`, the members covered, and `basis_income`, the per-capita income then in force
    (both from `basis_event`, that event's id, which set work joins instead of reading twice);
    `at_start`, the state on `start`, and with `with_day_before`, `day_before`: the state on the
    day before `start` (a benefit in force on both was not started or resumed in the period)."""
    at_start = _latest_event(start)
    started = EnrolmentEvent.objects.filter(enrolment_id=OuterRef("pk"), state=E.ENROLLED,
                                            effective_on__gt=start, effective_on__lte=end)
    basis = _latest_event(end, state=E.ENROLLED)
    qs = (Enrolment.objects.filter(region__code__startswith=prefix)
          .annotate(at_start=Subquery(at_start.values("state")[:1]),
                    started=Exists(started),
                    basis_event=Subquery(basis.values("pk")[:1]),
                    covered=Subquery(basis.values("members_covered")[:1]),
                    basis_income=Subquery(basis.values("per_capita_income")[:1]))
          .filter(Q(at_start=E.ENROLLED) | Q(started=True)))
    if with_day_before:
        before = _latest_event(start - dt.timedelta(days=1))
        qs = qs.annotate(day_before=Subquery(before.values("state")[:1]))
    return qs


def procedures_under(region_code: str, on: dt.date) -> list[tuple[str, Procedure]]:
    """The procedure rows in force on the day for every region that can set the rules of a
    record in `region_code`'s subtree (the regions inside it, the region and those above it),
    as (the code prefix of the row's region, its row), most specific first: a record of region
    R follows the first entry whose prefix R's code starts with (the nearest region up with a
    row). One query; the payment cycle reads a whole district through it."""
    code = region_code.ljust(12, "0")
    above = [code[:n].ljust(12, "0") for n in (2, 4, 6, 9, 12)]
    rows = (Procedure.objects.filter(Q(region__code__startswith=code_prefix(code))
                                     | Q(region_id__in=above), valid_from__lte=on)
            .order_by("-valid_from"))
    latest: dict[str, Procedure] = {}
    for row in rows:
        latest.setdefault(row.region_id, row)
    return sorted(((code_prefix(c), row) for c, row in latest.items()),
                  key=lambda pr: (-len(pr[0]), pr[0]))


def procedure_for(region_code: str, on: dt.date) -> Procedure:
    """The region's procedure settings in force (nearest region up the tree); the national
    defaults (7-day 公示, 12/6/3-month reviews, due by the 10th, the first month paid whole)
    when none is configured."""
    code = region_code.ljust(12, "0")
    row = next((row for prefix, row in procedures_under(code, on) if code.startswith(prefix)),
               None)
    return row if row is not None else Procedure(region_id=code, valid_from=on,
                                                 source="默认设置")


def can_decide(user, e: Enrolment, on: dt.date | None = None) -> bool:
    """区民政局 decides; so does the street where the region's procedure in force delegates the
    decision to it (审核确认权下放街道)."""
    if access.has_right(user, DECIDE_ASSISTANCE, e.region_id):
        return True
    on = on or timezone.localdate()
    return (procedure_for(e.region_id, on).street_decides
            and access.has_right(user, REVIEW_ASSISTANCE, e.region_id))


def review_months(enrolment: Enrolment, proc: Procedure) -> int:
    """By category: any member able to work → quarterly; partly able, ill or disabled →
    half-yearly; no one able to work → yearly (individual programmes: the person alone)."""
    people = ([enrolment.person] if enrolment.person_id
              else list(enrolment.household.members.all()))
    labours = {p.labour_capacity for p in people}
    if Person.Labour.FULL in labours and not any(p.disability_grade for p in people):
        return proc.review_months_able
    if Person.Labour.PARTIAL in labours or any(p.disability_grade for p in people):
        return proc.review_months_partial
    return proc.review_months_unable


def _text(value: str, field: str) -> str:
    try:
        check_no_control_chars(value, multiline=True)
    except ValidationError as e:
        raise ValidationError({field: e.messages}) from None
    return value.strip()


def _event(user, e: Enrolment, state: str, on: dt.date, note: str = "") -> EnrolmentEvent:
    """The dated history the programme counts read (EnrolmentEvent): effective `on`, but never
    before the enrolment's previous event (a step dated back before the one it follows takes
    that one's day), so the latest event is always the current state."""
    last = e.events.order_by("-effective_on", "-id").values_list("effective_on", flat=True).first()
    on = max(on, last) if last is not None else on
    return EnrolmentEvent.objects.create(enrolment=e, state=state, effective_on=on,
                                         members_covered=e.members_covered,
                                         assessment_id=e.assessment_id,
                                         per_capita_income=e.per_capita_income, actor=user,
                                         note=note[:500])


def _move(user, e: Enrolment, step: str, note: str = "", request=None,
          on: dt.date | None = None) -> Enrolment:
    current = Enrolment.objects.select_for_update().get(pk=e.pk)
    target = TRANSITIONS[step].get(current.state)
    if target is None:
        raise ValidationError(f"当前状态为“{current.get_state_display()}”，不能执行此步骤。")
    e.state = target
    e.save()
    _event(user, e, target, on or timezone.localdate(), note)
    masking.log(user, AuditLog.Action.UPDATE, e.household, object_type="assistance.enrolment",
                object_id=str(e.pk), detail=f"{e.get_programme_display()}：{e.get_state_display()}",
                request=request)
    return e


@transaction.atomic
def do_apply(user, household, *, programme: str, consent_on: dt.date | None,
             applied_on: dt.date | None = None, person: Person | None = None,
             request=None) -> Enrolment:
    if not access.can_register(user, household.region_id):
        raise PermissionDenied("您无权为该家庭户提交救助申请。")
    today = timezone.localdate()
    applied_on = applied_on or today
    if consent_on is None:
        raise ValidationError({"consent_on": ["申请须经申请人书面授权核对家庭经济状况。"]})
    if consent_on > today or applied_on > today:
        raise ValidationError("日期不能晚于今天。")
    if programme in INDIVIDUAL and (person is None or person.household_id != household.pk):
        raise ValidationError({"person": ["特困、孤儿按个人认定，请选择本户成员。"]})
    if programme not in INDIVIDUAL:
        person = None
    if Enrolment.objects.filter(household=household, programme=programme, person=person,
                                state__in=ACTIVE).exists():
        raise ValidationError("该项目已有在办或在保的申请。")
    result = services.eligibility_of(household, applied_on)
    if result.assessment is None:
        raise ValidationError("请先进行家庭经济状况核对。")
    verdict = next((r for r in result.results if r.programme == PROGRAMME_NAMES[programme]),
                   None)
    if verdict is not None and person is not None and verdict.members and \
            person.name not in verdict.members:
        verdict = el.Result(verdict.programme, el.INELIGIBLE,
                            f"{person.name} 不在测算符合的成员中：{verdict.rule}", verdict.source)
    head = household.members.filter(relationship=Person.Relationship.HEAD).first()
    members = household.members.count()
    mode = ""
    if programme == Programme.TEKUN:
        mode = Enrolment.Mode.DISPERSED if person.self_care else Enrolment.Mode.CENTRALISED
    e = Enrolment.objects.create(
        household=household, person=person, payee=person or head or household.members.first(),
        region_id=household.region_id, area=household.area, programme=programme, mode=mode,
        applied_on=applied_on, consent_on=consent_on, assessment=result.assessment,
        computed_verdict=verdict.verdict if verdict else el.MANUAL,
        computed_rule=(verdict.rule if verdict else result.problem)[:500],
        per_capita_income=result.assessment.per_capita_monthly,
        members_covered=1 if person else members)
    _event(user, e, E.APPLIED, applied_on, f"测算：{e.computed_verdict}")
    masking.log(user, AuditLog.Action.CREATE, household, object_type="assistance.enrolment",
                object_id=str(e.pk), detail=f"救助申请：{e.get_programme_display()}",
                request=request)
    return e


@transaction.atomic
def do_street_review(user, e: Enrolment, note: str = "", request=None) -> Enrolment:
    if not access.has_right(user, REVIEW_ASSISTANCE, e.region_id):
        raise PermissionDenied("街道审核须由所在街道办理。")
    return _move(user, e, "review", _text(note, "note"), request)


@transaction.atomic
def do_publicise(user, e: Enrolment, start: dt.date | None = None, request=None) -> Enrolment:
    if not access.has_right(user, REVIEW_ASSISTANCE, e.region_id):
        raise PermissionDenied("公示由所在街道组织。")
    start = start or timezone.localdate()
    days = procedure_for(e.region_id, start).publicity_days
    e.publicity_start, e.publicity_end = start, start + dt.timedelta(days=days)
    return _move(user, e, "publicise", f"公示 {days} 天，至 {e.publicity_end}", request,
                 on=start)


@transaction.atomic
def do_record_objection(user, e: Enrolment, text: str, received_on: dt.date | None = None
                        ) -> Objection:
    if not access.has_right(user, REVIEW_ASSISTANCE, e.region_id):
        raise PermissionDenied("公示异议由所在街道登记。")
    received_on = received_on or timezone.localdate()
    if e.state != E.PUBLICISED or not (e.publicity_start <= received_on <= e.publicity_end):
        raise ValidationError("只能在公示期内登记异议。")
    text = _text(text, "text")
    if not text:
        raise ValidationError({"text": ["请填写异议内容。"]})
    return Objection.objects.create(enrolment=e, received_on=received_on, text=text[:500])


@transaction.atomic
def do_answer_objection(user, objection: Objection, *, answer: str, upheld: bool) -> Objection:
    if not access.has_right(user, REVIEW_ASSISTANCE, objection.enrolment.region_id):
        raise PermissionDenied("公示异议由所在街道核查。")
    answer = _text(answer, "answer")
    if not answer:
        raise ValidationError({"answer": ["请填写核查结果。"]})
    objection.answer, objection.upheld = answer[:500], upheld
    objection.save(update_fields=["answer", "upheld"])
    return objection


def award_ceiling(e: Enrolment, on: dt.date) -> Decimal | None:
    """The most a 临时救助 award may be: the region's ceiling in months of the 低保标准 in force
    (Standard TEMPORARY × DIBAO) × the members covered; None where either is not configured."""
    months = in_force(e.region_id, Standard.Programme.TEMPORARY, e.area, on)
    dibao = in_force(e.region_id, Standard.Programme.DIBAO, e.area, on)
    if months is None or months.multiplier is None or dibao is None or dibao.amount is None:
        return None
    return (months.multiplier * dibao.amount * e.members_covered).quantize(Decimal("0.01"))


def _award(e: Enrolment, award_amount, on: dt.date) -> Decimal:
    if award_amount in (None, ""):
        raise ValidationError({"award_amount": ["临时救助须确定一次性救助金额。"]})
    text = str(award_amount).strip()
    if not AMOUNT_RE.fullmatch(text):
        raise ValidationError({"award_amount": ["救助金额应为正数（元），最多两位小数。"]})
    amount = Decimal(text)
    if amount <= 0:
        raise ValidationError({"award_amount": ["救助金额应为正数（元），最多两位小数。"]})
    ceiling = award_ceiling(e, on)
    if ceiling is not None and amount > ceiling:
        raise ValidationError({"award_amount": [f"救助金额超过当地上限 {ceiling} 元。"]})
    return amount


@transaction.atomic
def do_decide(user, e: Enrolment, *, enrol: bool, reason: str = "", on: dt.date | None = None,
              award_amount=None, request=None) -> Enrolment:
    """区民政局's decision (or the street's, where delegated: can_decide). Refusing always needs
    written reasons; enrolling needs them when the computed result was not 符合 (a staff
    override) or an objection was upheld. Enrolling in 临时救助 fixes its one-off award
    (positive, within the region's ceiling: award_ceiling), paid once by the next cycle."""
    on = on or timezone.localdate()
    if not can_decide(user, e, on):
        raise PermissionDenied("审核确认由区民政局办理（或已下放审核确认权的街道）。")
    reason = _text(reason, "reason")
    if enrol and e.programme == Programme.TEMPORARY:
        e.award_amount = _award(e, award_amount, on)
    if enrol:
        if e.state != E.PUBLICISED:
            raise ValidationError("须经街道审核并公示后才能认定。")
        if on < e.publicity_end:
            raise ValidationError(f"公示期至 {e.publicity_end}，期满后才能认定。")
        if e.objections.filter(upheld__isnull=True).exists():
            raise ValidationError("还有未核查的公示异议。")
        override = e.computed_verdict != el.ELIGIBLE or e.objections.filter(upheld=True).exists()
        if override and not reason:
            raise ValidationError({"reason": ["测算结论不是“符合”或异议成立，认定须写明理由。"]})
    elif not reason:
        raise ValidationError({"reason": ["不予认定须书面说明理由。"]})
    e.decided_on, e.decision_reason = on, reason[:500]
    if enrol:
        months = review_months(e, procedure_for(e.region_id, on))
        e.next_review_on = add_months(on, months)
        _move(user, e, "enrol", reason, request, on=on)
        Review.objects.create(enrolment=e, due_on=e.next_review_on)
    else:
        _move(user, e, "refuse", reason, request, on=on)
    return e


@transaction.atomic
def do_complete_review(user, review: Review, *, outcome: str, note: str = "",
                       on: dt.date | None = None) -> Review:
    """The community worker's periodic review: keep, change (the latest assessment's income
    becomes the benefit's), pause or end; the next review is scheduled unless it ended. Keeping
    or changing a paused benefit resumes it. Each outcome but "keep" of a running benefit is an
    event effective on the review's day (a change records the members covered from then)."""
    e = review.enrolment
    if not access.can_register(user, e.region_id):
        raise PermissionDenied("复核由所在社区办理。")
    if review.done_on is not None:
        raise ValidationError("该复核已完成。")
    if review.kind == Review.Kind.AFTER_REVIEW:
        raise ValidationError("先行救助的补办审核在救助申请页面办理。")
    if outcome not in (Review.Outcome.KEEP, Review.Outcome.CHANGE, Review.Outcome.PAUSE,
                       Review.Outcome.END):
        raise ValidationError({"outcome": ["请选择复核结论。"]})
    note = _text(note, "note")
    if outcome in (Review.Outcome.PAUSE, Review.Outcome.END, Review.Outcome.CHANGE) and not note:
        raise ValidationError({"note": ["调整、暂停或退出须写明理由。"]})
    on = on or timezone.localdate()
    if on > timezone.localdate():
        raise ValidationError({"done_on": ["复核日期不能晚于今天。"]})
    if e.state not in (E.ENROLLED, E.PAUSED):
        raise ValidationError(f"当前状态为“{e.get_state_display()}”，不能复核。")
    review.done_on, review.outcome, review.note, review.done_by = on, outcome, note[:300], user
    review.save()
    paused = e.state == E.PAUSED
    if outcome == Review.Outcome.CHANGE:
        a = e.household.assessments.order_by("-assessed_on", "-id").first()
        if a is not None:
            e.assessment, e.per_capita_income = a, a.per_capita_monthly
            e.members_covered = 1 if e.person_id else e.household.members.count()
            e.save()
        if not paused:
            _event(user, e, E.ENROLLED, on, f"复核调整：{note}")
    if outcome == Review.Outcome.PAUSE:
        _move(user, e, "pause", note, on=on)
    elif outcome == Review.Outcome.END:
        e.next_review_on = None
        _move(user, e, "end", note, on=on)
        return review
    elif paused:
        _move(user, e, "resume", f"复核恢复：{note}" if note else "复核恢复", on=on)
    e.next_review_on = add_months(on, review_months(e, procedure_for(e.region_id, on)))
    e.save(update_fields=["next_review_on", "state"])
    Review.objects.create(enrolment=e, due_on=e.next_review_on)
    return review


# --- 先行救助 (急难型临时救助 paid first, reviewed afterwards) --------------------------------
# A.2 of the assistance brief: 临时救助 has an ordinary and an emergency procedure (先行救助) with
# a 备用金 (petty-cash fund) for emergencies. The street pays the award from its 备用金 at once and
# the usual decision is made afterwards, within the region's Procedure.after_review_days (the
# brief gives no national time limit: configuration). The after-review is a task on the review
# list (Review kind after_review), overdue once its due day has passed.


@transaction.atomic
def do_pay_first(user, e: Enrolment, *, award_amount, reason: str, on: dt.date | None = None,
                 request=None) -> Enrolment:
    """The street pays an applied 临时救助 first: a written 急难 reason, an award within the
    region's ceiling (award_ceiling); the enrolment is in benefit from the day, flagged
    paid_first (no payment cycle pays it again), and the after-review falls due."""
    on = on or timezone.localdate()
    if not (access.has_right(user, REVIEW_ASSISTANCE, e.region_id) or can_decide(user, e, on)):
        raise PermissionDenied("先行救助由所在街道（乡镇）办理。")
    if e.programme != Programme.TEMPORARY:
        raise ValidationError("只有临时救助可以先行救助。")
    if on > timezone.localdate():
        raise ValidationError("日期不能晚于今天。")
    reason = _text(reason, "reason")
    if not reason:
        raise ValidationError({"reason": ["先行救助须写明急难情形。"]})
    e.award_amount = _award(e, award_amount, on)
    days = procedure_for(e.region_id, on).after_review_days
    e.paid_first, e.decided_on, e.decision_reason = True, on, reason[:500]
    e.after_review_due = on + dt.timedelta(days=days)
    _move(user, e, "pay_first", f"先行救助 {e.award_amount} 元（备用金）：{reason}；"
          f"补办审核期限 {e.after_review_due}", request, on=on)
    Review.objects.create(enrolment=e, due_on=e.after_review_due, kind=Review.Kind.AFTER_REVIEW)
    return e


@transaction.atomic
def do_after_review(user, e: Enrolment, *, confirm: bool, reason: str = "",
                    on: dt.date | None = None, request=None) -> Enrolment:
    """The decision made afterwards (区民政局, or the street where delegated). Confirming
    closes the task; refusing needs written reasons, ends the aid and records that the money
    already paid is not recovered by the system (recovery, if any, is handled outside it)."""
    on = on or timezone.localdate()
    if not can_decide(user, e, on):
        raise PermissionDenied("补办审核由区民政局办理（或已下放审核确认权的街道）。")
    e = Enrolment.objects.select_for_update().get(pk=e.pk)
    if not e.paid_first or e.after_review_outcome:
        raise ValidationError("该救助不是待补办审核的先行救助。")
    if on > timezone.localdate() or on < e.decided_on:
        raise ValidationError("补办审核日期应在先行救助之后、不晚于今天。")
    reason = _text(reason, "reason")
    if not confirm and not reason:
        raise ValidationError({"reason": ["补审不予确认须书面说明理由。"]})
    late = on > e.after_review_due
    outcome = "confirmed" if confirm else "refused"
    note = ("补审确认" if confirm else
            f"补审不予确认：{reason}；已先行发放 {e.award_amount} 元，系统不自动追回，如需追回另行处理")
    if late:
        note += f"（超过补办期限 {e.after_review_due}）"
    e.after_review_outcome, e.after_review_on = outcome, on
    if reason:
        e.decision_reason = f"{e.decision_reason}；补审：{reason}"[:500]
    e.save(update_fields=["after_review_outcome", "after_review_on", "decision_reason"])
    Review.objects.filter(enrolment=e, kind=Review.Kind.AFTER_REVIEW, done_on__isnull=True
                          ).update(done_on=on, done_by=user, note=note[:300],
                                   outcome=Review.Outcome.CONFIRMED if confirm
                                   else Review.Outcome.REFUSED)
    if confirm:
        masking.log(user, AuditLog.Action.UPDATE, e.household,
                    object_type="assistance.enrolment", object_id=str(e.pk), detail=note,
                    request=request)
    else:
        _move(user, e, "end", note, request, on=on)
    return e
