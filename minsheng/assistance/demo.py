"""Demo assistance data for a district (generated, labelled `generated=True`, deterministic):
about 600 households across its streets and towns with members, supporters and an economic
assessment each; the district's standards (source marked unverified); every programme with
enrolments in every state (临时救助 awards decided through the year, the district's 低保边缘
allowance); review tasks; and a year of monthly payment cycles run through
payments.py (generate → approve → export), paid by the due day mostly, one month with failed
payments retried in a follow-up batch, the current month awaiting the bank's return.

Rows are written with bulk_create; the cycles use the real set-based actions (each a few SQL
statements). Every date is relative to today and none is in the future.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from minsheng.assistance import enrolment as enrolment_actions
from minsheng.assistance import payments, services
from minsheng.assistance.eligibility import window_start
from minsheng.assistance.enrolment import PROGRAMME_NAMES, add_months
from minsheng.assistance.models import (
    Assessment,
    Cycle,
    Enrolment,
    EnrolmentEvent,
    Household,
    IncomeExclusion,
    IncomeItem,
    Objection,
    Payment,
    PaymentBatch,
    Person,
    Procedure,
    Review,
    Standard,
    Supporter,
)
from minsheng.places.demo import person_name, phone_number
from minsheng.places.models import Region

__all__ = ["SOURCE", "generate"]

SOURCE = "演示数据：金额按河北省县级标准的常见水平设定，未与正式文件核对"
# (Standard.Programme, area, amount, multiplier)
STANDARDS = (
    ("dibao", "urban", "770", None), ("dibao", "rural", "550", None),
    ("edge", "both", None, "1.5"), ("tekun", "urban", "1001", None),
    ("tekun", "rural", "715", None), ("orphan", "both", "1500", None),
    ("temporary", "both", None, "10"), ("edge_allowance", "both", "100", None),
    # asset limits (eligibility.assets_rule): savings per person of 24 months of the urban
    # 低保标准, no private car; examples, to be set from the local 认定办法
    ("asset_savings", "both", "18480", None), ("asset_vehicles", "both", "0", None),
)
HOUSEHOLDS = 600
E = Enrolment.State


def _stamp(n: int) -> str:
    return f"DEMO-{n:04d}"


def _id_number(rng: random.Random, region6: str, born: dt.date, used: set[str]) -> str:
    """A well-formed (checksum-valid), fictitious ID number matching the birth date, unique."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    while True:
        body = f"{region6}{born:%Y%m%d}{rng.randint(0, 999):03d}"
        number = body + "10X98765432"[
            sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]
        if number not in used:
            used.add(number)
            return number


@transaction.atomic
def generate(district6: str, *, n: int = HOUSEHOLDS, progress=print) -> dict[str, int]:
    district = Region.objects.get(code=district6.ljust(12, "0"))
    if Household.objects.filter(generated=True, number__startswith="DEMO-",
                                region__code__startswith=district6).exists():
        progress("社会救助演示数据已存在，跳过")
        return {}
    rng = random.Random(f"minsheng-assistance-{district6}")  # noqa: S311 - not security
    today = timezone.localdate()
    user = get_user_model().objects.filter(username="civil1").first() or \
        get_user_model().objects.filter(is_superuser=True).first()
    start = today.replace(day=1)
    first_month = add_months(start, -11)
    since = add_months(first_month, -3)  # standards and decisions before the first cycle

    Standard.objects.bulk_create([
        Standard(region=district, programme=p, area=a, valid_from=since.replace(day=1),
                 amount=Decimal(amount) if amount else None,
                 multiplier=Decimal(mult) if mult else None, source=SOURCE, verified=False)
        for p, a, amount, mult in STANDARDS])
    IncomeExclusion.objects.bulk_create([
        IncomeExclusion(region=district, kind=k, valid_from=since.replace(day=1), source=SOURCE)
        for k in ("pension", "elderly_allowance", "disability_allowance")])
    Procedure.objects.create(region=district, valid_from=since.replace(day=1), publicity_days=7,
                             payment_due_day=10, source=SOURCE)

    communities = list(Region.objects.filter(code__startswith=district6,
                                             level=Region.Level.COMMUNITY).order_by("code"))
    households, people, supporters, plans = [], [], [], []
    for i in range(n):
        region = communities[(i * 7) % len(communities)]
        rural = int(region.code[9:]) >= 200
        h = Household(number=_stamp(i + 1), region=region, area="rural" if rural else "urban",
                      address=f"{region.name}{rng.randint(1, 40)}号（演示）",
                      was_registered_poor=rural and rng.random() < 0.3, generated=True)
        households.append(h)
        r = rng.random()
        kind = ("tekun" if r < 0.06 else "orphan" if r < 0.09 else "dibao" if r < 0.55
                else "edge" if r < 0.66 else "temporary" if r < 0.72 else "none")
        plans.append(kind)
    Household.objects.bulk_create(households)

    members_of: dict[int, list[Person]] = {}
    used_ids = set(Person.objects.filter(id_number__startswith=district6).values_list(
        "id_number", flat=True))
    for h, kind in zip(households, plans, strict=True):
        def person(rel, age, h=h, **kw):
            born = today.replace(year=today.year - age) - dt.timedelta(days=rng.randint(1, 360))
            return Person(household=h, region=h.region, relationship=rel,
                          name=person_name(rng),
                          id_number=_id_number(rng, district6, born, used_ids),
                          sex=rng.choice(["male", "female"]), birth_date=born,
                          phone=phone_number(rng), bank_name="农业银行",
                          bank_account=f"6228{rng.randrange(10**14, 10**15)}", generated=True, **kw)
        if kind == "tekun":
            ms = [person("head", rng.randint(66, 88), labour_capacity="none",
                         self_care=rng.random() > 0.2)]
        elif kind == "orphan":
            ms = [person("head", rng.randint(62, 75), labour_capacity="none"),
                  person("grandchild", rng.randint(5, 15), labour_capacity="none",
                         parents_deceased_or_missing=True)]
        else:
            size = rng.choice([1, 2, 2, 3, 3, 4])
            head_age = rng.randint(35, 70)
            ms = [person("head", head_age,
                         labour_capacity=rng.choice(["full", "partial", "none"]),
                         disability_grade=rng.choice(["", "", "", "2", "3"]))]
            for _ in range(size - 1):
                rel, n = rng.choice(["spouse", "child", "parent"]), rng.randint(3, 80)
                # ages that fit the relationship (a parent born in 2004 under a head born in
                # 1970 was the demo's before)
                age = {"spouse": head_age - 5 + n % 11,
                       "child": max(1, head_age - 20 - n % 16),
                       "parent": min(95, head_age + 20 + n % 16)}[rel]
                ms.append(person(rel, age,
                                 labour_capacity=rng.choice(["full", "partial", "none"])))
        members_of[id(h)] = ms
        people.extend(ms)
    Person.objects.bulk_create(people)
    for h in households:
        head = members_of[id(h)][0]
        if rng.random() < 0.5:
            supporters.append(Supporter(person=head, name=person_name(rng), relationship="子女",
                                        able_to_support=rng.random() < 0.3))
    Supporter.objects.bulk_create(supporters)

    # one assessment per household, income to fit its programme
    dibao = {"urban": Decimal(770), "rural": Decimal(550)}
    assessments, incomes = [], []
    assessed_on = add_months(first_month, -1) - dt.timedelta(days=rng.randint(0, 20))
    # registered before anyone assessed them (登记时间 read today's date beside a 2025 assessment)
    for h in households:
        day = assessed_on - dt.timedelta(days=rng.randint(1, 400))
        h.created_at = timezone.make_aware(dt.datetime.combine(day, dt.time(9, rng.randint(0, 59))))
        Household.objects.filter(pk=h.pk).update(created_at=h.created_at)
    for h, kind in zip(households, plans, strict=True):
        ms = members_of[id(h)]
        std = dibao[h.area]
        factor = {"dibao": rng.uniform(0.1, 0.9), "edge": rng.uniform(1.05, 1.45),
                  "tekun": rng.uniform(0, 0.5), "orphan": 0.3, "temporary": rng.uniform(0.8, 1.6),
                  "none": rng.uniform(1.6, 3)}[kind]
        monthly = (std * Decimal(str(round(factor, 3))) * len(ms)).quantize(Decimal("0.01"))
        a = Assessment(household=h, assessed_on=assessed_on,
                       window_start=window_start(assessed_on, 12), window_end=assessed_on,
                       months=12, members_counted=len(ms), income_total=monthly * 12,
                       income_counted=monthly * 12,
                       rigid_spending=Decimal(rng.choice([0, 0, 3000, 12000]))
                       if kind == "temporary" else Decimal(0),
                       per_capita_monthly=(monthly / len(ms)).quantize(Decimal("0.01")),
                       emergency="火灾" if kind == "temporary" and rng.random() < 0.4 else "",
                       note="演示生成", created_by=user)
        assessments.append(a)
    Assessment.objects.bulk_create(assessments)
    for a, h in zip(assessments, households, strict=True):
        head = members_of[id(h)][0]
        incomes.append(IncomeItem(assessment=a, person=head, kind="wages", amount=a.income_total))
        if head.birth_date.year < today.year - 60:
            incomes.append(IncomeItem(assessment=a, person=head, kind="pension",
                                      amount=Decimal(1800), excluded=True))
    IncomeItem.objects.bulk_create(incomes)

    # enrolments: most decided before the first cycle; some in every other state
    enrolments, events = [], []
    states = [E.ENROLLED] * 14 + [E.APPLIED, E.REVIEWED, E.PUBLICISED, E.REFUSED, E.PAUSED,
                                  E.EXITED]
    for h, kind, a in zip(households, plans, assessments, strict=True):
        if kind == "none":
            continue
        ms = members_of[id(h)]
        state = rng.choice(states)
        person = ms[0] if kind == "tekun" else ms[1] if kind == "orphan" else None
        applied = assessed_on + dt.timedelta(days=rng.randint(1, 10))
        if state in (E.APPLIED, E.REVIEWED, E.PUBLICISED):
            applied = today - dt.timedelta(days=rng.randint(1, 20))
        if kind == "temporary" and state not in (E.APPLIED, E.REVIEWED, E.PUBLICISED):
            # one-off aid comes through the year: each award is paid in the next cycle
            applied = min(today - dt.timedelta(days=26),
                          add_months(first_month, rng.randint(0, 11)) + dt.timedelta(
                              days=rng.randint(0, 20)))
        decided = applied + dt.timedelta(days=rng.randint(15, 25)) if state in (
            E.ENROLLED, E.REFUSED, E.PAUSED, E.EXITED) else None
        award = None
        if kind == "temporary" and state in (E.ENROLLED, E.EXITED):
            award = Decimal(rng.choice([500, 800, 1000, 1500, 2000, 3000]))
        e = Enrolment(
            household=h, person=person, payee=person or ms[0], region=h.region, area=h.area,
            programme=kind, state=state, applied_on=applied, consent_on=applied,
            mode=("dispersed" if person.self_care else "centralised") if kind == "tekun" else "",
            assessment=a, computed_verdict="符合" if kind != "temporary" else "需人工认定",
            computed_rule="演示生成", per_capita_income=a.per_capita_monthly,
            members_covered=1 if person else len(ms), decided_on=decided, award_amount=award,
            decision_reason="演示：家庭财产不符合规定" if state == E.REFUSED else "",
            publicity_start=min(today, applied + dt.timedelta(days=3))
            if state not in (E.APPLIED, E.REVIEWED) else None,
            publicity_end=min(today, applied + dt.timedelta(days=10))
            if state not in (E.APPLIED, E.REVIEWED) else None,
            next_review_on=add_months(decided, 12) if decided and state == E.ENROLLED else None)
        enrolments.append(e)
    Enrolment.objects.bulk_create(enrolments)
    # the dated history the programme counts read: a paused or ended benefit ran from its
    # decision to a day this year, a few households were paused last year and resumed this year,
    # so last year's figures differ from today's state
    for e in enrolments:
        def ev(state, on, e=e, note="演示生成"):
            events.append(EnrolmentEvent(enrolment=e, state=state, effective_on=on,
                                         members_covered=e.members_covered,
                                         assessment=e.assessment,
                                         per_capita_income=e.per_capita_income, actor=user,
                                         note=note))
        ev(E.APPLIED, e.applied_on)
        if e.state == E.REVIEWED:
            ev(E.REVIEWED, min(today, e.applied_on + dt.timedelta(days=2)))
        elif e.state == E.PUBLICISED:
            ev(E.REVIEWED, e.publicity_start)
            ev(E.PUBLICISED, e.publicity_start)
        elif e.state == E.REFUSED:
            ev(E.REFUSED, e.decided_on)
        elif e.state in (E.ENROLLED, E.PAUSED, E.EXITED):
            ev(E.ENROLLED, e.decided_on)
            if e.state != E.ENROLLED:
                ev(e.state, max(e.decided_on, today - dt.timedelta(days=rng.randint(0, 60))),
                   note="演示：复核暂停" if e.state == E.PAUSED else "演示：复核退出")
            elif rng.random() < 0.05:
                paused = max(e.decided_on, add_months(start, -rng.randint(5, 8)))
                ev(E.PAUSED, paused, note="演示：外出务工收入增加，暂停")
                ev(E.ENROLLED, max(paused, add_months(start, -rng.randint(1, 3))),
                   note="演示：复核恢复")
    EnrolmentEvent.objects.bulk_create(events)
    Objection.objects.bulk_create([
        Objection(enrolment=e, received_on=e.publicity_start, text="演示：邻居反映家中有车辆")
        for e in enrolments if e.state == E.PUBLICISED][:3])
    # review tasks: due over the coming year, some already overdue, some done
    reviews = []
    for e in enrolments:
        if e.state != E.ENROLLED:
            continue
        due = add_months(e.decided_on, rng.choice([3, 6, 12]))
        done = due <= today and rng.random() < 0.8
        reviews.append(Review(enrolment=e, due_on=due, done_on=due if done else None,
                              outcome="keep" if done else "", done_by=user if done else None))
    Review.objects.bulk_create(reviews)
    progress(f"社会救助：{len(households)} 户、{len(people)} 人、{len(enrolments)} 项申请")

    # a year of monthly cycles through the real set-based actions
    cycles = 0
    retry_month = add_months(start, -4)
    month = first_month
    while month <= start:
        cycle = payments.do_open_cycle(user, district.code, month, generated=True)
        payments.do_generate(user, cycle)
        payments.do_approve_cycle(user, cycle)
        payments.do_approve_entitlements(user, cycle)
        batch = payments.do_export_batch(user, cycle)
        exported = max(month, min(today, month + dt.timedelta(days=rng.randint(2, 6))))
        PaymentBatch.objects.filter(pk=batch.pk).update(exported_at=min(
            timezone.now(), timezone.make_aware(dt.datetime.combine(exported, dt.time(9)))))
        if month == start and today.day <= 12:
            cycles += 1
            break  # this month's batch awaits the bank's return file
        _pay(batch, month, today, rng, fail=3 if month == retry_month else 0)
        if month == retry_month:
            retry = payments.do_export_batch(user, cycle, retry=True)
            _pay(retry, month, today, rng, late=True)
        Cycle.objects.filter(pk=cycle.pk).update(state=Cycle.State.PAID)
        if month < start:
            payments.do_close_cycle(user, Cycle.objects.get(pk=cycle.pk))
        cycles += 1
        month = add_months(month, 1)
    progress(f"社会救助：{cycles} 个月发放周期（其中一个月有失败重发）")
    refused = _refused_for_assets(enrolments, rng)
    paid_first = _paid_first(households, plans, members_of, district, today, user)
    progress(f"社会救助：{refused} 户因财产超过上限不予认定，{paid_first} 笔先行救助")
    return {"households": len(households), "people": len(people),
            "enrolments": len(enrolments) + paid_first, "cycles": cycles,
            "refused_for_assets": refused, "paid_first": paid_first}


def _refused_for_assets(enrolments: list[Enrolment], rng) -> int:
    """The refused 低保 and 低保边缘 applications: their households' assessments record savings
    above the per-person limit and a car, and the computed result and the written reasons are
    those of the asset rule (eligibility.assets_rule, under the demo's limits)."""
    n = 0
    for e in enrolments:
        if e.state != E.REFUSED or e.programme not in ("dibao", "edge"):
            continue
        members = e.household.members.count() or 1
        Assessment.objects.filter(pk=e.assessment_id).update(
            savings=Decimal(18480 * members + rng.randint(5, 60) * 1000),
            vehicles=1 if n % 2 == 0 else 0, note="演示生成：家庭财产超过上限")
        result = services.eligibility_of(e.household, e.applied_on)
        verdict = next((r for r in result.results
                        if r.programme == PROGRAMME_NAMES[e.programme]), None)
        if verdict is None:
            continue
        reason = f"家庭财产超过当地规定，不予认定。{verdict.rule}"[:500]
        Enrolment.objects.filter(pk=e.pk).update(computed_verdict=verdict.verdict,
                                                 computed_rule=verdict.rule[:500],
                                                 decision_reason=reason)
        EnrolmentEvent.objects.filter(enrolment=e, state=E.REFUSED).update(note=reason)
        n += 1
    return n


# 先行救助: (days before today the street paid, the after-review: None pending, True confirmed,
# False refused, with days after paying). The one paid 25 days ago is past its 10-day limit.
PAID_FIRST = ((75, True, 4), (60, True, 9), (45, False, 6), (25, None, 0), (3, None, 0))


def _paid_first(households, plans, members_of, district: Region, today: dt.date, user) -> int:
    """Urgent 临时救助 paid first by the street from its 备用金 (enrolment.do_pay_first, by the
    street's staff where the demo account exists), then reviewed afterwards by 区民政局
    (do_after_review): some confirmed, one refused, one overdue, one not yet due. Households
    of the demo that are in no programme, in the demo street first."""
    street_user = get_user_model().objects.filter(username="street1").first()
    street = street_user.memberships.first().region if street_user and \
        street_user.memberships.exists() else None
    prefix = street.code[:9] if street is not None else district.code[:6]
    candidates = [h for h, kind in zip(households, plans, strict=True) if kind == "none"]
    candidates.sort(key=lambda h: (not h.region_id.startswith(prefix), h.number))
    n = 0
    for (ago, outcome, after), h in zip(PAID_FIRST, candidates, strict=False):
        on = today - dt.timedelta(days=ago)
        applied = on - dt.timedelta(days=1)
        head = members_of[id(h)][0]
        a = h.assessments.order_by("-assessed_on").first()
        e = Enrolment.objects.create(
            household=h, payee=head, region=h.region, area=h.area, programme="temporary",
            state=E.APPLIED, applied_on=applied, consent_on=applied, assessment=a,
            computed_verdict="需人工认定", computed_rule="演示生成：急难情形由经办人员认定",
            per_capita_income=a.per_capita_monthly if a else 0,
            members_covered=len(members_of[id(h)]))
        EnrolmentEvent.objects.create(enrolment=e, state=E.APPLIED, effective_on=applied,
                                      members_covered=e.members_covered, assessment=a,
                                      per_capita_income=e.per_capita_income, actor=user,
                                      note="演示生成")
        payer = street_user if street_user and h.region_id.startswith(prefix) else user
        reason = ["演示：住房失火，家中财物被毁", "演示：家庭成员突发重病住院",
                  "演示：交通事故致主要劳动力受伤"][n % 3]
        enrolment_actions.do_pay_first(payer, e, award_amount=str(1000 + 500 * n),
                                       reason=reason, on=on)
        if outcome is not None:
            enrolment_actions.do_after_review(
                user, Enrolment.objects.get(pk=e.pk), confirm=outcome,
                reason="" if outcome else "演示：补办核查发现家庭另有稳定收入，不符合急难情形",
                on=on + dt.timedelta(days=after))
        n += 1
    return n


def _pay(batch: PaymentBatch, month: dt.date, today: dt.date, rng, *, fail: int = 0,
         late: bool = False) -> None:
    """The bank's answer, as reconciliation would record it: paid on a day of the month (by the
    10th, now and then later; a retry after the due day), a few failures."""
    ids = list(Payment.objects.filter(batch=batch).order_by("id").values_list("id", flat=True))
    failed = set(rng.sample(ids, min(fail, len(ids)))) if fail else set()
    by_day: dict[dt.date, list[int]] = {}
    for pk in ids:
        if pk in failed:
            continue
        day = rng.randint(15, 20) if late else (rng.randint(3, 10) if rng.random() < 0.95
                                                else rng.randint(11, 16))
        when = min(today, month.replace(day=day))
        by_day.setdefault(when, []).append(pk)
    for when, pks in by_day.items():
        Payment.objects.filter(pk__in=pks).update(status=Payment.Status.PAID, paid_on=when)
    Payment.objects.filter(pk__in=failed).update(status=Payment.Status.FAILED,
                                                 failure_reason="演示：账户已冻结")
    PaymentBatch.objects.filter(pk=batch.pk).update(state=PaymentBatch.State.RECONCILED,
                                                    reconciled_at=timezone.now())
