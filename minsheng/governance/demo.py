"""Demo of the property-service evaluation and rectification lists for 安次区 (generated and
labelled, deterministic): a quarterly scheme, inspections and survey answers over the last 15
months, scorecards computed from them and from the demo's cases for last year (published) and
this quarter, a 创城 list of 11 areas and 40 problems partly rectified, and committees with their
history (last year's elections approved by the street, this year's for some compounds, cadres sent
down last year and some leaving this year, through committees.do_*). Dates are relative to
today and never in the future; rows are bulk-created. Idempotent: nothing happens when the
district already has the demo scheme."""

from __future__ import annotations

import datetime as dt
import random

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from minsheng.governance import actions, committees, registry, takeovers
from minsheng.governance.models import (
    Cadre,
    CommitteeMember,
    Election,
    GovernanceRecord,
    Inspection,
    Scheme,
    SchemeItem,
    Survey,
    SurveyAnswer,
    Takeover,
    TakeoverItem,
    Task,
    TaskList,
)
from minsheng.places.demo import person_name, phone_number
from minsheng.places.models import Compound, Organisation, code_prefix

SRC = SchemeItem.Source
M = SchemeItem.Metric
ITEMS = [  # code, name, weight, source, metric
    ("ontime", "诉求按时办结率", 30, SRC.CASES, M.ON_TIME),
    ("accept", "诉求按时受理率", 10, SRC.CASES, M.ACCEPT_ON_TIME),
    ("rating", "诉求办理群众评价", 10, SRC.CASES, M.RATING),
    ("clean", "环境卫生（楼道、垃圾清运）", 15, SRC.INSPECTION, ""),
    ("facility", "设施设备维护（电梯、消防、照明）", 15, SRC.INSPECTION, ""),
    ("satisfied", "居民满意度", 20, SRC.SURVEY, ""),
]
BANDS = [["优秀", 90], ["良好", 80], ["合格", 60], ["不合格", 0]]
AREAS = ["市容环境", "背街小巷", "农贸市场", "交通秩序", "公共设施", "老旧小区", "公益广告",
         "窗口单位", "校园周边", "建筑工地", "城乡结合部"]
PROBLEMS = ["垃圾堆放未及时清运", "占道经营", "非机动车乱停乱放", "小广告乱贴乱画", "路灯损坏",
            "井盖缺失", "绿化带缺株断垄", "公益广告破损", "楼道杂物堆放", "围挡破损"]


def _day(rng: random.Random, today: dt.date, days_back: int) -> dt.date:
    return today - dt.timedelta(days=rng.randint(0, days_back))


@transaction.atomic
def generate(district6: str = "131002", progress=print) -> None:
    district = district6.ljust(12, "0")
    if Scheme.objects.filter(code=f"property-{district6}").exists():
        return
    rng = random.Random(f"minsheng-governance-{district6}")  # noqa: S311 - demo data
    today = timezone.localdate()
    scheme = Scheme.objects.create(code=f"property-{district6}", name="物业服务企业考评（演示）",
                                   region_id=district, period=Scheme.Period.QUARTER, bands=BANDS)
    SchemeItem.objects.bulk_create(
        SchemeItem(scheme=scheme, code=c, name=n, weight=w, source=s, metric=m, order=k)
        for k, (c, n, w, s, m) in enumerate(ITEMS))

    compounds = list(Compound.objects.filter(region__code__startswith=district6,
                                             property_company__isnull=False).order_by("pk"))
    # each company a level of its own, so the grades differ
    level = {pk: rng.uniform(55, 95) for pk in {c.property_company_id for c in compounds}}
    inspections = []
    for c in compounds:
        for _k in range(rng.randint(1, 4)):
            base = level[c.property_company_id]
            inspections.append(Inspection(
                scheme=scheme, compound=c, company_id=c.property_company_id, region_id=c.region_id,
                kind=rng.choice(Inspection.Kind.values), inspected_on=_day(rng, today, 450),
                results={"clean": round(min(100, max(0, rng.gauss(base, 8)))),
                         "facility": round(min(100, max(0, rng.gauss(base, 10))))},
                note="演示生成的检查记录", generated=True))
    Inspection.objects.bulk_create(inspections)
    surveys = Survey.objects.bulk_create(Survey(scheme=scheme, compound=c) for c in compounds)
    answers = []
    for s, c in zip(surveys, compounds, strict=True):
        base = level[c.property_company_id]
        for n in rng.sample(range(1, 200), rng.randint(3, 12)):
            score = min(5, max(1, round(rng.gauss(base / 20, 0.8))))
            answers.append(SurveyAnswer(
                survey=s, household=f"{n // 40 + 1}-{n % 4 + 1}-{n % 40 + 101}",
                company_id=c.property_company_id, answers={"satisfied": score},
                answered_on=_day(rng, today, 450), generated=True))
    SurveyAnswer.objects.bulk_create(answers)
    last_year = str(today.year - 1)
    actions.do_compute_scores(scheme, last_year)
    actions.do_publish(scheme, last_year, by=None)
    actions.do_compute_scores(scheme, f"{today.year}Q{(today.month - 1) // 3 + 1}")
    progress(f"物业考评：{len(inspections)} 次检查，{len(answers)} 份问卷，"
             f"{len(level)} 家企业评分（{last_year} 年已公布，本季度待公布）")
    _rectification(district, rng, today)
    progress("整改清单：创城问题 11 个领域 40 个问题，部分已整改核验")
    n = _takeover(district, rng, today, units_company=level)
    progress(f"无物业小区接管：{n} 个无物业小区（演示生成）由一家企业接管，标准项目有时限")
    e, k = _committees(district, rng, today)
    progress(f"业委会/物管会：{e} 次选举经街道批准（去年和今年），下派干部 {k} 名")
    m = _managers(district, rng, today)
    progress(f"专职物业管理人员：{m} 人，登记在物业公司管理的小区（演示生成）")


def _managers(district: str, rng: random.Random, today: dt.date) -> int:
    """The full-time property managers of company-run compounds (平城's 475), registered through
    the registry's action on a day after each compound's last change, some last year and some
    this year, so the dated figure grows over the two years."""
    total = 0
    for c in Compound.objects.filter(region__code__startswith=district[:6],
                                     property_company__isnull=False).order_by("pk"):
        last = (GovernanceRecord.objects.filter(compound=c, valid_to__isnull=True)
                .values_list("valid_from", flat=True).first())
        on = today - dt.timedelta(days=rng.randint(20, 500))
        if last is not None and on < last:
            on = last
        if on > today:  # a takeover still to come: its company has no managers there yet
            continue
        n = rng.randint(1, 3)
        try:
            registry.do_change_governance(c, on=on, by=None, note="演示：专职物业管理人员配备",
                                          property_managers=n)
        except ValidationError:  # a compound whose facts the registry refuses stays as it is
            continue
        total += n
    return total


STANDARDS = takeovers.DEFAULTS  # standard, requirement, days after the start


def _takeover(district: str, rng: random.Random, today: dt.date, units_company) -> int:
    """The district's generated no-management compounds taken over by one company, through the
    action the district's managers use (takeovers.do_create_takeover), so the registry names the
    company from the takeover's start; then the items' progress since (generated)."""
    compounds = list(Compound.objects.filter(
        region__code__startswith=code_prefix(district), generated=True,
        property_status=Compound.PropertyStatus.NONE).order_by("pk")[:81])
    if not compounds or not units_company:
        return 0
    company_id = max(units_company, key=units_company.get)  # the best-rated company
    started = today - dt.timedelta(days=100)
    to = takeovers.do_create_takeover(
        name="无物业小区托管接管（演示）", company=Organisation.objects.get(pk=company_id),
        region_code=district, compounds=compounds, started_on=started, by=None,
        checklist=[{"standard": standard, "requirement": requirement,
                    "deadline": started + dt.timedelta(days=days)}
                   for standard, requirement, days in STANDARDS])
    Takeover.objects.filter(pk=to.pk).update(generated=True)
    items = list(to.items.order_by("compound_id", "deadline", "pk"))
    for item in items:
        item.deadline += dt.timedelta(days=rng.randint(0, 20))
        if item.deadline <= today and rng.random() < 0.8:
            item.state = rng.choice([TakeoverItem.State.PASSED] * 4
                                    + [TakeoverItem.State.DONE, TakeoverItem.State.FAILED])
            item.done_on = min(today, item.deadline + dt.timedelta(days=rng.randint(-10, 5)))
            if item.state != TakeoverItem.State.DONE:
                item.checked_on = min(today, item.done_on + dt.timedelta(days=3))
            if item.state == TakeoverItem.State.FAILED:
                item.check_note = "复查未达标（演示）"
    TakeoverItem.objects.bulk_update(items, ["deadline", "state", "done_on", "checked_on",
                                             "check_note"])
    return len(compounds)


def _rectification(district: str, rng: random.Random, today: dt.date) -> None:
    K = Organisation.Kind
    units = list(Organisation.objects.filter(
        region__code__startswith=code_prefix(district),
        kind__in=[K.STREET_OFFICE, K.DEPARTMENT]).order_by("pk")[:20])
    tl = TaskList.objects.create(name="创建全国文明城市问题整改清单（演示）",
                                 kind=TaskList.Kind.CIVILISED_CITY, region_id=district,
                                 generated=True)
    now = timezone.now()
    tasks = []
    for k in range(40):
        created = today - dt.timedelta(days=rng.randint(30, 120))
        deadline = created + dt.timedelta(days=rng.choice([30, 45, 60, 90, 150]))
        state = rng.choices(list(Task.State.values), weights=[3, 2, 1, 5])[0]
        t = Task(task_list=tl, number=k + 1, area=AREAS[k % len(AREAS)],
                 problem=f"{AREAS[k % len(AREAS)]}：{rng.choice(PROBLEMS)}",
                 unit=units[k % len(units)], deadline=deadline, state=state)
        if state != Task.State.ASSIGNED:
            t.evidence, t.submitted_at = "已按要求整改（演示）", now - dt.timedelta(days=3)
        if state == Task.State.VERIFIED:
            t.verified_at = now - dt.timedelta(days=1)
        if state == Task.State.RETURNED:
            t.return_reason = "复查仍有问题（演示）"
        tasks.append(t)
    Task.objects.bulk_create(tasks)


CADRE_UNITS = ["区委组织部", "区住房和城乡建设局", "区民政局", "区城市管理综合行政执法局", "区财政局"]


def _committee_members(rng: random.Random, secretary_heads: bool) -> list[dict]:
    roles = ["chair", "vice_chair"] + ["member"] * rng.randint(3, 5)
    return [{"name": person_name(rng), "role": r, "phone": phone_number(rng),
             "is_party_secretary": r == "chair" and secretary_heads} for r in roles]


def _elect(c: Compound, rng: random.Random, held: dt.date, approved: dt.date,
           committee: str) -> None:
    e = committees.do_record_election(
        c, committee=committee, held_on=held, turnout=round(rng.uniform(55, 92), 1),
        members=_committee_members(rng, rng.random() < 0.6), by=None, submit=True,
        note="演示生成")
    committees.do_approve_election(e, on=approved, by=None)


def _committees(district: str, rng: random.Random, today: dt.date) -> tuple[int, int]:
    """Two dozen compounds with last year's committee elected and approved by the street, a
    full-time or part-time cadre sent down last year; this year half of them elect a new
    committee and some cadres leave — so last year's figures and this year's differ."""
    # not the compounds taken over (_takeover): their registry changed 100 days ago, and an
    # election approved last year may not be recorded before that change
    compounds = list(Compound.objects.filter(region__code__startswith=code_prefix(district))
                     .exclude(pk__in=TakeoverItem.objects.values("compound_id"))
                     .order_by("pk")[:400])
    if not compounds:
        return 0, 0
    jan1 = dt.date(today.year, 1, 1)
    span = (today - jan1).days
    elections, cadres = 0, []
    for c in sorted(rng.sample(compounds, min(24, len(compounds))), key=lambda c: c.pk):
        committee = c.committee or rng.choice(["owners", "management"])
        held = dt.date(today.year - 1, rng.randint(3, 6), rng.randint(1, 28))
        approved = held + dt.timedelta(days=rng.randint(7, 20))
        _elect(c, rng, held, approved, committee)
        elections += 1
        cadre = committees.do_add_cadre(
            c, name=person_name(rng), unit=rng.choice(CADRE_UNITS),
            full_time=rng.random() < 0.75,
            started_on=approved + dt.timedelta(days=rng.randint(10, 60)), by=None)
        cadres.append(cadre.pk)
        last = jan1
        if rng.random() < 0.5:  # a new committee this year
            held = jan1 + dt.timedelta(days=rng.randint(0, span))
            last = min(today, held + dt.timedelta(days=rng.randint(3, 15)))
            _elect(c, rng, held, last, committee)
            elections += 1
        if rng.random() < 0.3:  # the cadre goes back to the unit this year
            end = min(today, last + dt.timedelta(days=rng.randint(0, 20)))
            committees.do_end_cadre(cadre, on=end, by=None)
    Election.objects.filter(note="演示生成").update(generated=True)
    CommitteeMember.objects.filter(election__generated=True).update(generated=True)
    Cadre.objects.filter(pk__in=cadres).update(generated=True)
    return elections, len(cadres)
