"""Demo of 防返贫 monitoring for 安次区: the district's thresholds (marked unverified), generated and
labelled households (numbers “JC-…”, `generated=True`) in every state of the workflow, alerts from
an imported 医保 list (through the real import), alerts overdue and handled, measures, a removal
review that passes, one that fails a guard (no member able to work) and a re-entered household.
Dates are relative to today and never in the future. Idempotent: does nothing when the district
already has monitored households."""

from __future__ import annotations

import datetime as dt
import io
import random
from decimal import Decimal

import openpyxl
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from minsheng.assistance import monitoring as mon
from minsheng.assistance.models import Household, Person
from minsheng.assistance.monitoring_exchange import COLUMNS, import_list
from minsheng.assistance.monitoring_models import (
    Alert,
    CaseRisk,
    Measure,
    MonitoringCase,
    MonitoringThreshold,
)
from minsheng.cases.models import Case
from minsheng.employment.models import Unemployment
from minsheng.places.demo import id_number, person_name
from minsheng.places.models import Region

K = MonitoringThreshold.Kind
S = MonitoringCase.State
C = MonitoringCase.Category
SOURCE = "演示数据：参照公开报道中的河北省、云南省监测范围量级设定，未核实"

# (state, category, risks, extra): the demo households; "extra" says what to do beyond the state
PLAN: list[tuple[str, str, tuple[str, ...], str]] = [
    (S.HOME_CHECK, "", ("illness",), ""),
    (S.HOME_CHECK, "", ("disaster",), ""),
    (S.CONSENT, "", ("accident",), ""),
    (S.DATA_MATCH, "", ("income_job",), ""),
    (S.VILLAGE_REVIEW, C.MARGINAL, ("illness",), ""),
    (S.NOTICE, C.UNSTABLE_EXITED, ("schooling",), ""),
    (S.TOWN_REVIEW, C.SUDDEN_HARDSHIP, ("disaster", "housing"), ""),
    (S.DISTRICT_APPROVAL, C.MARGINAL, ("income_business",), ""),
    (S.DISMISSED, "", ("illness",), "dismiss"),
    (S.MONITORED, C.UNSTABLE_EXITED, ("illness", "disability"), "measures"),
    (S.MONITORED, C.MARGINAL, ("schooling",), "measures"),
    (S.MONITORED, C.SUDDEN_HARDSHIP, ("accident",), "measures"),
    (S.MONITORED, C.UNSTABLE_EXITED, ("water",), "measures"),
    (S.MONITORED, C.MARGINAL, ("income_job",), "measures"),
    (S.MONITORED, C.UNSTABLE_EXITED, ("illness",), "fell"),  # below the poverty line
    (S.MONITORED, C.SUDDEN_HARDSHIP, ("disability",), "no_labour"),  # review fails a guard
    (S.MONITORED, C.MARGINAL, ("illness",), "recent"),  # under six months, no measure yet
    (S.REMOVED, C.MARGINAL, ("income_business",), "remove"),  # review passes
    (S.REMOVED, C.UNSTABLE_EXITED, ("illness",), "remove"),
    (S.MONITORED, C.SUDDEN_HARDSHIP, ("disaster",), "reentry"),  # removed before, back again
]
MEASURES = ["industry", "public_job", "yulu", "medical", "safety_net", "employment", "housing"]


def _thresholds(district: Region, today: dt.date) -> None:
    y = today.year
    rows = []
    for i, (line, poverty) in enumerate(((7000, 4300), (7500, 4500), (8000, 4700))):
        start = dt.date(y - 2 + i, 1, 1)
        end = dt.date(y - 2 + i, 12, 31) if i < 2 else None
        rows += [(K.MONITORING_LINE, line, start, end), (K.POVERTY_LINE, poverty, start, end)]
    start = dt.date(y - 2, 1, 1)
    rows += [(K.MEDICAL, 10000, start, None), (K.DISASTER, 10000, start, None),
             (K.ACCIDENT, 10000, start, None), (K.SCHOOLING, 8000, start, None),
             (K.ALERT_DAYS, 15, start, None)]
    MonitoringThreshold.objects.bulk_create([
        MonitoringThreshold(region=district, kind=k, amount=Decimal(a), valid_from=f, valid_to=t,
                            source=SOURCE, verified=False) for k, a, f, t in rows])
    # 法定劳动年龄: the defaults (monitoring.seed_working_age; the district's load sent
    # places.signals.district_loaded already), unless the district already set its own
    mon.seed_working_age(district.code)


def _households(villages: list[Region], n: int, rng: random.Random) -> list[Household]:
    households = Household.objects.bulk_create([
        Household(number=f"JC-{i + 1:04d}", region=villages[i % len(villages)],
                  area=Household.Area.RURAL, was_registered_poor=rng.random() < 0.5,
                  address=f"{villages[i % len(villages)].name}（演示生成）", generated=True)
        for i in range(n)])
    people = []
    for i, h in enumerate(households):
        size = 1 + (i % 4)
        no_labour = PLAN[i][3] == "no_labour" if i < len(PLAN) else False
        for j in range(size):
            born = dt.date(1950 + rng.randint(0, 50), rng.randint(1, 12), rng.randint(1, 28))
            people.append(Person(
                household=h, region=h.region, name=person_name(rng),
                relationship=Person.Relationship.HEAD if j == 0 else Person.Relationship.CHILD,
                id_number=id_number(rng, "131002"), birth_date=born, generated=True,
                labour_capacity=Person.Labour.NONE if no_labour or (j == 0 and i % 5 == 0 and
                                                                     not (i < len(PLAN)
                                                                          and PLAN[i][3] == "remove"))
                else Person.Labour.FULL))
    Person.objects.bulk_create(people)
    return households


def _at(today: dt.date, days_ago: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=days_ago),
                                                   dt.time(10, 0)))


def _medical_list(people: list[Person], rng: random.Random, today: dt.date) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([c.header for c in COLUMNS])
    for p in people:
        ws.append([p.id_number, p.name, float(rng.choice((6800, 12500, 23800, 41200))),
                   (today - dt.timedelta(days=rng.randint(3, 40))).isoformat(), "住院自付（演示）"])
    ws.append(["131002199001019999", "", 15000.0, today.isoformat(), "未登记人员（演示）"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@transaction.atomic
def generate(district6: str = "131002", *, progress=print) -> dict[str, int]:
    district = Region.objects.get(code=district6.ljust(12, "0"))
    if MonitoringCase.objects.filter(region__code__startswith=district6).exists():
        return {}
    User = get_user_model()
    revival = User.objects.filter(username="revival1").first()
    if revival is None:
        return {}
    community = User.objects.filter(username="community1").first()
    rng = random.Random("minsheng-monitoring-demo")  # noqa: S311
    today = timezone.localdate()
    _thresholds(district, today)
    comm1 = Region.objects.filter(parent__parent=district).order_by("code").first()
    villages = [comm1] + list(Region.objects.filter(parent__parent=district, level="community")
                              .exclude(code=comm1.code).order_by("code")[::7][:9])
    extra = 6  # households only on the 医保 list
    households = _households(villages, len(PLAN) + extra, rng)
    members = {h.pk: list(Person.objects.filter(household=h).order_by("pk")) for h in households}

    for i, (state, category, risks, extra_kind) in enumerate(PLAN):
        h = households[i]
        village_user = community if (community and h.region_id == comm1.code) else revival
        identified_days = {"recent": 60, "no_labour": 300, "remove": 400, "reentry": 500}.get(
            extra_kind, 200 + 10 * i)
        start = identified_days + 40
        alert = mon.do_report_alert(
            village_user, h, channel=rng.choice((Alert.Channel.SELF_REPORT,
                                                 Alert.Channel.CADRE_VISIT)),
            risk=risks[0], event_date=today - dt.timedelta(days=start + 5),
            description="演示生成", at=_at(today, start), generated=True)
        alert = mon.do_handle_alert(village_user, alert, at=_at(today, start - 3))
        case = alert.case
        for r in risks[1:]:
            CaseRisk.objects.get_or_create(case=case, risk=r)
        if extra_kind == "dismiss":
            mon.do_dismiss(revival, case, reason="入户核查：家庭收入稳定，无大额刚性支出（演示）",
                           at=_at(today, start - 6))
            continue
        income = Decimal(rng.randint(5200, 7400))
        if extra_kind == "fell":
            income = Decimal(3900)
        step_days = start - 3
        for step in mon.relapse.STEPS:
            if case.state == state:
                break
            step_days -= 5 if step.code != "district_approval" else 0
            if step.code == "district_approval":
                step_days = identified_days
            user = village_user if step.level == "village" else revival
            case = mon.do_step(user, case, step.code, at=_at(today, step_days),
                               per_capita_income=income if step.code == "data_match" else None,
                               category=category if step.code == "village_review" else "",
                               note="演示生成")
        if case.state != S.MONITORED:
            continue
        if extra_kind in ("measures", "fell", "no_labour", "remove", "reentry"):
            for k in rng.sample(MEASURES, 2):
                d = today - dt.timedelta(days=identified_days - 20)
                Measure.objects.create(case=case, kind=k, start_date=d, recorded_by=revival,
                                       description="演示生成")
        if extra_kind in ("no_labour", "remove", "reentry"):
            review = mon.do_review_removal(
                revival, case, reviewed_on=today - dt.timedelta(
                    days=30 if extra_kind != "reentry" else 200),
                per_capita_income=Decimal(9800), income_stable=True, spending_resolved=True,
                guarantees_secure=True, risk_gone=True)
            if extra_kind == "reentry" and review.passed:
                again = mon.do_report_alert(
                    revival, h, channel=Alert.Channel.CADRE_VISIT, risk=risks[0],
                    event_date=today - dt.timedelta(days=90), description="再次受灾（演示生成）",
                    at=_at(today, 88), generated=True)
                again = mon.do_handle_alert(revival, again, at=_at(today, 86))
                case = again.case
                case.category = category
                case.per_capita_income = Decimal(6100)
                case.save(update_fields=["category", "per_capita_income"])
                for code in ("home_check", "consent", "data_match", "village_review", "notice",
                             "town_review", "district_approval"):
                    case = mon.do_step(revival, case, code, at=_at(today, 80),
                                       note="演示生成（再次纳入）")
                Measure.objects.create(case=case, kind="housing", start_date=today -
                                       dt.timedelta(days=70), recorded_by=revival)

    # The 医保 list: members of the extra households and of three in identification.
    listed = [members[h.pk][0] for h in households[len(PLAN):]] + [
        members[households[k].pk][0] for k in (9, 10, 16)]
    result = import_list(revival, "medical", _medical_list(listed, rng, today), "医保大额费用（演示）.xlsx")
    for a in result.alerts[:2]:
        mon.do_handle_alert(revival, a)
    # Two cadre-visit alerts left open past the time limit (overdue); the household of the first
    # also filed a grievance (a case of the district's, when the cases demo has filed some).
    overdue = [mon.do_report_alert(revival, h, channel=Alert.Channel.CADRE_VISIT,
                                   risk="income_job", event_date=today - dt.timedelta(days=30),
                                   description="演示生成", at=_at(today, 25), generated=True)
               for h in households[len(PLAN):len(PLAN) + 2]]
    grievance = Case.objects.filter(region__code__startswith=district6).order_by("pk").first()
    if grievance is not None:
        Alert.objects.filter(pk=overdue[0].pk).update(grievance=grievance)
    # A 零就业家庭: both adults out of work, one registered unemployed at the employment service;
    # the daily check of the registers raises its alert (platform channel).
    zero = Household.objects.create(number="JC-ZERO", region=comm1, area=Household.Area.URBAN,
                                    address=f"{comm1.name}（演示生成）", generated=True)
    adults = [Person.objects.create(
        household=zero, region=comm1, name=person_name(rng), relationship=rel,
        id_number=id_number(rng, "131002"), birth_date=dt.date(today.year - age, 5, 5),
        labour_capacity=Person.Labour.FULL, generated=True)
        for rel, age in ((Person.Relationship.HEAD, 44), (Person.Relationship.SPOUSE, 42))]
    Unemployment.objects.create(person=adults[0], region=zero.region, generated=True,
                                registered_on=today - dt.timedelta(days=40),
                                reason=Unemployment.Reason.DISMISSED, desired_work="普工")
    mon.raise_zero_employment_alerts(today)
    households.append(zero)
    out = {"households": len(households),
           "cases": MonitoringCase.objects.filter(region__code__startswith=district6).count(),
           "alerts": Alert.objects.filter(region__code__startswith=district6).count(),
           "imported": result.created}
    progress(f"防返贫监测：演示户 {out['households']} 户，监测记录 {out['cases']} 条，"
             f"预警 {out['alerts']} 条（医保名单导入 {out['imported']} 条）")
    return out
