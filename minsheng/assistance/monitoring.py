"""The only writers of 防返贫 monitoring (do_*): thresholds, alerts, the identification steps,
risks, measures and removal reviews. Each is atomic, checks the right itself (monitoring_access)
and is audited (accounts.masking.log); each workflow step is also a MonitoringStep row with who
and when. The rules are relapse.py's."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from minsheng.accounts import masking
from minsheng.accounts.models import AuditLog
from minsheng.assistance import monitoring_access as access
from minsheng.assistance import relapse
from minsheng.assistance.models import Assessment, Household, Person
from minsheng.assistance.monitoring_models import (
    Alert,
    CaseRisk,
    Measure,
    MonitoringCase,
    MonitoringStep,
    MonitoringThreshold,
    RemovalReview,
)
from minsheng.cases.access import cases_for
from minsheng.employment.models import Employment, Unemployment
from minsheng.lib.validators import check_no_control_chars

__all__ = ["check_threshold", "do_add_measure", "do_add_risk", "do_add_threshold", "do_dismiss", "do_edit_threshold",
           "do_handle_alert", "do_link_grievance", "raise_zero_employment_alerts",
           "do_report_alert", "do_review_removal", "do_step", "do_reveal", "threshold",
           "on_district_loaded", "seed_working_age", "working_age_rule",
           "DEFAULT_ALERT_DAYS"]

# Used only where a region has no 预警处置时限 of its own (MonitoringThreshold kind alert_days).
DEFAULT_ALERT_DAYS = 15
S = MonitoringCase.State


def today() -> dt.date:
    return timezone.localdate()


def _as_rule(t: MonitoringThreshold) -> relapse.Threshold:
    return relapse.Threshold(t.region_id, t.kind, t.amount, t.valid_from, t.valid_to)


def threshold(kind: str, region_code: str, on: dt.date) -> relapse.Threshold | None:
    """The threshold of `kind` in force for the region on that day (relapse.in_force)."""
    ancestors = [region_code[:n].ljust(12, "0") for n in (2, 4, 6, 9)] + [region_code]
    rows = MonitoringThreshold.objects.filter(kind=kind, region_id__in=ancestors,
                                              valid_from__lte=on)
    return relapse.in_force([_as_rule(t) for t in rows], kind, region_code, on)


WORKING_AGE_KINDS = {"from_age": MonitoringThreshold.Kind.WORKING_AGE_FROM,
                     "male_until": MonitoringThreshold.Kind.WORKING_AGE_MALE,
                     "female_until": MonitoringThreshold.Kind.WORKING_AGE_FEMALE}


def working_age_rule(region_code: str, on: dt.date) -> relapse.WorkingAge:
    """法定劳动年龄 in force for the region on the day: the one reader of the working-age
    thresholds, used by the 零就业家庭 check here and by the employment registers and training
    (employment/actions.py). Each bound falls back to relapse.DEFAULT_WORKING_AGE only where no
    row of its kind is in force (a region set up after the defaults were seeded)."""
    default = relapse.DEFAULT_WORKING_AGE
    ages, sources = {}, []
    for field, kind in WORKING_AGE_KINDS.items():
        t = threshold(kind, region_code, on)
        ages[field] = int(t.amount) if t is not None else getattr(default, field)
        sources.append(default.source if t is None else "")
    return relapse.WorkingAge(**ages, source="" if not any(sources) else default.source)


def seed_working_age(district_code: str) -> int:
    """The default 法定劳动年龄 rows (relapse.DEFAULT_WORKING_AGE: 16, 60, 55) for a district,
    from 1995-01-01 (the 劳动法's entry into force), marked unverified: only the kinds the
    district has no row of, so a district's own rows are never touched and a second call adds
    nothing. Called for every district loaded after migration 0013 seeded those then present
    (on_district_loaded) and by the demo. Returns the rows added."""
    code = district_code.ljust(12, "0")
    default = relapse.DEFAULT_WORKING_AGE
    have = set(MonitoringThreshold.objects.filter(region_id=code, kind__in=WORKING_AGE_KINDS.values())
               .values_list("kind", flat=True))
    rows = [MonitoringThreshold(region_id=code, kind=kind, amount=Decimal(getattr(default, field)),
                                valid_from=dt.date(1995, 1, 1), source=default.source,
                                verified=False)
            for field, kind in WORKING_AGE_KINDS.items() if kind not in have]
    MonitoringThreshold.objects.bulk_create(rows)
    return len(rows)


def on_district_loaded(sender, *, district_code: str, **kwargs) -> None:
    """Receiver of places.signals.district_loaded (connected in AssistanceConfig.ready)."""
    seed_working_age(district_code)


def alert_days(region_code: str, on: dt.date) -> int:
    t = threshold(MonitoringThreshold.Kind.ALERT_DAYS, region_code, on)
    return int(t.amount) if t is not None else DEFAULT_ALERT_DAYS


def _step(case: MonitoringCase, user, step: str, source: str, target: str, note: str = "",
          at: dt.datetime | None = None) -> MonitoringStep:
    return MonitoringStep.objects.create(case=case, step=step, from_state=source, to_state=target,
                                         by=user if user is not None and user.is_authenticated
                                         else None, at=at or timezone.now(), note=note[:500])


def _locked(case: MonitoringCase) -> MonitoringCase:
    return MonitoringCase.objects.select_for_update().get(pk=case.pk)


def check_threshold(*, region, kind: str, amount: Decimal, valid_from: dt.date,
                     valid_to: dt.date | None, source: str, pk: int | None = None) -> str:
    """A threshold's own rules: a known kind, a positive amount, dates in order, a one-line
    source, and no other row of the same kind for the same region whose dates overlap (an
    open-ended row runs for ever: close it with a 截止日期 before adding the next). Returns the
    cleaned source."""
    if kind not in MonitoringThreshold.Kind.values:
        raise ValidationError({"kind": "请选择类别。"})
    if amount is None or not amount.is_finite() or amount <= 0:
        raise ValidationError({"amount": "数值应为正数。"})
    if kind in WORKING_AGE_KINDS.values() and (amount != amount.to_integral_value()
                                               or not 10 <= amount <= 80):
        raise ValidationError({"amount": "劳动年龄应为10至80之间的整数（周岁）。"})
    if valid_to is not None and valid_to < valid_from:
        raise ValidationError({"valid_to": "截止日期不能早于起始日期。"})
    source = (source or "").strip()
    check_no_control_chars(source)
    others = MonitoringThreshold.objects.filter(region=region, kind=kind).exclude(pk=pk)
    if valid_to is not None:
        others = others.filter(valid_from__lte=valid_to)
    clash = others.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from)).first()
    if clash is not None:
        until = clash.valid_to or "长期"
        raise ValidationError(
            f"与该区划已有的“{clash.get_kind_display()}”（{clash.valid_from} 至 {until}）日期重叠；"
            f"同一区划同一类别的标准不能同时生效，请先调整其截止日期。")
    return source


@transaction.atomic
def do_add_threshold(user, *, region, kind: str, amount: Decimal, valid_from: dt.date,
                     valid_to: dt.date | None = None, source: str = "",
                     verified: bool = False) -> MonitoringThreshold:
    if not access.can_manage(user, region.code):
        raise PermissionDenied("您无权设置该区划的防返贫监测标准。")
    source = check_threshold(region=region, kind=kind, amount=amount, valid_from=valid_from,
                              valid_to=valid_to, source=source)
    t = MonitoringThreshold.objects.create(region=region, kind=kind, amount=amount,
                                           valid_from=valid_from, valid_to=valid_to,
                                           source=source, verified=verified)
    masking.log(user, AuditLog.Action.CREATE, t, detail=f"设置监测标准：{t}")
    return t


@transaction.atomic
def do_edit_threshold(user, t: MonitoringThreshold, *, region, kind: str, amount: Decimal,
                      valid_from: dt.date, valid_to: dt.date | None = None, source: str = "",
                      verified: bool = False) -> MonitoringThreshold:
    """Correct a threshold or close it with a 截止日期 (both regions, old and new, must be the
    user's to set); alerts keep the line they were checked against (Alert.threshold_amount)."""
    t = MonitoringThreshold.objects.select_for_update().get(pk=t.pk)
    if not (access.can_manage(user, t.region_id) and access.can_manage(user, region.code)):
        raise PermissionDenied("您无权设置该区划的防返贫监测标准。")
    source = check_threshold(region=region, kind=kind, amount=amount, valid_from=valid_from,
                              valid_to=valid_to, source=source, pk=t.pk)
    before = str(t)
    t.region, t.kind, t.amount, t.valid_from, t.valid_to = region, kind, amount, valid_from, \
        valid_to
    t.source, t.verified = source, verified
    t.save()
    masking.log(user, AuditLog.Action.UPDATE, t, detail=f"修改监测标准：{before} → {t}")
    return t


@transaction.atomic
def do_report_alert(user, household: Household, *, channel: str, risk: str, event_date: dt.date,
                    description: str = "", person: Person | None = None, kind: str = "",
                    amount: Decimal | None = None, source_list: str = "",
                    at: dt.datetime | None = None, check: bool = True,
                    generated: bool = False) -> Alert:
    """Record a signal (self-report, cadre visit, department list …); due within the region's
    预警处置时限. `check=False` only for imports, which checked the right for the whole file."""
    if check and not access.can_record(user, household.region_id):
        raise PermissionDenied("您无权为该户登记返贫风险预警。")
    received = at or timezone.now()
    if event_date > timezone.localtime(received).date():
        raise ValidationError({"event_date": "发生日期不能晚于今天。"})
    t = threshold(kind, household.region_id, event_date) if kind else None
    days = alert_days(household.region_id, timezone.localtime(received).date())
    alert = Alert.objects.create(
        household=household, person=person, region_id=household.region_id, channel=channel,
        risk=risk, kind=kind, amount=amount, threshold_amount=t.amount if t else None,
        event_date=event_date, received_at=received, due_at=received + dt.timedelta(days=days),
        description=description[:500], source_list=source_list[:100], generated=generated)
    if check:
        masking.log(user, AuditLog.Action.CREATE, alert,
                    detail=f"登记返贫风险预警：{household.number}（{alert.get_channel_display()}）")
    return alert


def open_case_of(household: Household) -> MonitoringCase | None:
    return (MonitoringCase.objects.filter(household=household, state__in=relapse.OPEN_STATES)
            .order_by("-pk").first())


@transaction.atomic
def do_handle_alert(user, alert: Alert, *, dismiss_reason: str = "",
                    at: dt.datetime | None = None) -> Alert:
    """Handle an alert: dismiss it with a reason, join the household's open case (adding the
    risk), or open a new case at 入户核查 — also for a household whose risk was removed before
    (re-entry)."""
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if not access.can_record(user, alert.region_id):
        raise PermissionDenied("您无权处置该预警。")
    if alert.state != Alert.State.OPEN:
        raise ValidationError("该预警已处置。")
    when = at or timezone.now()
    if dismiss_reason.strip():
        alert.outcome = Alert.Outcome.DISMISSED
        alert.reason = dismiss_reason.strip()[:300]
    else:
        case = open_case_of(alert.household)
        if case is not None:
            alert.outcome = Alert.Outcome.JOINED
        else:
            case = MonitoringCase.objects.create(
                household=alert.household, region_id=alert.household.region_id,
                opened_on=timezone.localtime(when).date(), generated=alert.generated,
                rigid_spending=alert.amount or 0)
            _step(case, user, "alert", "", S.HOME_CHECK,
                  f"{alert.get_channel_display()}：{alert.description}", at=when)
            alert.outcome = Alert.Outcome.OPENED
        CaseRisk.objects.get_or_create(case=case, risk=alert.risk)
        alert.case = case
    alert.state = Alert.State.HANDLED
    alert.handled_at = when
    alert.handled_by = user
    alert.save()
    masking.log(user, AuditLog.Action.UPDATE, alert,
                detail=f"处置预警：{alert.household.number}，{alert.get_outcome_display()}")
    return alert


@transaction.atomic
def do_link_grievance(user, alert: Alert, number: str, request=None) -> Alert:
    """Link the alert to a grievance case (cases/) by the case's number: a case the user may
    read; an empty number removes the link. The case keeps its own handling and clocks."""
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if not access.can_record(user, alert.region_id):
        raise PermissionDenied("您无权处置该预警。")
    number = (number or "").strip()
    check_no_control_chars(number)
    case = None
    if number:
        case = cases_for(user).filter(number=number[:32]).first()
        if case is None:
            raise ValidationError({"grievance": "找不到该诉求编号（或不在您可查看的范围内）。"})
    alert.grievance = case
    alert.save(update_fields=["grievance"])
    masking.log(user, AuditLog.Action.UPDATE, alert, request=request,
                detail=f"预警关联诉求：{alert.household.number} → {number or '（取消关联）'}")
    return alert


ZERO_EMPLOYMENT_SOURCE = "零就业家庭（就业失业登记比对）"


def raise_zero_employment_alerts(on: dt.date | None = None) -> int:
    """The daily check of the employment registers (web/jobs.py, "monitoring-zero-employment"):
    every registered household that is a 零就业家庭 on the day (relapse.zero_employment) gets an
    alert of risk 务工就业收入骤减 through the platform channel — at most one open per household,
    none while the household has an open monitoring case (it is being handled), and none again
    after a dismissal until a member registers unemployed anew. Returns how many were raised."""
    on = on or today()
    registered = dict(
        Unemployment.objects.filter(registered_on__lte=on, person__household__isnull=False)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=on))
        .values_list("person_id", "registered_on").order_by("registered_on"))
    if not registered:
        return 0
    households = set(Person.objects.filter(pk__in=registered).values_list("household_id",
                                                                          flat=True))
    people = list(Person.objects.filter(household_id__in=households)
                  .values_list("pk", "household_id", "birth_date", "sex", "labour_capacity"))
    employed = set(Employment.objects.filter(person_id__in=[p[0] for p in people],
                                             employed_on__lte=on)
                   .filter(Q(left_on__isnull=True) | Q(left_on__gt=on))
                   .values_list("person_id", flat=True))
    by_household: dict[int, list[tuple[int, relapse.Member]]] = {}
    for pk, hh, born, sex, labour in people:
        by_household.setdefault(hh, []).append((pk, relapse.Member(
            born, sex, labour in (Person.Labour.FULL, Person.Labour.PARTIAL), pk in employed,
            pk in registered)))
    # the working age of each household's region in force on the day (working_age_rule)
    region_of = dict(Household.objects.filter(pk__in=by_household).values_list("pk",
                                                                                "region_id"))
    rules = {code: working_age_rule(code, on) for code in set(region_of.values())}
    zero = {hh for hh, ms in by_household.items()
            if relapse.zero_employment([m for _pk, m in ms], on, rules[region_of[hh]])}
    busy = set(Alert.objects.filter(household_id__in=zero, state=Alert.State.OPEN,
                                    risk=CaseRisk.Risk.INCOME_JOB)
               .values_list("household_id", flat=True))
    busy |= set(MonitoringCase.objects.filter(household_id__in=zero,
                                              state__in=relapse.OPEN_STATES)
                .values_list("household_id", flat=True))
    dismissed: dict[int, dt.date] = {}
    for hh, at in Alert.objects.filter(household_id__in=zero, source_list=ZERO_EMPLOYMENT_SOURCE,
                                       outcome=Alert.Outcome.DISMISSED).values_list(
            "household_id", "handled_at"):
        day = timezone.localtime(at).date() if at else on
        dismissed[hh] = max(dismissed.get(hh, day), day)
    raised = 0
    for household in Household.objects.filter(pk__in=zero - busy).order_by("pk"):
        ms = by_household[household.pk]
        latest = max(registered[pk] for pk, m in ms if m.registered_unemployed)
        if household.pk in dismissed and dismissed[household.pk] >= latest:
            continue
        workers = sum(1 for _pk, m in ms if m.able)
        do_report_alert(
            None, household, channel=Alert.Channel.PLATFORM, risk=CaseRisk.Risk.INCOME_JOB,
            event_date=on, source_list=ZERO_EMPLOYMENT_SOURCE, check=False,
            description=f"零就业家庭：法定劳动年龄内有劳动能力的 {workers} 名成员均未就业，"
                        f"其中 {sum(1 for _pk, m in ms if m.registered_unemployed)} 人"
                        f"已办理失业登记")
        raised += 1
    return raised


ASSESSMENT_VALID_DAYS = 365  # an economic assessment older than a year is not reused


def assessment_for(household: Household, on: dt.date) -> Assessment | None:
    """The household's latest economic assessment (家庭经济状况核对) made in the year up to `on`:
    the one record of income every programme reuses, and so does the monitoring."""
    return (Assessment.objects.filter(household=household, assessed_on__lte=on,
                                      assessed_on__gt=on - dt.timedelta(days=ASSESSMENT_VALID_DAYS))
            .order_by("-assessed_on", "-pk").first())


def annual_per_capita(assessment: Assessment) -> Decimal:
    """The assessment's per-capita monthly income as the annual figure the monitoring lines use."""
    return (assessment.per_capita_monthly * 12).quantize(Decimal("0.01"))


@transaction.atomic
def do_step(user, case: MonitoringCase, step_code: str, *, note: str = "",
            per_capita_income: Decimal | None = None, category: str = "",
            at: dt.datetime | None = None) -> MonitoringCase:
    """Take the next step of the identification workflow (relapse.STEPS). 信息比对 records the
    household's per-capita income; 民主评议 the category; 区级审定 fixes the date and the lines in
    force on it."""
    case = _locked(case)
    try:
        step = relapse.step_for(case.state, step_code)
    except relapse.StepError as e:
        raise ValidationError(str(e)) from None
    if not access.can_take(user, case, step.level):
        raise PermissionDenied(f"您无权办理“{step.label}”。")
    when = at or timezone.now()
    day = timezone.localtime(when).date()
    if per_capita_income is not None:
        if per_capita_income < 0:
            raise ValidationError({"per_capita_income": "收入不能为负数。"})
        case.per_capita_income = per_capita_income
    if step.code == "data_match" and case.per_capita_income is None:
        assessment = assessment_for(case.household, day)
        if assessment is None:
            raise ValidationError({"per_capita_income": "信息比对须填写家庭年人均纯收入"
                                   "（该户一年内没有经济状况核对可以沿用）。"})
        case.per_capita_income = annual_per_capita(assessment)
        note = (note + "；" if note else "") + (
            f"收入沿用 {assessment.assessed_on} 的家庭经济状况核对")
    if category:
        if category not in MonitoringCase.Category.values:
            raise ValidationError({"category": "未知的监测类别。"})
        case.category = category
    if step.code == "village_review" and not case.category:
        raise ValidationError({"category": "民主评议须确定监测类别。"})
    if step.code == "district_approval":
        line = threshold(MonitoringThreshold.Kind.MONITORING_LINE, case.region_id, day)
        poverty = threshold(MonitoringThreshold.Kind.POVERTY_LINE, case.region_id, day)
        if line is None:
            raise ValidationError("本区划没有当日有效的监测范围标准，请先设置。")
        case.monitoring_line = line.amount
        case.poverty_line = poverty.amount if poverty else None
        case.identified_on = day
    source = case.state
    case.state = step.target
    case.save()
    _step(case, user, step.code, source, step.target, note, at=when)
    masking.log(user, AuditLog.Action.UPDATE, case,
                detail=f"防返贫监测 {case.household.number}：{step.label}")
    return case


@transaction.atomic
def do_dismiss(user, case: MonitoringCase, *, reason: str,
               at: dt.datetime | None = None) -> MonitoringCase:
    case = _locked(case)
    if not relapse.can_dismiss(case.state):
        raise ValidationError("只有识别程序中的对象可以不予纳入。")
    if not access.can_take(user, case, relapse.DISMISS_LEVEL):
        raise PermissionDenied("不予纳入须由乡镇（街道）或区级决定。")
    if not reason.strip():
        raise ValidationError({"reason": "请写明不予纳入的原因。"})
    when = at or timezone.now()
    source = case.state
    case.state = S.DISMISSED
    case.dismiss_reason = reason.strip()[:300]
    case.closed_on = timezone.localtime(when).date()
    case.save()
    _step(case, user, "dismiss", source, S.DISMISSED, reason, at=when)
    masking.log(user, AuditLog.Action.UPDATE, case,
                detail=f"防返贫监测 {case.household.number}：不予纳入")
    return case


@transaction.atomic
def do_add_risk(user, case: MonitoringCase, risk: str) -> CaseRisk:
    if not access.can_record(user, case.region_id):
        raise PermissionDenied("您无权修改该户的风险类型。")
    if risk not in CaseRisk.Risk.values:
        raise ValidationError({"risk": "未知的风险类型。"})
    r, _ = CaseRisk.objects.get_or_create(case=case, risk=risk)
    masking.log(user, AuditLog.Action.UPDATE, case, detail=f"增加风险类型：{r.get_risk_display()}")
    return r


@transaction.atomic
def do_add_measure(user, case: MonitoringCase, *, kind: str, start_date: dt.date,
                   end_date: dt.date | None = None, description: str = "") -> Measure:
    if not access.can_record(user, case.region_id):
        raise PermissionDenied("您无权为该户登记帮扶措施。")
    if case.state != S.MONITORED:
        raise ValidationError("只有纳入监测的户可以登记帮扶措施。")
    errors = {}
    if kind not in Measure.Kind.values:
        errors["kind"] = "未知的帮扶措施。"
    if start_date > today():
        errors["start_date"] = "开始日期不能晚于今天。"
    if end_date is not None and end_date < start_date:
        errors["end_date"] = "结束日期不能早于开始日期。"
    if errors:
        raise ValidationError(errors)
    m = Measure.objects.create(case=case, kind=kind, start_date=start_date, end_date=end_date,
                               description=description[:300], recorded_by=user)
    masking.log(user, AuditLog.Action.CREATE, case,
                detail=f"登记帮扶措施：{m.get_kind_display()}（{start_date}起）")
    return m


def able_to_work(household: Household) -> int:
    return Person.objects.filter(household=household).exclude(
        labour_capacity=Person.Labour.NONE).count()


@transaction.atomic
def do_review_removal(user, case: MonitoringCase, *, reviewed_on: dt.date,
                      per_capita_income: Decimal, income_stable: bool, spending_resolved: bool,
                      guarantees_secure: bool, risk_gone: bool) -> RemovalReview:
    """风险消除 review: the five conditions as checked, the guards from the records (months since
    the district approved, measures started by the review day, members able to work); when all
    hold the household's risk is marked removed (its data stays; a new risk opens a new case)."""
    case = _locked(case)
    if not access.can_manage(user, case.region_id):
        raise PermissionDenied("风险消除须由区级审核确认。")
    if case.state != S.MONITORED or case.identified_on is None:
        raise ValidationError("只有监测帮扶中的户可以做风险消除评估。")
    if reviewed_on > today() or reviewed_on < case.identified_on:
        raise ValidationError({"reviewed_on": "评估日期须在纳入监测之后、且不晚于今天。"})
    line = threshold(MonitoringThreshold.Kind.MONITORING_LINE, case.region_id, reviewed_on)
    if line is None:
        raise ValidationError("本区划没有当日有效的监测范围标准，请先设置。")
    measures = case.measures.filter(start_date__lte=reviewed_on).count()
    workers = able_to_work(case.household)
    result = relapse.review_removal(relapse.ReviewInput(
        identified_on=case.identified_on, reviewed_on=reviewed_on, measures=measures,
        able_to_work=workers, per_capita_income=per_capita_income,
        monitoring_line=line.amount, income_stable=income_stable,
        spending_resolved=spending_resolved, guarantees_secure=guarantees_secure,
        risk_gone=risk_gone))
    review = RemovalReview.objects.create(
        case=case, reviewed_on=reviewed_on, by=user, per_capita_income=per_capita_income,
        monitoring_line=line.amount, income_stable=income_stable,
        spending_resolved=spending_resolved, guarantees_secure=guarantees_secure,
        risk_gone=risk_gone, months_monitored=result.months_monitored, measures=measures,
        able_to_work=workers, passed=result.passed, reasons="\n".join(result.reasons))
    if result.passed:
        case.state = S.REMOVED
        case.closed_on = reviewed_on
        case.save()
        _step(case, user, "removal", S.MONITORED, S.REMOVED, "风险消除评估通过")
    masking.log(user, AuditLog.Action.UPDATE, case,
                detail=f"风险消除评估 {case.household.number}："
                       f"{'通过' if result.passed else '未通过'}")
    return review


def do_reveal(user, case: MonitoringCase, request=None) -> dict[str, str]:
    """The household's ID numbers and income unmasked, for a user who may (audited)."""
    if not access.can_unmask(user, case.region_id):
        raise PermissionDenied("您无权查看该户的个人信息。")
    masking.log(user, AuditLog.Action.UNMASK, case, fields="id_number,per_capita_income",
                request=request)
    out = {f"id:{p.pk}": p.id_number for p in case.household.members.all()}
    out["income"] = "" if case.per_capita_income is None else str(case.per_capita_income)
    return out
