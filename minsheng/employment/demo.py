"""Demo employment services for a district, relative to today (no future facts): about `n`
generated, labelled job-seekers (assistance.Person rows with `generated` set and no household)
registered unemployed or employed between 1 January last year and today, employers and vacancies,
the 春风行动 fair in March and the 金秋 fair in October of each year whose date has passed, online
fairs and 送岗进社区, referrals, internships with the local minimum wage as dated rates, and
training courses. Everything through bulk_create; idempotent (skipped when present).

ID numbers are checksum-valid and fictitious: the district's code, a birth date and a sequence
from 500 up, checked against every ID number already in the registry so they collide with none.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from minsheng.accounts.models import Membership
from minsheng.accounts.roles import Role
from minsheng.assistance.models import Person
from minsheng.employment import rules
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
from minsheng.places.demo import person_name, phone_number
from minsheng.places.models import Region

INDUSTRIES = [("食品", "制造业"), ("物流", "交通运输"), ("商贸", "批发零售"), ("家政", "居民服务"),
              ("电子", "制造业"), ("餐饮", "住宿餐饮"), ("物业", "房地产"), ("建材", "制造业"),
              ("医药", "卫生"), ("软件", "信息技术")]
JOBS = ["普工", "仓库管理员", "叉车司机", "收银员", "客服专员", "电工", "焊工", "会计", "销售代表",
        "厨师", "保洁员", "保安员", "育婴员", "养老护理员", "网络运维", "质检员", "快递员", "文员"]
DESIRED = ["普工", "仓储物流", "文员", "销售", "餐饮服务", "保洁", "保安", "驾驶员", "电工", "会计",
           "护理", "电商运营", "不限"]
SKILLS = ["电脑操作", "驾驶证C1", "叉车证", "电工证", "焊工证", "收银", "烹饪", "育婴", "护理",
          "仓库管理", "客服"]
OCCUPATIONS = [("育婴员", "五级"), ("养老护理员", "四级"), ("电工", "四级"), ("焊工", "五级"),
               ("中式烹调师", "四级"), ("电子商务师", "四级"), ("家政服务员", "五级"),
               ("叉车司机", "专项"), ("保安员", "五级")]
PROVIDERS = ["安次区职业技能培训学校（演示）", "廊坊市技工学校（演示）", "安次区家政服务培训中心（演示）"]


def _id(rng: random.Random, region6: str, birth: dt.date, taken: set[str]) -> str:
    while True:
        body = f"{region6}{birth:%Y%m%d}{rng.randint(500, 999):03d}"
        number = body + rules.id_check_digit(body)
        if number not in taken:
            taken.add(number)
            return number


def _day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    """A day in [start, end] (end itself when the range is empty)."""
    return start + dt.timedelta(days=rng.randint(0, max(0, (end - start).days)))


def _after(day: dt.date, months: int) -> dt.date:
    m = day.month - 1 + months
    y, m = day.year + m // 12, m % 12 + 1
    return dt.date(y, m, min(day.day, 28))


@transaction.atomic
def generate(district6: str = "131002", *, n: int = 4000, progress=print) -> dict[str, int]:
    district = Region.objects.get(code=district6.ljust(12, "0"))
    # employers mark the run (the 防返贫 demo registers one 零就业家庭 member unemployed first)
    if Employer.objects.filter(region__code__startswith=district6, generated=True).exists():
        progress(f"{district.name}: 就业服务演示数据已存在，跳过生成")
        return {}
    rng = random.Random(f"minsheng-employment-{district6}")  # noqa: S311 - not security
    # skills come from a generator of their own, so the rest of the demo stays as it was
    skill_rng = random.Random(f"minsheng-skills-{district6}")  # noqa: S311 - not security
    today = timezone.localdate()
    start = dt.date(today.year - 1, 1, 1)
    communities = list(Region.objects.filter(code__startswith=district6,
                                             level=Region.Level.COMMUNITY).order_by("code"))
    streets = list(Region.objects.filter(parent=district).order_by("code"))
    taken = set(Person.objects.filter(id_number__startswith=district6)
                .values_list("id_number", flat=True))

    # rates: the local monthly minimum wage, dated (Hebei class II areas, rounded)
    for year, wage in ((today.year - 1, "1900"), (today.year, "2000")):
        LocalRate.objects.get_or_create(region=district, valid_from=dt.date(year, 1, 1),
                                        defaults={"minimum_wage": Decimal(wage)})

    # employers, one of them employer1's organisation
    employers = [Employer(name=f"廊坊安次{rng.choice('华鑫恒盛永泰宏达金源')}{what}有限公司{i + 1}（演示）",
                          region=rng.choice(streets), industry=industry,
                          internship_base=i % 10 == 0, generated=True)
                 for i, (what, industry) in enumerate(rng.choice(INDUSTRIES) for _ in range(60))]
    own = (Membership.objects.filter(role=Role.EMPLOYER, region=district,
                                     organisation__isnull=False)
           .select_related("organisation").first())
    if own is not None and not Employer.objects.filter(organisation=own.organisation).exists():
        employers.append(Employer(name=own.organisation.name, region=district,
                                  organisation=own.organisation, industry="制造业",
                                  internship_base=True, generated=True))
    employers = Employer.objects.bulk_create(employers)
    bases = [e for e in employers if e.internship_base]

    # people, their unemployment registrations and jobs
    people, spells, jobs = [], [], []
    for _ in range(n):
        age = rng.choice([rng.randint(21, 24), rng.randint(16, 24), rng.randint(25, 59)])
        first = _day(rng, start, today)
        birth = dt.date(first.year - age, rng.randint(1, 12), rng.randint(1, 28))
        region = rng.choice(communities)
        people.append(Person(region=region, name=person_name(rng), birth_date=birth,
                             id_number=_id(rng, district6, birth, taken),
                             sex=rng.choice(["male", "female"]), phone=phone_number(rng),
                             generated=True))
        spells.append(first if rng.random() < 0.7 else None)
    people = Person.objects.bulk_create(people, batch_size=1000)
    spell_rows, job_rows = [], []
    for p, first in zip(people, spells, strict=True):
        if first is None:  # a job registered directly (flexible work, a new hire)
            on = _day(rng, start, today)
            kind = rng.choices(["unit", "flexible", "self", "public_welfare"], [6, 3, 1, 1])[0]
            job_rows.append((p, on, kind, None))
            continue
        age = rules.age_on(p.birth_date, first)
        graduate = 21 <= age <= 24 and rng.random() < 0.5
        u = Unemployment(
            person=p, region=p.region, registered_on=first,
            reason="graduate" if graduate else rng.choice(
                ["contract_end", "dismissed", "resigned", "business_closed", "other"]),
            desired_work=rng.choice(DESIRED),
            skills="、".join(skill_rng.sample(SKILLS, skill_rng.randint(0, 2))),
            graduate_year=rng.choice([first.year, first.year - 1]) if graduate else None,
            veteran=rng.random() < 0.05, hard_to_employ=age >= 40 and rng.random() < 0.3,
            out_of_poverty=rng.random() < 0.08, disabled=rng.random() < 0.03,
            zero_employment_household=rng.random() < 0.02, generated=True)
        found = _day(rng, first + dt.timedelta(days=20), first + dt.timedelta(days=330))
        if found <= today and rng.random() < 0.7:
            u.ended_on, u.end_reason = found, "employed"
            job_rows.append((p, found, rng.choices(["unit", "flexible", "public_welfare"],
                                                   [7, 2, 1])[0], u))
        elif found <= today and rng.random() < 0.1:
            u.ended_on, u.end_reason = found, rng.choice(["moved", "study", "cancelled"])
        spell_rows.append(u)
    Unemployment.objects.bulk_create(spell_rows, batch_size=1000)
    for p, on, kind, u in job_rows:
        employer = rng.choice(employers) if kind == "unit" and rng.random() < 0.5 else None
        left_on, why = None, ""
        if rules.age_on(p.birth_date, on) >= 50 and rng.random() < 0.2:
            left = _day(rng, on + dt.timedelta(days=30), today)
            if left <= today and left > on:
                left_on, why = left, rng.choice(["retired", "retired", "died"])
        jobs.append(Employment(person=p, region=p.region, employed_on=on, kind=kind,
                               employer=employer, employer_name=employer.name if employer else "",
                               ends=u, left_on=left_on, left_reason=why, generated=True))
    Employment.objects.bulk_create(jobs, batch_size=1000)

    # vacancies
    vacancies = []
    for i in range(320):
        e = employers[-1] if own is not None and i % 40 == 0 else rng.choice(employers)
        posted = _day(rng, start, today)
        kind = rng.choices(["regular", "public_welfare", "internship"], [8, 1, 1])[0]
        lo = Decimal(rng.randrange(2000, 6000, 100))
        vacancies.append(Vacancy(
            employer=e, region=e.region, title=("见习" if kind == "internship" else "")
            + rng.choice(JOBS), kind=kind, positions=rng.randint(1, 20), wage_min=lo,
            wage_max=lo + rng.randrange(500, 3000, 100), requirements="",
            posted_on=posted, closes_on=posted + dt.timedelta(days=rng.randint(30, 90)),
            generated=True))
    vacancies = Vacancy.objects.bulk_create(vacancies)

    # events: the named fairs whose date has passed, online fairs, jobs brought to communities
    plans = []
    for year in (today.year - 1, today.year):
        plans += [(f"{year}年“春风行动”大型现场招聘会", "fair", dt.date(year, 3, 10), district),
                  (f"{year}年“金秋招聘月”现场招聘会", "fair", dt.date(year, 10, 15), district),
                  (f"{year}年上半年网络招聘会", "online", dt.date(year, 5, 20), district),
                  (f"{year}年下半年网络招聘会", "online", dt.date(year, 11, 18), district)]
        for m in range(1, 13):
            plans.append((f"{year}年{m}月送岗进社区", "community", dt.date(year, m, 25),
                          rng.choice(communities)))
    events = [Event(name=name, kind=kind, region=region, held_on=held,
                    venue="安次区人力资源市场" if kind == "fair" else "",
                    visitors=rng.randint(800, 3000) if kind == "fair" else rng.randint(60, 400),
                    agreements=0, generated=True)
              for name, kind, held, region in plans if held <= today]
    for ev in events:
        ev.agreements = ev.visitors // rng.randint(5, 12)
    events = Event.objects.bulk_create(events)
    through_e, through_v = Event.employers.through, Event.vacancies.through
    links_e, links_v = [], []
    for ev in events:
        offered = [v for v in vacancies
                   if ev.held_on - dt.timedelta(days=45) <= v.posted_on <= ev.held_on]
        offered = rng.sample(offered, min(len(offered), 40 if ev.kind != "community" else 8))
        for v in offered:
            links_v.append(through_v(event_id=ev.pk, vacancy_id=v.pk))
        for eid in {v.employer_id for v in offered}:
            links_e.append(through_e(event_id=ev.pk, employer_id=eid))
    through_e.objects.bulk_create(links_e)
    through_v.objects.bulk_create(links_v)
    at_event = {link.vacancy_id: ev for ev in events for link in links_v
                if link.event_id == ev.pk}

    # referrals of registered job-seekers to vacancies open at the time
    referrals, pairs = [], set()
    for u in rng.sample(spell_rows, min(len(spell_rows), n // 5)):
        open_ = [v for v in vacancies if v.posted_on >= u.registered_on][:60]
        if not open_:
            continue
        v = rng.choice(open_)
        if (u.person_id, v.pk) in pairs or v.posted_on > today:
            continue
        pairs.add((u.person_id, v.pk))
        ev = at_event.get(v.pk)  # referred at the fair that offered the vacancy
        on = ev.held_on if ev is not None else min(
            today, v.posted_on + dt.timedelta(days=rng.randint(0, 20)))
        status = rng.choices(["referred", "interviewed", "hired", "not_hired"], [2, 2, 3, 3])[0]
        referrals.append(Referral(person_id=u.person_id, region_id=u.region_id, vacancy=v,
                                  event=ev, referred_on=on, status=status,
                                  updated_on=min(today, on + dt.timedelta(days=10)),
                                  generated=True))
    Referral.objects.bulk_create(referrals)
    # an event's figures agree with its referrals: those hired there reached an agreement there,
    # and everyone referred there came in (agreements ≤ visitors, hired ≤ agreements)
    at, hired = Counter(), Counter()
    for r in referrals:
        if r.event is not None:
            at[r.event.pk] += 1
            hired[r.event.pk] += r.status == "hired"
    changed = [ev for ev in events if ev.agreements < hired[ev.pk] or ev.visitors < at[ev.pk]]
    for ev in changed:
        ev.visitors = max(ev.visitors, at[ev.pk])
        ev.agreements = max(ev.agreements, hired[ev.pk])
    Event.objects.bulk_update(changed, ["visitors", "agreements"])

    # internships: graduates within two years and unemployed youth, once each
    rates = {r.valid_from.year: r.minimum_wage for r in LocalRate.objects.filter(region=district)}
    interns = []
    for u in spell_rows:
        if len(interns) >= 120:
            break
        begin = u.registered_on + dt.timedelta(days=14)
        if begin > today or (u.ended_on and u.ended_on <= begin):
            continue
        applicant = rules.Applicant(u.person.birth_date, u.graduate_year, True)
        check = rules.internship_eligibility(applicant, begin)
        if not check.ok:
            continue
        months = rng.choice([3, 6, 6, 12])
        until = _after(begin, months)
        wage = rates.get(begin.year, max(rates.values()))
        interns.append(Internship(
            person_id=u.person_id, region_id=u.region_id, host=rng.choice(bases),
            basis=check.basis, starts_on=begin, months=months,
            monthly_allowance=wage + rng.choice([0, 100, 200, 500]),
            ended_on=until if until <= today else None,
            retained=(rng.random() < 0.6) if until <= today else None, generated=True))
    Internship.objects.bulk_create(interns)

    # training: courses through both years, trainees from the registered
    courses, enrol = [], []
    for i in range(80):
        occ, level = rng.choice(OCCUPATIONS)
        begins = _day(rng, start, today)
        courses.append(Course(name=f"{occ}培训班第{i + 1}期", occupation=occ, level=level,
                              provider=rng.choice(PROVIDERS), region=rng.choice(streets),
                              starts_on=begins, ends_on=begins + dt.timedelta(days=30),
                              hours=rng.choice([40, 60, 80, 120]),
                              subsidy_per_person=Decimal(rng.choice([800, 1200, 1500])),
                              generated=True))
    courses = Course.objects.bulk_create(courses)
    subsidised: set[tuple[int, int]] = set()
    for c in courses:
        done = c.ends_on < today
        for u in rng.sample(spell_rows, min(len(spell_rows), rng.randint(15, 45))):
            if rules.age_on(u.person.birth_date, c.starts_on) < 16:
                continue
            cert = f"{c.pk:04d}{u.person_id:06d}" if done and rng.random() < 0.8 else ""
            followed = _after(c.ends_on, 6) <= today
            employed = (rng.random() < 0.5) if followed else None
            subsidy = rules.training_subsidy(c.subsidy_per_person, bool(cert), employed)
            if subsidy and (u.person_id, c.ends_on.year) in subsidised:
                subsidy = Decimal("0.00")
            elif subsidy:
                subsidised.add((u.person_id, c.ends_on.year))
            enrol.append(Enrolment(course=c, person_id=u.person_id, region_id=u.region_id,
                                   completed=done, certificate=cert, employed_within_6m=employed,
                                   subsidy=subsidy, generated=True))
    Enrolment.objects.bulk_create(enrol, batch_size=2000)
    counts = {"people": len(people), "registrations": len(spell_rows), "jobs": len(jobs),
              "employers": len(employers), "vacancies": len(vacancies), "events": len(events),
              "referrals": len(referrals), "internships": len(interns),
              "courses": len(courses), "trainees": len(enrol)}
    progress(f"{district.name}: 生成去年以来的就业服务记录（演示数据）：求职人员{len(people)}人、"
             f"失业登记{len(spell_rows)}条、就业登记{len(jobs)}条、用人单位{len(employers)}家、"
             f"岗位{len(vacancies)}个、招聘活动{len(events)}场、岗位推荐{len(referrals)}次、"
             f"就业见习{len(interns)}人、培训班{len(courses)}期{len(enrol)}人次")
    return counts
