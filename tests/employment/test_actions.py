"""The writers (employment/actions.py): registration by real name and its end by employment,
referrals, the once-only internship with its subsidy claim, training; each checks its right."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from minsheng.accounts.models import AuditLog
from minsheng.employment import access, actions
from minsheng.employment.models import Employer, LocalRate, Referral, Unemployment

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2031, 6, 15, 4, 0, tzinfo=dt.UTC)


@pytest.fixture
def host(community):
    district = community.code[:6] + "000000"
    LocalRate.objects.get_or_create(region_id=district, valid_from=dt.date(2030, 1, 1),
                                    defaults={"minimum_wage": Decimal("1900")})
    LocalRate.objects.get_or_create(region_id=district, valid_from=dt.date(2031, 4, 1),
                                    defaults={"minimum_wage": Decimal("2000")})
    return Employer.objects.create(name="测试见习基地", region_id=district, internship_base=True)


@time_machine.travel(NOW, tick=False)
def test_registration_and_employment_end_the_spell(user, make_person, host):
    p = make_person()
    community1 = user("community1")
    u = actions.do_register_unemployment(community1, p, registered_on=dt.date(2031, 2, 1),
                                         reason=Unemployment.Reason.DISMISSED, hard_to_employ=True)
    assert u.region == p.region and u.open
    with pytest.raises(ValidationError):  # one open spell
        actions.do_register_unemployment(community1, p, registered_on=dt.date(2031, 3, 1),
                                         reason="other")
    with pytest.raises(ValidationError):  # before the registration
        actions.do_register_employment(community1, p, employed_on=dt.date(2031, 1, 31))
    job = actions.do_register_employment(community1, p, employed_on=dt.date(2031, 5, 2),
                                         employer=host)
    u.refresh_from_db()
    assert (u.ended_on, u.end_reason, job.ends_id) == (dt.date(2031, 5, 2), "employed", u.pk)
    assert job.employer_name == host.name
    assert AuditLog.objects.filter(object_type="employment.employment", object_id=str(job.pk))
    with pytest.raises(ValidationError):  # no future facts
        actions.do_leave_employment(community1, job, left_on=dt.date(2031, 7, 1), reason="quit")


@time_machine.travel(NOW, tick=False)
def test_who_may_register(user, make_person, other_community):
    p = make_person(region=other_community)  # in street 2
    for name in ("community1", "dept1", "resident1", "employer1", "grid1"):
        with pytest.raises(PermissionDenied):
            actions.do_register_unemployment(user(name), p, registered_on=dt.date(2031, 2, 1),
                                             reason="other")
    for name in ("street2", "employ1"):
        assert actions.do_register_unemployment(user(name), p, registered_on=dt.date(2031, 2, 1),
                                                reason="other")
        Unemployment.objects.filter(person=p).delete()


@time_machine.travel(NOW, tick=False)
def test_person_for_checks_and_reuses(user, community, make_person):
    employ1 = user("employ1")
    with pytest.raises(ValidationError):
        actions.person_for(employ1, community, name="张三", id_number="131002199001011230")
    p = make_person(name="李四")
    assert actions.person_for(employ1, community, name="李四", id_number=p.id_number) == p
    with pytest.raises(ValidationError):
        actions.person_for(employ1, community, name="王五", id_number=p.id_number)


@time_machine.travel(NOW, tick=False)
def test_internship_once_only_and_claim(user, make_person, host):
    employ1 = user("employ1")
    grad = make_person(birth=dt.date(2008, 5, 1))
    actions.do_register_unemployment(employ1, grad, registered_on=dt.date(2030, 8, 1),
                                     reason="graduate", graduate_year=2030)
    with pytest.raises(ValidationError) as low:  # below the minimum wage in force
        actions.do_start_internship(employ1, grad, host, starts_on=dt.date(2031, 4, 1), months=6,
                                    monthly_allowance=Decimal("1950"))
    assert "最低工资" in str(low.value)
    i = actions.do_start_internship(employ1, grad, host, starts_on=dt.date(2031, 3, 1), months=3,
                                    monthly_allowance=Decimal("1950"))
    assert i.basis == "graduate"
    with pytest.raises(ValidationError) as again:
        actions.do_start_internship(employ1, grad, host, starts_on=dt.date(2031, 6, 1), months=3,
                                    monthly_allowance=Decimal("2500"))
    assert "一次" in str(again.value)
    assert actions.internship_claim(i) == Decimal("3990.00")  # 3 × 1900 × 0.7, not yet ended
    actions.do_end_internship(employ1, i, ended_on=dt.date(2031, 6, 1), retained=True)
    assert actions.internship_claim(i) == Decimal("6270.00")  # retained: 3 × 1900 × 1.1
    with pytest.raises(PermissionDenied):
        actions.do_start_internship(user("dept1"), make_person(birth=dt.date(2008, 1, 1)), host,
                                    starts_on=dt.date(2031, 3, 1), months=3,
                                    monthly_allowance=Decimal("2500"))


@time_machine.travel(NOW, tick=False)
def test_referral_outcomes_and_the_employer(user, make_person, host, community):
    employ1, employer1 = user("employ1"), user("employer1")
    own = Employer.objects.filter(organisation__membership__user=employer1).first() or \
        Employer.objects.create(name="演示单位", region=host.region,
                                organisation=employer1.memberships.first().organisation)
    v = actions.do_post_vacancy(employer1, own, title="普工", positions=3)
    with pytest.raises(PermissionDenied):
        actions.do_post_vacancy(employer1, host, title="越权岗位")
    seeker = make_person()
    r = actions.do_add_referral(employ1, seeker, v)
    assert r in access.referrals_for(employer1) and r not in access.referrals_for(user("dept1"))
    with pytest.raises(ValidationError):
        actions.do_update_referral(employer1, r, Referral.Status.HIRED)  # not interviewed yet
    actions.do_update_referral(employer1, r, Referral.Status.INTERVIEWED)
    actions.do_update_referral(employ1, r, Referral.Status.HIRED)
    assert r.status == "hired"
    other = actions.do_add_referral(employ1, make_person(), actions.do_post_vacancy(
        employ1, host, title="见习", kind="internship"))
    with pytest.raises(PermissionDenied):
        actions.do_update_referral(employer1, other, Referral.Status.INTERVIEWED)
    assert not access.vacancies_for(employer1).filter(employer=host).exists()


@time_machine.travel(NOW, tick=False)
def test_training_subsidy_once_a_year(user, make_person, community):
    employ1 = user("employ1")
    kw = {"region": community, "occupation": "育婴员", "provider": "测试学校", "hours": 80,
              "subsidy_per_person": Decimal("1500")}
    c1 = actions.do_create_course(employ1, name="育婴员1期", starts_on=dt.date(2031, 1, 5),
                                  ends_on=dt.date(2031, 2, 5), **kw)
    c2 = actions.do_create_course(employ1, name="育婴员2期", starts_on=dt.date(2031, 3, 5),
                                  ends_on=dt.date(2031, 4, 5), **kw)
    p = make_person()
    e1 = actions.do_finish_enrolment(employ1, actions.do_enrol(employ1, c1, p), completed=True,
                                     certificate="Z-1", employed_within_6m=None)
    e2 = actions.do_finish_enrolment(employ1, actions.do_enrol(employ1, c2, p), completed=True,
                                     certificate="Z-2", employed_within_6m=True)
    assert (e1.subsidy, e2.subsidy) == (Decimal("1200.00"), Decimal("0.00"))
    with pytest.raises(ValidationError):
        actions.do_enrol(employ1, c1, p)
    with pytest.raises(ValidationError):
        actions.do_enrol(employ1, c1, make_person(birth=dt.date(2016, 1, 1)))
