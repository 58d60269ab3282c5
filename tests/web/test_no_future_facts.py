"""No future dates for facts (issue 12 §1): a progress report's date, a review's acceptance and
conclusion are refused when they lie after now (the clock is django.utils.timezone.now(), local
dates in Asia/Shanghai), including on 1 January; and the demo records none (4 of its 6 review
conclusions lay in the future)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from minsheng.cases import demo as case_demo
from minsheng.cases import mediation, workflow
from minsheng.cases.models import AdminReview, Case, CaseType, Mediation, MediationSession
from minsheng.places.models import Compound, Organisation
from minsheng.projects import actions
from minsheng.projects import demo as project_demo
from minsheng.projects.models import ChecklistItem, Plan, ProgressReport, Project, SubItem

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
# New Year's night in Shanghai is still 31 December in UTC; and an ordinary afternoon
CLOCKS = [dt.datetime(2031, 1, 1, 0, 30, tzinfo=TZ), dt.datetime(2031, 6, 15, 15, 0, tzinfo=TZ)]


def test_the_demo_records_no_fact_after_now():
    now, today = timezone.now(), timezone.localdate()
    assert not AdminReview.objects.filter(concluded_at__gt=now).exists()
    assert not AdminReview.objects.filter(accepted_at__gt=now).exists()
    recon = AdminReview.objects.filter(kind="reconsideration", accepted=True,
                                       case__generated=True)
    assert recon.filter(concluded_at__isnull=False).count() == min(4, recon.count())
    assert not Mediation.objects.filter(concluded_at__gt=now).exists()
    assert not MediationSession.objects.filter(held_at__gt=now).exists()
    assert not ProgressReport.objects.filter(as_of__gt=today).exists()
    assert not SubItem.objects.filter(done_on__gt=today).exists()
    assert not ChecklistItem.objects.filter(done_at__gt=now).exists()
    assert not Case.objects.filter(created_at__gt=now).exists()
    assert not Case.objects.filter(resolved_at__gt=now).exists()


@pytest.fixture
def project():
    plan = Plan.objects.create(region_id="131002000000", year=2031, name="2031年测试计划")
    dept = Organisation.objects.get(region_id="131002000000", name="区民政局")
    return Project.objects.create(plan=plan, name="测试项目", area="elderly", lead_department=dept,
                                  target="建设养老服务站10个", start_date=dt.date(2030, 6, 1),
                                  end_date=dt.date(2031, 12, 31))


@pytest.mark.parametrize("clock", CLOCKS, ids=["1-January", "June"])
def test_a_progress_report_dated_after_today_is_refused(user, project, clock):
    with time_machine.travel(clock, tick=False):
        today = timezone.localdate()
        assert today == clock.date()
        with pytest.raises(ValidationError) as e:
            actions.do_submit_progress(user("dept1"), project, as_of=today + dt.timedelta(days=1),
                                       percent=Decimal(10), spent=Decimal(0), narrative="开工")
        assert "as_of" in e.value.message_dict
        r = actions.do_submit_progress(user("dept1"), project, as_of=today, percent=Decimal(10),
                                       spent=Decimal(0), narrative="开工")
        assert r.as_of == today


@pytest.mark.parametrize("clock", CLOCKS, ids=["1-January", "June"])
def test_a_review_concluded_or_accepted_after_now_is_refused(user, clock):
    compound = Compound.objects.filter(region__code__startswith="131002001").first()
    with time_machine.travel(clock - dt.timedelta(days=40), tick=False):
        case = workflow.do_file(case_type=CaseType.objects.get(code="reconsideration"),
                                description="对罚款申请行政复议", channel=Case.Channel.STAFF,
                                compound=compound)
    boss = user("district")
    args = {"kind": "reconsideration", "respondent": "区城市管理综合行政执法局",
            "accepted": True, "by_dispute_centre": False, "amount_recovered": None}
    with time_machine.travel(clock, tick=False):
        now = timezone.now()
        tomorrow = now + dt.timedelta(days=1)
        with pytest.raises(ValidationError) as e:
            mediation.do_save_review(boss, case.admin_review, accepted_at=now - dt.timedelta(days=3),
                                     outcome="corrected", concluded_at=tomorrow, **args)
        assert "concluded_at" in e.value.message_dict
        with pytest.raises(ValidationError) as e:
            mediation.do_save_review(boss, case.admin_review, accepted_at=tomorrow, outcome="",
                                     concluded_at=None, **args)
        assert "accepted_at" in e.value.message_dict
        mediation.do_save_review(boss, case.admin_review, accepted_at=now - dt.timedelta(days=3),
                                 outcome="corrected", concluded_at=now, **args)
    case.admin_review.refresh_from_db()
    assert case.admin_review.concluded_at == now


@pytest.mark.parametrize("clock", CLOCKS, ids=["1-January", "June"])
def test_the_demo_review_generator_dates_nothing_after_now(clock):
    compound = Compound.objects.filter(region__code__startswith="131002001").first()
    recon = CaseType.objects.get(code="reconsideration")
    pks = []
    for days in (1, 2, 20, 100, 120, 200):
        with time_machine.travel(clock - dt.timedelta(days=days), tick=False):
            pks.append(workflow.do_file(case_type=recon, description="申请行政复议",
                                        channel=Case.Channel.STAFF, compound=compound).pk)
    AdminReview.objects.filter(case_id__in=pks).delete()
    cases = list(Case.objects.filter(pk__in=pks).select_related("case_type"))
    with time_machine.travel(clock, tick=False):
        case_demo._reviews(random.Random(1), cases, timezone.now())
    made = AdminReview.objects.filter(case_id__in=pks)
    assert made.count() == 6 and made.filter(concluded_at__isnull=False).count() == 4
    assert not made.filter(concluded_at__gt=clock).exists()
    assert not made.filter(accepted_at__gt=clock).exists()


def test_the_demo_plans_made_on_1_january_date_nothing_after_now():
    clock = CLOCKS[0]
    with time_machine.travel(clock, tick=False):
        project_demo.generate("131002", progress_cb=lambda *_: None)
        now, today = timezone.now(), timezone.localdate()
    mine = ProgressReport.objects.filter(project__plan__year__in=(2030, 2031))
    assert mine.exists()
    assert not mine.filter(as_of__gt=today).exists()
    assert not SubItem.objects.filter(project__plan__year__in=(2030, 2031),
                                      done_on__gt=today).exists()
    assert not ChecklistItem.objects.filter(sub_item__project__plan__year__in=(2030, 2031),
                                            done_at__gt=now).exists()
