"""Monthly payment cycles: amounts per programme, the order of states (in the model), bulk
approval, the 一卡通 export with the account snapshot (audited), reconciliation from the bank's
return file, a failed payment retried in a follow-up batch, and one live payment per person per
cycle (a DB constraint)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from minsheng.accounts.models import AuditLog
from minsheng.assistance import enrolment as en
from minsheng.assistance import payments as pay
from minsheng.assistance.models import (
    Cycle,
    Enrolment,
    EnrolmentEvent,
    Entitlement,
    Household,
    Payment,
    Person,
    Review,
    Standard,
)
from minsheng.lib.tabular import ImportRejected

pytestmark = pytest.mark.django_db
D = Decimal
NOW = dt.datetime(2026, 6, 20, 12, tzinfo=dt.UTC)
DISTRICT = "131002000000"


def u(name):
    return get_user_model().objects.get(username=name)


def enrol(region, number, programme, *, per_capita="0", members=1, area="urban",
          account="6217000000000000001", decided=dt.date(2026, 1, 1)) -> Enrolment:
    h = Household.objects.create(number=number, region=region, area=area)
    p = Person.objects.create(household=h, region=region, relationship="head", name=number,
                              id_number=f"13100219500101{int(number[2:]):04d}",
                              birth_date="1950-01-01", bank_name="农业银行", bank_account=account)
    e = Enrolment.objects.create(
        household=h, person=p if programme in ("tekun", "orphan") else None, payee=p,
        region=region, area=area, programme=programme, state="enrolled",
        applied_on=decided, consent_on=decided, decided_on=decided,
        per_capita_income=D(per_capita), members_covered=members)
    EnrolmentEvent.objects.create(enrolment=e, state="enrolled", effective_on=decided,
                                  members_covered=members, per_capita_income=D(per_capita))
    return e


@pytest.fixture
def setup(db):
    comm1 = u("community1").memberships.first().region
    for programme, area, amount in (("dibao", "urban", "800"), ("dibao", "rural", "600"),
                                    ("tekun", "both", "1040"), ("orphan", "both", "1500")):
        Standard.objects.create(region_id=DISTRICT, programme=programme, area=area,
                                valid_from=dt.date(2025, 1, 1), amount=D(amount), source="测试")
    es = {
        "dibao": enrol(comm1, "P-1", "dibao", per_capita="300.50", members=3),
        "rural": enrol(comm1, "P-2", "dibao", per_capita="100", members=2, area="rural",
                       account="6217000000000000002"),
        "tekun": enrol(comm1, "P-3", "tekun", account="6217000000000000003"),
        "orphan": enrol(comm1, "P-4", "orphan", account="6217000000000000004"),
        "late": enrol(comm1, "P-5", "dibao", decided=dt.date(2026, 7, 1),
                      account="6217000000000000005"),
        "above": enrol(comm1, "P-6", "dibao", per_capita="800", account="6217000000000000006"),
    }
    paused = enrol(comm1, "P-7", "dibao")
    Enrolment.objects.filter(pk=paused.pk).update(state="paused")
    EnrolmentEvent.objects.create(enrolment=paused, state="paused",
                                  effective_on=dt.date(2026, 4, 1))
    return es


def run_cycle(month=dt.date(2026, 6, 1)) -> Cycle:
    civil = u("civil1")
    cycle = pay.do_open_cycle(civil, DISTRICT, month)
    pay.do_generate(civil, cycle)
    pay.do_approve_cycle(civil, cycle)
    pay.do_approve_entitlements(civil, cycle)
    return Cycle.objects.get(pk=cycle.pk)


def bank_return(batch, fail: set[str] = frozenset(), **override) -> bytes:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["流水号", "账号", "金额（元）", "结果", "失败原因", "入账日期"])
    for p in Payment.objects.filter(batch=batch).order_by("id"):
        ok = p.account_name not in fail
        w.writerow([override.get("ref", p.pk), p.account, override.get("amount", p.amount),
                    "成功" if ok else "失败", "" if ok else "账户已销户", "2026-06-20"])
    return out.getvalue().encode()


@time_machine.travel(NOW, tick=False)
def test_entitlements_follow_each_programme_s_rule(setup):
    cycle = run_cycle()
    got = dict(Entitlement.objects.filter(cycle=cycle).values_list("enrolment__household__number",
                                                                   "amount"))
    assert got == {"P-1": D("1498.50"),  # (800 − 300.50) × 3
                   "P-2": D("1000.00"),  # rural: (600 − 100) × 2
                   "P-3": D("1040.00"),  # 特困: fixed
                   "P-4": D("1500.00")}  # 孤儿: fixed
    # P-5 enrolled after the month, P-6 at the standard (nothing owed), P-7 paused: none


def owed(cycle) -> dict[str, Decimal]:
    return dict(Entitlement.objects.filter(cycle=cycle).values_list(
        "enrolment__household__number", "amount"))


def test_a_cycle_opened_late_pays_whom_the_history_had_in_force_that_month(setup):
    """The June cycle, opened in July after June's households were paused, ended or changed,
    pays those in force on some day of June by the event history, never by today's state."""
    community = u("community1")
    later = enrol(setup["dibao"].region, "P-8", "dibao", per_capita="500",
                  account="6217000000000000008")  # ended on 15 May: not in June
    dropped = enrol(setup["dibao"].region, "P-9", "dibao", per_capita="700",
                    account="6217000000000000009")  # paused on 10 June: in force 1–9 June
    with time_machine.travel(dt.datetime(2026, 5, 20, 12, tzinfo=dt.UTC), tick=False):
        en.do_complete_review(community, Review.objects.create(enrolment=later, due_on=NOW.date()),
                              outcome="end", note="收入超过标准", on=dt.date(2026, 5, 15))
    with time_machine.travel(dt.datetime(2026, 7, 20, 12, tzinfo=dt.UTC), tick=False):
        en.do_complete_review(community, Review.objects.create(enrolment=dropped,
                                                               due_on=NOW.date()),
                              outcome="pause", note="外出务工", on=dt.date(2026, 6, 10))
        en.do_complete_review(community, Review.objects.create(enrolment=setup["dibao"],
                                                               due_on=NOW.date()),
                              outcome="pause", note="家庭收入增加", on=dt.date(2026, 7, 2))
        en.do_complete_review(community, Review.objects.create(enrolment=setup["tekun"],
                                                               due_on=NOW.date()),
                              outcome="end", note="本人死亡", on=dt.date(2026, 7, 3))
        # the rural household's benefit changed in July to cover 5 members: June keeps 2
        EnrolmentEvent.objects.create(enrolment=setup["rural"], state="enrolled",
                                      effective_on=dt.date(2026, 7, 4), members_covered=5,
                                      per_capita_income=D("100"))
        Enrolment.objects.filter(pk=setup["rural"].pk).update(members_covered=5)
        assert Enrolment.objects.get(pk=setup["dibao"].pk).state == "paused"
        assert Enrolment.objects.get(pk=setup["tekun"].pk).state == "exited"
        june = run_cycle(dt.date(2026, 6, 1))
        july = run_cycle(dt.date(2026, 7, 1))
    # P-5 starts in July, P-6 is owed nothing, P-7 paused since April, P-8 ended in May
    assert owed(june) == {"P-1": D("1498.50"), "P-2": D("1000.00"), "P-3": D("1040.00"),
                          "P-4": D("1500.00"), "P-9": D("100.00")}
    # July: P-1 and P-3 were in force on its first day(s); P-9 paused since June; P-2 now 5 people
    assert owed(july) == {"P-1": D("1498.50"), "P-2": D("2500.00"), "P-3": D("1040.00"),
                          "P-4": D("1500.00"), "P-5": D("800.00")}


def test_a_benefit_starting_on_the_20th_is_paid_for_that_whole_month_and_not_before(setup):
    """No pro-rata rule in the brief (A.2, A.5 §6): the first month is paid whole."""
    enrol(setup["dibao"].region, "P-8", "dibao", per_capita="200", members=2,
          decided=dt.date(2026, 5, 20), account="6217000000000000008")
    with time_machine.travel(NOW, tick=False):
        april, may = run_cycle(dt.date(2026, 4, 1)), run_cycle(dt.date(2026, 5, 1))
    assert "P-8" not in owed(april)
    assert owed(may)["P-8"] == D("1200.00")  # (800 − 200) × 2, the whole month
    with time_machine.travel(NOW, tick=False):
        march = run_cycle(dt.date(2026, 3, 1))
    # P-7 paused from 1 April: in force in March, not in April or May
    assert "P-7" in owed(march) and "P-7" not in owed(april) and "P-7" not in owed(may)


@time_machine.travel(NOW, tick=False)
def test_no_entitlement_is_approved_before_its_cycle(setup):
    civil = u("civil1")
    cycle = pay.do_open_cycle(civil, DISTRICT, dt.date(2026, 6, 1))
    pay.do_generate(civil, cycle)
    with pytest.raises(ValidationError):
        pay.do_approve_entitlements(civil, cycle)
    e = Entitlement.objects.filter(cycle=cycle).first()
    e.state = "approved"
    with pytest.raises(ValidationError):
        e.save()  # the model refuses it too, whoever calls it
    with pytest.raises(ValidationError):
        pay.do_export_batch(civil, cycle)
    with pytest.raises(ValidationError):
        pay.do_generate(civil, cycle)  # generated once
    with pytest.raises(ValidationError):
        pay.do_open_cycle(civil, DISTRICT, dt.date(2026, 6, 15))  # one cycle a month
    with pytest.raises(ValidationError):
        pay.do_open_cycle(civil, DISTRICT, dt.date(2026, 7, 1))  # not the future


@time_machine.travel(NOW, tick=False)
def test_only_civil_affairs_runs_cycles(setup):
    for name in ("street1", "community1", "dept-housing", "viewer1", "district"):
        with pytest.raises(PermissionDenied):
            pay.do_open_cycle(u(name), DISTRICT, dt.date(2026, 6, 1))
    cycle = run_cycle()
    with pytest.raises(PermissionDenied):
        pay.do_export_batch(u("dept-housing"), cycle)


@time_machine.travel(NOW, tick=False)
def test_export_snapshots_the_account_is_audited_and_a_retry_pays_only_the_failed(setup):
    civil = u("civil1")
    cycle = run_cycle()
    batch = pay.do_export_batch(civil, cycle)
    content, ctype, name = pay.bank_file(civil, batch, "csv")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == list(pay.BANK_HEADER) and len(rows) == 5
    assert rows[1][1:5] == ["P-1", "农业银行", "6217000000000000001", "1498.50"]
    assert name.endswith(".csv")
    assert AuditLog.objects.filter(action="export", object_type="assistance.paymentbatch",
                                   user=civil).count() == 2  # the batch and the download
    xlsx, _ctype, xname = pay.bank_file(civil, batch, "xlsx")
    assert xname.endswith(".xlsx") and xlsx[:2] == b"PK"
    with pytest.raises(ValidationError, match="尚未对账"):
        pay.do_export_batch(civil, cycle)
    # the bank pays all but P-3; P-3 gets a new card before the retry
    pay.do_reconcile(civil, batch, bank_return(batch, fail={"P-3"}), "return.csv")
    assert Cycle.objects.get(pk=cycle.pk).state == "approved"  # not everything paid
    Person.objects.filter(name="P-3").update(bank_account="6217999999999999999")
    retry = pay.do_export_batch(civil, cycle, retry=True)
    [p] = Payment.objects.filter(batch=retry)
    assert (p.account_name, p.account, p.amount) == ("P-3", "6217999999999999999", D("1040.00"))
    assert Payment.objects.get(batch=batch, account_name="P-3").account == "6217000000000000003"
    assert Payment.objects.filter(cycle=cycle, person__name="P-3").count() == 2
    with pytest.raises(ValidationError, match="尚未对账"):
        pay.do_export_batch(civil, cycle, retry=True)
    pay.do_reconcile(civil, retry, bank_return(retry), "return2.csv")
    assert Cycle.objects.get(pk=cycle.pk).state == "paid"
    assert pay.totals(cycle)["paid_amount"] == D("5038.50")
    pay.do_close_cycle(civil, cycle)


@time_machine.travel(NOW, tick=False)
def test_a_person_never_has_two_live_payments_in_a_cycle(setup):
    civil = u("civil1")
    cycle = run_cycle()
    batch = pay.do_export_batch(civil, cycle)
    p = Payment.objects.filter(batch=batch).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(batch=batch, cycle=cycle, person=p.person, region=p.region,
                               amount=1, account_name="x")
    # a failed one does not count: the retry is allowed by the constraint
    Payment.objects.filter(pk=p.pk).update(status="failed")
    Payment.objects.create(batch=batch, cycle=cycle, person=p.person, region=p.region, amount=1,
                           account_name="x")


@time_machine.travel(NOW, tick=False)
def test_a_wrong_bank_return_is_refused_whole(setup):
    civil = u("civil1")
    cycle = run_cycle()
    batch = pay.do_export_batch(civil, cycle)
    for bad in (bank_return(batch, amount="1.00"), bank_return(batch, ref="999999999"),
                b"\xef\xbb\xbf\xe6\xb5\x81\xe6\xb0\xb4\xe5\x8f\xb7\n=1+2\n"):
        with pytest.raises(ImportRejected):
            pay.do_reconcile(civil, batch, bad, "return.csv")
    assert not Payment.objects.filter(batch=batch).exclude(status="issued").exists()
    # an incomplete return (one line missing) is refused too
    lines = bank_return(batch).decode().splitlines()
    with pytest.raises(ImportRejected) as e:
        pay.do_reconcile(civil, batch, "\n".join(lines[:-1]).encode(), "return.csv")
    assert "缺少 1 笔" in str(e.value.errors[0])


@time_machine.travel(NOW, tick=False)
def test_one_entitlement_is_rejected_with_a_reason_before_it_is_paid(setup, client_for):
    civil = u("civil1")
    cycle = pay.do_open_cycle(civil, DISTRICT, dt.date(2026, 6, 1))
    pay.do_generate(civil, cycle)
    ent = Entitlement.objects.get(cycle=cycle, enrolment=setup["tekun"])
    with pytest.raises(ValidationError):
        pay.do_reject_entitlement(civil, ent, "  ")  # a written reason
    with pytest.raises(ValidationError):
        pay.do_reject_entitlement(civil, ent, "理由\x00")  # control characters
    with pytest.raises(PermissionDenied):
        pay.do_reject_entitlement(u("street1"), ent, "已死亡")
    # through the page (the enrolment page's form posts to the cycle's act)
    c = client_for("civil1")
    r = c.post(f"/assistance/cycles/{cycle.pk}/act/",
               {"step": "reject", "entitlement": ent.pk, "reason": "=户籍已迁出<b>"})
    ent.refresh_from_db()
    assert r.status_code == 302 and ent.state == "rejected" and ent.reject_reason.startswith("=")
    assert AuditLog.objects.filter(object_type="assistance.entitlement",
                                   object_id=str(ent.pk)).exists()
    with pytest.raises(ValidationError):
        pay.do_reject_entitlement(civil, ent, "再次")  # once
    # another cycle's entitlement number is not this cycle's
    c.post(f"/assistance/cycles/{cycle.pk}/act/", {"step": "reject", "entitlement": "x",
                                                  "reason": "r"})
    pay.do_approve_cycle(civil, cycle)
    assert pay.do_approve_entitlements(civil, cycle) == 3  # the rejected one stays out
    pay.do_export_batch(civil, cycle)
    assert not Payment.objects.filter(cycle=cycle, person=ent.payee).exists()
    paid = Entitlement.objects.get(cycle=cycle, enrolment=setup["orphan"])
    with pytest.raises(ValidationError):
        pay.do_reject_entitlement(civil, paid, "导出后")  # its payee is in a batch already
    page = c.get(f"/assistance/enrolments/{setup['tekun'].pk}/").content.decode()
    assert "=户籍已迁出&lt;b&gt;" in page
