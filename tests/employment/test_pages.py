"""The employment pages: who opens what (denials included), registering on a phone, masking and
the audited reveal, the fair page, the employer's own view and the public jobs page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from minsheng.accounts.models import AuditLog
from minsheng.employment.models import Employer, Event, LocalRate, Unemployment, Vacancy
from tests.employment.conftest import id_for

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2031, 6, 15, 4, 0, tzinfo=dt.UTC)
PAGES = ["home", "vacancies", "events", "referrals", "internships", "training", "register",
         "import", "template"]


@pytest.mark.parametrize("name", PAGES)
def test_the_service_opens_every_page_other_departments_none(client_for, name):
    assert client_for("employ1").get(reverse(f"employment:{name}")).status_code == 200
    for who in ("dept1", "resident1", "property1", "mediator1"):
        assert client_for(who).get(reverse(f"employment:{name}")).status_code == 403, who


def test_registering_staff_and_readers(client_for):
    c = client_for("community1")
    assert c.get(reverse("employment:register")).status_code == 200
    assert c.get(reverse("employment:import")).status_code == 403  # the service imports
    v = client_for("viewer1")
    assert v.get(reverse("employment:home")).status_code == 200
    assert v.get(reverse("employment:register")).status_code == 403


def test_nav_shows_the_item_only_with_the_right(client_for):
    assert "就业服务" in client_for("employ1").get("/").content.decode()
    assert 'href="/employment/"' not in client_for("dept1").get("/").content.decode()


@time_machine.travel(NOW, tick=False)
def test_register_on_a_phone_then_employed(client_for, community):
    c = client_for("community1")
    number = id_for(dt.date(1995, 3, 3))
    r = c.post(reverse("employment:register"), {
        "name": "赵六", "id_number": number, "phone": "13912345678", "region": community.code,
        "registered_on": "2031-06-01", "reason": "dismissed", "desired_work": "仓库管理",
        "hard_to_employ": "on"})
    u = Unemployment.objects.get(person__id_number=number)
    assert r.status_code == 302 and u.hard_to_employ and u.region == community
    page = c.get(reverse("employment:registration", args=[u.pk])).content.decode()
    assert number not in page and "139****5678" in page
    shown = c.post(reverse("employment:reveal", args=[u.pk])).content.decode()
    assert number in shown
    assert AuditLog.objects.filter(action="unmask", object_id=str(u.person.pk)).exists()
    r = c.post(reverse("employment:employed", args=[u.pk]),
               {"employed_on": "2031-06-10", "kind": "unit", "employer_name": "某物流公司"})
    u.refresh_from_db()
    assert r.status_code == 302 and u.ended_on == dt.date(2031, 6, 10)
    # hostile text: a control character is refused by the form
    r = c.post(reverse("employment:register"), {
        "name": "坏\x07人", "id_number": id_for(dt.date(1995, 3, 4)), "region": community.code,
        "registered_on": "2031-06-01", "reason": "other"})
    assert r.status_code == 200 and "控制字符" in r.content.decode()


def test_outside_objects_are_404(client_for, other_community, make_person):
    u = Unemployment.objects.create(person=make_person(region=other_community),
                                    region=other_community, registered_on=dt.date(2030, 1, 1),
                                    reason="other")
    assert client_for("community1").get(
        reverse("employment:registration", args=[u.pk])).status_code == 404
    assert client_for("street2").get(
        reverse("employment:registration", args=[u.pk])).status_code == 200
    assert client_for("street2").post(
        reverse("employment:reveal", args=[u.pk])).status_code == 200  # street staff unmask
    assert client_for("employ1").post(
        reverse("employment:reveal", args=[u.pk])).status_code == 403  # no VIEW_PERSONAL


@time_machine.travel(NOW, tick=False)
def test_employer_sees_its_own_and_the_public_sees_no_people(client_for, user, community):
    district = community.code[:6] + "000000"
    mine = Employer.objects.filter(organisation__membership__user__username="employer1").first() \
        or Employer.objects.create(name="演示单位", region_id=district,
                                   organisation=user("employer1").memberships.first().organisation)
    other = Employer.objects.create(name="别家单位", region_id=district)
    Vacancy.objects.create(employer=mine, region_id=district, title="我的岗位",
                           posted_on=dt.date(2031, 6, 1))
    Vacancy.objects.create(employer=other, region_id=district, title="别家岗位",
                           posted_on=dt.date(2031, 6, 1))
    Vacancy.objects.create(employer=other, region_id=district, title="内部岗位", public=False,
                           posted_on=dt.date(2031, 6, 1))
    c = client_for("employer1")
    assert c.get(reverse("employment:home")).status_code == 302
    page = c.get(reverse("employment:vacancies")).content.decode()
    assert "我的岗位" in page and "别家岗位" not in page
    assert c.get(reverse("employment:events")).status_code == 403
    ev = Event.objects.create(name="春风行动测试专场", kind="fair", region_id=district,
                              held_on=dt.date(2031, 3, 10), visitors=500, agreements=80)
    ev.employers.add(other)
    assert c.get(reverse("employment:event", args=[ev.pk])).status_code == 404
    fair = client_for("employ1").get(reverse("employment:event", args=[ev.pk])).content.decode()
    assert "春风行动测试专场" in fair and "别家单位" in fair
    public = Client().get(reverse("employment:public")).content.decode()
    assert "我的岗位" in public and "别家岗位" in public and "内部岗位" not in public
    assert "春风行动测试专场" in public and "13812345678" not in public


def test_back_office_is_scoped_and_read_only(client_for, other_community, make_person):
    u = Unemployment.objects.create(person=make_person(region=other_community),
                                    region=other_community, registered_on=dt.date(2030, 1, 1),
                                    reason="other")
    street1, street2 = client_for("street1"), client_for("street2")
    url = reverse("admin:employment_unemployment_change", args=[u.pk])
    assert street2.get(url).status_code == 200
    assert street2.post(url, {"reason": "dismissed"}).status_code == 403
    assert street1.get(url).status_code in (302, 404)  # outside: "does not exist" redirect
    assert client_for("community1").get(
        reverse("admin:employment_unemployment_changelist")).status_code in (302, 403)
    assert client_for("admin").get(url).status_code == 200


@time_machine.travel(NOW, tick=False)
def test_internship_page_checks_eligibility(client_for, make_person, community):
    LocalRate.objects.get_or_create(region_id="131002000000", valid_from=dt.date(2031, 1, 1),
                                    defaults={"minimum_wage": Decimal("1900")})
    host = Employer.objects.create(name="见习基地甲", region_id="131002000000",
                                   internship_base=True)
    old = make_person(birth=dt.date(1980, 1, 1))
    c = client_for("employ1")
    form = {"id_number": old.id_number, "host": host.pk, "starts_on": "2031-06-01", "months": 6,
            "monthly_allowance": "1800"}
    page = c.post(reverse("employment:internships"), form).content.decode()
    assert "不属于见习对象" in page and "最低工资" in page
    young = make_person(birth=dt.date(2010, 1, 1))
    Unemployment.objects.create(person=young, region=community,
                                registered_on=dt.date(2031, 5, 1), reason="other")
    ok = c.post(reverse("employment:internships"), form | {"id_number": young.id_number,
                                                          "monthly_allowance": "1900"})
    assert ok.status_code == 302 and young.internship.basis == "youth"
    assert client_for("street1").post(reverse("employment:internships"), form).status_code == 403


@time_machine.travel(NOW, tick=False)
def test_the_service_refers_from_the_registration(client_for, make_person, community):
    u = Unemployment.objects.create(person=make_person(), region=community,
                                    registered_on=dt.date(2031, 5, 1), reason="other")
    emp = Employer.objects.create(name="推荐测试单位", region_id="131002000000")
    v = Vacancy.objects.create(employer=emp, region_id="131002000000", title="推荐岗位甲",
                               posted_on=dt.date(2031, 6, 1))
    url = reverse("employment:refer", args=[u.pk])
    assert client_for("community1").post(url, {"vacancy": v.pk}).status_code == 403
    assert client_for("employ1").post(url, {"vacancy": v.pk}).status_code == 302
    assert u.person.referrals.get().vacancy == v
    again = client_for("employ1").post(url, {"vacancy": v.pk}).content.decode()
    assert "已向该岗位推荐过此人" in again
