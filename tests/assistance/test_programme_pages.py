"""Enrolment, review and payment-cycle pages on the HTTP surface: the course of an application
from a phone to 区民政局's decision, the cycle page driving generate → approve → export →
reconcile → retry, and the denials (other departments, other streets, viewers, residents)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from minsheng.accounts.models import AuditLog
from minsheng.assistance import actions
from minsheng.assistance import enrolment as en
from minsheng.assistance.models import (
    Cycle,
    Enrolment,
    Household,
    Payment,
    PaymentBatch,
    Person,
    Procedure,
    Review,
    Standard,
)

pytestmark = pytest.mark.django_db
D = Decimal
NOW = dt.datetime(2026, 6, 20, 4, tzinfo=dt.UTC)


def u(name):
    return get_user_model().objects.get(username=name)


@pytest.fixture
def home(db):
    comm1 = u("community1").memberships.first().region
    Standard.objects.create(region_id="131002000000", programme="dibao", area="urban",
                            valid_from=dt.date(2026, 1, 1), amount=D("800"), source="测试")
    Procedure.objects.create(region_id="131002000000", valid_from=dt.date(2026, 1, 1),
                             publicity_days=0, source="测试")
    h = Household.objects.create(number="W-1", region=comm1, area="urban")
    head = Person.objects.create(household=h, region=comm1, relationship="head", name="甲",
                                 id_number="131002198001010099", birth_date="1980-01-01",
                                 bank_name="农业银行", bank_account="6228000000000000099")
    with time_machine.travel(NOW, tick=False):
        actions.do_record_assessment(u("community1"), h, assessed_on=dt.date(2026, 6, 1),
                                     incomes=[(head, "wages", D("3600"))])
    return h


@time_machine.travel(NOW, tick=False)
def test_an_application_goes_from_the_community_to_civil_affairs(home, client_for):
    r = client_for("community1").post(f"/assistance/households/{home.pk}/apply/", {
        "programme": "dibao", "consent_on": "2026-06-19"})
    e = Enrolment.objects.get(household=home)
    assert r.status_code == 302 and e.computed_verdict == "符合"
    url = f"/assistance/enrolments/{e.pk}/"
    assert "审核确认" not in client_for("street1").get(url).content.decode()
    client_for("street1").post(url + "act/", {"step": "review", "note": "入户核实"})
    client_for("street1").post(url + "act/", {"step": "publicise"})
    assert client_for("street2").post(url + "act/", {"step": "enrol"}).status_code == 404
    client_for("dept-housing").post(url + "act/", {"step": "enrol"})
    assert Enrolment.objects.get(pk=e.pk).state == "publicised"
    html = client_for("civil1").get(url).content.decode()
    assert "审核确认" in html
    client_for("civil1").post(url + "act/", {"step": "enrol"})
    assert Enrolment.objects.get(pk=e.pk).state == "enrolled"
    html = client_for("community1").get("/assistance/reviews/").content.decode()
    assert "W-1" in html
    review = Review.objects.get(enrolment=e)
    client_for("community1").post(f"/assistance/reviews/{review.pk}/done/", {"outcome": "keep"})
    assert Review.objects.get(pk=review.pk).done_on == dt.date(2026, 6, 20)


@pytest.mark.parametrize("username", ["viewer1", "resident1", "dept-housing", "street2"])
@time_machine.travel(NOW, tick=False)
def test_enrolments_and_reviews_are_closed_to_outsiders(username, home, client_for):
    e = en.do_apply(u("community1"), home, programme="dibao", consent_on=dt.date(2026, 6, 1))
    c = client_for(username)
    assert c.get(f"/assistance/enrolments/{e.pk}/").status_code == 404
    assert c.post(f"/assistance/enrolments/{e.pk}/act/", {"step": "review"}).status_code == 404
    assert c.get(f"/assistance/households/{home.pk}/apply/").status_code == 404
    if username != "street2":
        assert c.get("/assistance/reviews/").status_code == 403
    assert c.get("/assistance/cycles/").status_code == 403


@time_machine.travel(NOW, tick=False)
def test_the_cycle_page_runs_a_month_with_a_failed_payment_retried(home, client_for):
    e = en.do_apply(u("community1"), home, programme="dibao", consent_on=dt.date(2026, 6, 1))
    en.do_street_review(u("street1"), e)
    en.do_publicise(u("street1"), e, start=dt.date(2026, 6, 1))
    en.do_decide(u("civil1"), e, enrol=True, on=dt.date(2026, 6, 1))
    c = client_for("civil1")
    r = c.post("/assistance/cycles/", {"region": "131002000000", "month": "2026-06-05"})
    cycle = Cycle.objects.get(region_id="131002000000", month=dt.date(2026, 6, 1))
    assert r.status_code == 302
    act = f"/assistance/cycles/{cycle.pk}/act/"
    c.post(act, {"step": "approve_all"})  # before the cycle is approved: refused
    c.post(act, {"step": "generate"})
    c.post(act, {"step": "approve_all"})
    assert not cycle.entitlements.filter(state="approved").exists()
    c.post(act, {"step": "approve"})
    c.post(act, {"step": "approve_all"})
    c.post(act, {"step": "export"})
    batch = PaymentBatch.objects.get(cycle=cycle)
    r = c.get(f"/assistance/batches/{batch.pk}/file.csv")
    assert "6228000000000000099" in r.content.decode("utf-8-sig")
    assert AuditLog.objects.filter(action="export", object_type="assistance.paymentbatch",
                                   object_id=str(batch.pk)).count() == 2
    assert client_for("street1").get(f"/assistance/batches/{batch.pk}/file.csv").status_code \
        == 404
    p = Payment.objects.get(batch=batch)
    ret = f"流水号,账号,金额（元）,结果,失败原因\n{p.pk},{p.account},{p.amount},失败,账户冻结\n"
    c.post(f"/assistance/batches/{batch.pk}/reconcile/",
           {"file": SimpleUploadedFile("r.csv", ret.encode())})
    assert Payment.objects.get(pk=p.pk).status == "failed"
    html = c.get(f"/assistance/cycles/{cycle.pk}/").content.decode()
    assert "失败重发" in html and "500" in html  # (800 − 300) × 1 member
    c.post(act, {"step": "retry"})
    retry = PaymentBatch.objects.get(cycle=cycle, seq=2)
    p2 = Payment.objects.get(batch=retry)
    ret = f"流水号,账号,金额（元）,结果\n{p2.pk},{p2.account},{p2.amount},成功\n"
    c.post(f"/assistance/batches/{retry.pk}/reconcile/",
           {"file": SimpleUploadedFile("r.csv", ret.encode())})
    assert Cycle.objects.get(pk=cycle.pk).state == "paid"
    assert re.search(r"已发放", c.get(f"/assistance/cycles/{cycle.pk}/").content.decode())
    # money reads as 元 with two decimals and thousands grouped, never the database's raw sum
    # (SQLite printed 169017.710000000 on the demo's cycles)
    for url in (f"/assistance/cycles/{cycle.pk}/", "/assistance/cycles/"):
        page = c.get(url).content.decode()
        main = page[page.index("<main"):page.index("</main>")]
        assert "500.00" in main and not re.search(r"\d\.\d{3,}", main), url
