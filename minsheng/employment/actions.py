"""The only writers of employment records (do_*): atomic, checking the right themselves, audited
through accounts.masking.log. Rules of programmes come from employment/rules.py (pure).

A person is looked up in the shared registry (assistance.Person) by ID number and created there
(without a household) when the employment service meets them first; an existing person's record
is not changed here."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from minsheng.accounts import masking
from minsheng.accounts.models import AuditLog
from minsheng.assistance.models import Person
from minsheng.assistance.monitoring import working_age_rule
from minsheng.employment import rules
from minsheng.employment.access import can_manage, can_register, can_update_referral, employer_ids
from minsheng.employment.models import (
    Course,
    Employer,
    Employment,
    Enrolment,
    Event,
    Internship,
    LocalRate,
    Referral,
    Unemployment,
    Vacancy,
)
from minsheng.places.models import Region, district_code

__all__ = ["do_add_referral", "do_create_course", "do_create_event", "do_end_internship",
           "do_end_unemployment", "do_enrol", "do_finish_enrolment", "do_leave_employment",
           "do_post_vacancy", "do_register_employment", "do_register_unemployment",
           "do_save_employer", "do_start_internship", "do_update_event", "do_update_referral",
           "find_person"]


def today() -> dt.date:
    return timezone.localdate()


def _not_future(day: dt.date, what: str) -> None:
    if day > today():
        raise ValidationError(f"{what}不能晚于今天")
    if day.year < 1950:
        raise ValidationError(f"{what}不合理")


def find_person(id_number: str) -> Person | None:
    return Person.objects.filter(id_number=id_number.upper()).first()


def person_for(user, region: Region, *, name: str, id_number: str, phone: str = "",
               sex: str = "") -> Person:
    """The registry's person with this ID number, or a new one (no household) in `region`."""
    id_number = id_number.strip().upper()
    if not rules.id_valid(id_number):
        raise ValidationError("身份证号无效（应为18位且校验码正确）")
    person = find_person(id_number)
    if person is not None:
        if person.name != name.strip():
            raise ValidationError("该身份证号已登记为另一姓名，请核对")
        return person
    birth = rules.birth_of_id(id_number)
    if birth is None:
        raise ValidationError("身份证号中的出生日期无效")
    person = Person.objects.create(region=region, name=name.strip(), id_number=id_number,
                                   phone=phone, sex=sex, birth_date=birth)
    masking.log(user, AuditLog.Action.CREATE, person, detail="就业服务登记新人员")
    return person


@transaction.atomic
def do_register_unemployment(user, person: Person, *, registered_on: dt.date, reason: str,
                             region: Region | None = None, **fields) -> Unemployment:
    """失业登记 in the person's community (see register_unemployment for the rules)."""
    region = region or person.region
    if not can_register(user, region.code):
        raise PermissionDenied("您无权在该社区办理失业登记。")
    u = register_unemployment(person, region=region, registered_on=registered_on, reason=reason,
                              registered_by=user, **fields)
    masking.log(user, AuditLog.Action.CREATE, u, detail="失业登记")
    return u


def register_unemployment(person: Person, *, region: Region, registered_on: dt.date, reason: str,
                          registered_by=None, desired_work: str = "", skills: str = "",
                          graduate_year: int | None = None, veteran: bool = False,
                          hard_to_employ: bool = False, out_of_poverty: bool = False,
                          disabled: bool = False, zero_employment_household: bool = False
                          ) -> Unemployment:
    """The rules of a registration, shared by the page and the import (which check the right
    and audit): of working age in the region on the day (monitoring.working_age_rule: 16 to
    the retirement age by sex, dated configuration), one open registration per person, not while
    employed."""
    _not_future(registered_on, "登记日期")
    ages = working_age_rule(region.code, registered_on)
    age = rules.age_on(person.birth_date, registered_on)
    if age < ages.from_age:
        raise ValidationError(f"未满{ages.from_age}周岁，不能办理失业登记")
    if age >= ages.until(person.sex):
        raise ValidationError(f"已达到法定退休年龄（{ages.until(person.sex)}周岁），"
                              f"不属于城镇登记失业人员")
    if Unemployment.objects.filter(person=person, ended_on__isnull=True).exists():
        raise ValidationError("此人已有未注销的失业登记")
    if Employment.objects.filter(person=person, left_on__isnull=True,
                                 employed_on__lte=registered_on).exists():
        raise ValidationError("此人有在岗的就业登记，请先登记离岗")
    if graduate_year is not None and not 1950 <= graduate_year <= registered_on.year:
        raise ValidationError("离校年份不合理")
    return Unemployment.objects.create(
        person=person, region=region, registered_on=registered_on, reason=reason,
        desired_work=desired_work, skills=skills, graduate_year=graduate_year, veteran=veteran,
        hard_to_employ=hard_to_employ, out_of_poverty=out_of_poverty, disabled=disabled,
        zero_employment_household=zero_employment_household, registered_by=registered_by)


@transaction.atomic
def do_register_employment(user, person: Person, *, employed_on: dt.date,
                           kind: str = Employment.Kind.UNIT, employer: Employer | None = None,
                           employer_name: str = "", region: Region | None = None) -> Employment:
    """就业登记 (see register_employment)."""
    region = region or person.region
    if not can_register(user, region.code):
        raise PermissionDenied("您无权在该社区办理就业登记。")
    e = register_employment(person, region=region, employed_on=employed_on, kind=kind,
                            employer=employer, employer_name=employer_name, registered_by=user)
    masking.log(user, AuditLog.Action.CREATE, e, detail="就业登记")
    return e


def register_employment(person: Person, *, region: Region, employed_on: dt.date,
                        kind: str = Employment.Kind.UNIT, employer: Employer | None = None,
                        employer_name: str = "", registered_by=None) -> Employment:
    """One job at a time; ends the person's open unemployment registration on the same date."""
    _not_future(employed_on, "就业日期")
    if Employment.objects.filter(person=person, left_on__isnull=True).exists():
        raise ValidationError("此人已有在岗的就业登记")
    spell = Unemployment.objects.select_for_update().filter(
        person=person, ended_on__isnull=True).first()
    if spell is not None:
        if employed_on < spell.registered_on:
            raise ValidationError("就业日期早于失业登记日期")
        spell.ended_on = employed_on
        spell.end_reason = Unemployment.End.EMPLOYED
        spell.save(update_fields=["ended_on", "end_reason"])
    return Employment.objects.create(
        person=person, region=region, employed_on=employed_on, kind=kind, employer=employer,
        employer_name=employer_name or (employer.name if employer else ""), ends=spell,
        registered_by=registered_by)


@transaction.atomic
def do_end_unemployment(user, spell: Unemployment, *, ended_on: dt.date, reason: str
                        ) -> Unemployment:
    """Close a registration for a reason other than work (for work: do_register_employment)."""
    if not can_register(user, spell.region_id):
        raise PermissionDenied("您无权注销该失业登记。")
    if spell.ended_on is not None:
        raise ValidationError("该失业登记已注销")
    if reason == Unemployment.End.EMPLOYED:
        raise ValidationError("实现就业请办理就业登记")
    _not_future(ended_on, "注销日期")
    if ended_on < spell.registered_on:
        raise ValidationError("注销日期早于登记日期")
    spell.ended_on, spell.end_reason = ended_on, reason
    spell.save(update_fields=["ended_on", "end_reason"])
    masking.log(user, AuditLog.Action.UPDATE, spell, detail=f"注销失业登记：{reason}")
    return spell


@transaction.atomic
def do_leave_employment(user, job: Employment, *, left_on: dt.date, reason: str) -> Employment:
    if not can_register(user, job.region_id):
        raise PermissionDenied("您无权修改该就业登记。")
    if job.left_on is not None:
        raise ValidationError("已登记离岗")
    _not_future(left_on, "离岗日期")
    if left_on < job.employed_on:
        raise ValidationError("离岗日期早于就业日期")
    job.left_on, job.left_reason = left_on, reason
    job.save(update_fields=["left_on", "left_reason"])
    masking.log(user, AuditLog.Action.UPDATE, job, detail=f"离岗：{reason}")
    return job


@transaction.atomic
def do_save_employer(user, employer: Employer | None = None, **fields) -> Employer:
    region = fields.get("region") or (employer.region if employer else None)
    if region is None or not can_manage(user, region.code):
        raise PermissionDenied("您无权登记该用人单位。")
    if employer is None:
        employer = Employer.objects.create(**fields)
        masking.log(user, AuditLog.Action.CREATE, employer, detail=f"用人单位：{employer.name}")
    else:
        for k, v in fields.items():
            setattr(employer, k, v)
        employer.save()
        masking.log(user, AuditLog.Action.UPDATE, employer, detail=f"用人单位：{employer.name}")
    return employer


@transaction.atomic
def do_post_vacancy(user, employer: Employer, **fields) -> Vacancy:
    """The employment service, or the employer itself, posts a vacancy."""
    if not (can_manage(user, employer.region_id) or employer.pk in employer_ids(user)):
        raise PermissionDenied("您无权为该单位发布岗位。")
    fields.setdefault("region", employer.region)
    fields.setdefault("posted_on", today())
    lo, hi = fields.get("wage_min"), fields.get("wage_max")
    if lo is not None and hi is not None and lo > hi:
        raise ValidationError("月薪下限不能高于上限")
    if fields.get("closes_on") and fields["closes_on"] < fields["posted_on"]:
        raise ValidationError("截止日期早于发布日期")
    v = Vacancy.objects.create(employer=employer, **fields)
    masking.log(user, AuditLog.Action.CREATE, v, detail=f"发布岗位：{v.title}")
    return v


@transaction.atomic
def do_create_event(user, *, employers=(), vacancies=(), **fields) -> Event:
    region = fields["region"]
    if not can_manage(user, region.code):
        raise PermissionDenied("您无权举办该招聘活动。")
    if fields.get("agreements", 0) > fields.get("visitors", 0):
        raise ValidationError("达成意向人数不能多于入场人数")
    if fields.get("held_on") and fields["held_on"].year < 1950:
        raise ValidationError("举办日期不合理")
    ev = Event.objects.create(**fields)
    ev.employers.set(employers)
    ev.vacancies.set(vacancies)
    ev.employers.add(*{v.employer_id for v in vacancies})
    masking.log(user, AuditLog.Action.CREATE, ev, detail=f"招聘活动：{ev.name}")
    return ev


def hired_at(event: Event) -> int:
    """Referrals made at the event that ended in hiring: agreements the records prove."""
    return event.referrals.filter(status=Referral.Status.HIRED).count()


@transaction.atomic
def do_update_event(user, event: Event, *, employers=None, vacancies=None, **fields) -> Event:
    """Change an event: its details, who came and what was on offer, attendance and agreements.
    Agreements never exceed attendance, nor fall below the referrals hired at the event."""
    if not can_manage(user, event.region_id):
        raise PermissionDenied("您无权修改该招聘活动。")
    region = fields.get("region")
    if region is not None and not can_manage(user, region.code):
        raise PermissionDenied("您无权在该区划举办招聘活动。")
    for k, v in fields.items():
        setattr(event, k, v)
    if event.agreements > event.visitors:
        raise ValidationError("达成意向人数不能多于入场人数")
    hired = hired_at(event)
    if event.agreements < hired:
        raise ValidationError(f"达成意向人数不能少于本场推荐录用的 {hired} 人")
    event.save()
    if employers is not None:
        event.employers.set(employers)
    if vacancies is not None:
        event.vacancies.set(vacancies)
        event.employers.add(*{v.employer_id for v in vacancies})
    masking.log(user, AuditLog.Action.UPDATE, event, detail=f"招聘活动：{event.name}")
    return event


@transaction.atomic
def do_add_referral(user, person: Person, vacancy: Vacancy, *, referred_on: dt.date | None = None,
                    event: Event | None = None) -> Referral:
    if not can_manage(user, person.region_id):
        raise PermissionDenied("您无权推荐该求职人员。")
    referred_on = referred_on or today()
    _not_future(referred_on, "推荐日期")
    if Referral.objects.filter(person=person, vacancy=vacancy).exists():
        raise ValidationError("已向该岗位推荐过此人")
    r = Referral.objects.create(person=person, region=person.region, vacancy=vacancy, event=event,
                                referred_on=referred_on, updated_on=referred_on)
    masking.log(user, AuditLog.Action.CREATE, r, detail=f"推荐至：{vacancy}")
    return r


@transaction.atomic
def do_update_referral(user, referral: Referral, status: str, *, on: dt.date | None = None
                       ) -> Referral:
    """referred → interviewed → hired / not hired. Hiring is registered as the person's job by
    the service (the employer's word alone does not end an unemployment registration)."""
    if not can_update_referral(user, referral):
        raise PermissionDenied("您无权更新该推荐。")
    allowed = Referral.NEXT.get(referral.status, ())
    if status not in allowed:
        raise ValidationError("推荐结果不能这样变更")
    on = on or today()
    _not_future(on, "日期")
    referral.status, referral.updated_on = status, on
    referral.save(update_fields=["status", "updated_on"])
    masking.log(user, AuditLog.Action.UPDATE, referral, detail=f"推荐结果：{status}")
    return referral


def rate_on(region_code: str, day: dt.date) -> LocalRate | None:
    return (LocalRate.objects.filter(region_id=district_code(region_code), valid_from__lte=day)
            .order_by("-valid_from").first())


def internship_applicant(person: Person, *, insured: bool = False, in_school: bool = False,
                         on: dt.date) -> rules.Applicant:
    spell = (Unemployment.objects.filter(person=person, registered_on__lte=on)
             .exclude(ended_on__lte=on).order_by("-registered_on").first())
    grad = (Unemployment.objects.filter(person=person, graduate_year__isnull=False)
            .order_by("-graduate_year").values_list("graduate_year", flat=True).first())
    return rules.Applicant(
        birth_date=person.birth_date, graduate_year=grad, registered_unemployed=spell is not None,
        had_internship=Internship.objects.filter(person=person).exists(),
        employed=Employment.objects.filter(person=person, employed_on__lte=on)
        .exclude(left_on__lte=on).exists(),
        insured=insured, in_school=in_school)


@transaction.atomic
def do_start_internship(user, person: Person, host: Employer, *, starts_on: dt.date, months: int,
                        monthly_allowance: Decimal, vacancy: Vacancy | None = None,
                        insured: bool = False, in_school: bool = False) -> Internship:
    if not can_manage(user, person.region_id):
        raise PermissionDenied("您无权为该人员安排就业见习。")
    Person.objects.select_for_update().filter(pk=person.pk).first()  # once per person
    check = rules.internship_eligibility(
        internship_applicant(person, insured=insured, in_school=in_school, on=starts_on),
        starts_on)
    rate = rate_on(host.region_id, starts_on)
    problems = list(check.problems) + rules.internship_terms(
        months, monthly_allowance, rate.minimum_wage if rate else None)
    if problems:
        raise ValidationError(problems)
    i = Internship.objects.create(person=person, region=person.region, host=host, vacancy=vacancy,
                                  basis=check.basis, starts_on=starts_on, months=months,
                                  monthly_allowance=monthly_allowance)
    masking.log(user, AuditLog.Action.CREATE, i, detail=f"就业见习：{host.name}")
    return i


@transaction.atomic
def do_end_internship(user, internship: Internship, *, ended_on: dt.date, retained: bool
                      ) -> Internship:
    if not can_manage(user, internship.region_id):
        raise PermissionDenied("您无权办理该见习结业。")
    if internship.ended_on is not None:
        raise ValidationError("该见习已结束")
    _not_future(ended_on, "结束日期")
    if ended_on < internship.starts_on:
        raise ValidationError("结束日期早于开始日期")
    internship.ended_on, internship.retained = ended_on, retained
    internship.save(update_fields=["ended_on", "retained"])
    masking.log(user, AuditLog.Action.UPDATE, internship, detail="见习结束")
    return internship


def months_served(i: Internship) -> int:
    """Whole months from the start to the end (the planned length while running), at most 12."""
    if i.ended_on is None:
        return min(i.months, rules.MAX_MONTHS)
    m = (i.ended_on.year - i.starts_on.year) * 12 + i.ended_on.month - i.starts_on.month
    if i.ended_on.day < i.starts_on.day:
        m -= 1
    return max(0, min(m, i.months, rules.MAX_MONTHS))


def host_retention(host: Employer) -> Decimal | None:
    done = list(Internship.objects.filter(host=host, ended_on__isnull=False)
                .values_list("retained", flat=True))
    if not done:
        return None
    return Decimal(sum(1 for r in done if r)) / Decimal(len(done))


def internship_claim(i: Internship) -> Decimal | None:
    """The subsidy the host may claim, from the rate in force when the internship started."""
    rate = rate_on(i.host.region_id, i.starts_on)
    if rate is None:
        return None
    return rules.internship_subsidy(months_served(i), rate.minimum_wage, rate.subsidy_share,
                                    rate.retained_share, host_retention(i.host),
                                    rate.retention_threshold)


@transaction.atomic
def do_create_course(user, **fields) -> Course:
    if not can_manage(user, fields["region"].code):
        raise PermissionDenied("您无权开设该培训班。")
    if fields["ends_on"] < fields["starts_on"]:
        raise ValidationError("结业日期早于开班日期")
    c = Course.objects.create(**fields)
    masking.log(user, AuditLog.Action.CREATE, c, detail=f"培训班：{c.name}")
    return c


@transaction.atomic
def do_enrol(user, course: Course, person: Person) -> Enrolment:
    if not can_manage(user, course.region_id):
        raise PermissionDenied("您无权为该培训班报名。")
    from_age = working_age_rule(course.region_id, course.starts_on).from_age
    if rules.age_on(person.birth_date, course.starts_on) < from_age:
        raise ValidationError(f"未满{from_age}周岁不能参加职业技能培训")
    if Enrolment.objects.filter(course=course, person=person).exists():
        raise ValidationError("此人已报名该培训班")
    e = Enrolment.objects.create(course=course, person=person, region=person.region)
    masking.log(user, AuditLog.Action.CREATE, e, detail=f"培训报名：{course.name}")
    return e


@transaction.atomic
def do_finish_enrolment(user, enrolment: Enrolment, *, completed: bool, certificate: str = "",
                        employed_within_6m: bool | None = None) -> Enrolment:
    """Completion, certificate and 6-month follow-up; the subsidy follows rules.training_subsidy.
    At most one training subsidy per person per year."""
    course = enrolment.course
    if not can_manage(user, course.region_id):
        raise PermissionDenied("您无权办理该学员结业。")
    subsidy = rules.training_subsidy(course.subsidy_per_person, bool(completed and certificate),
                                     employed_within_6m)
    if subsidy and Enrolment.objects.filter(
            person=enrolment.person, subsidy__gt=0,
            course__ends_on__year=course.ends_on.year).exclude(pk=enrolment.pk).exists():
        subsidy = Decimal("0.00")  # one subsidy per person per year
    enrolment.completed, enrolment.certificate = completed, certificate
    enrolment.employed_within_6m, enrolment.subsidy = employed_within_6m, subsidy
    enrolment.save(update_fields=["completed", "certificate", "employed_within_6m", "subsidy"])
    masking.log(user, AuditLog.Action.UPDATE, enrolment, detail="培训结业")
    return enrolment
