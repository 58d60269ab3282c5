"""Progress reporting and approval, with the permission boundaries (denials included)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from minsheng.accounts.models import Membership
from minsheng.places.models import Organisation
from minsheng.projects import actions, services
from minsheng.projects.access import projects_for
from minsheng.projects.models import FundLine, Milestone, Plan, ProgressReport, Project

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(user):
    plan = Plan.objects.create(region_id="131002000000", year=2032, name="2032年测试计划")
    dept = Organisation.objects.get(region_id="131002000000", name="区民政局")
    p = Project.objects.create(plan=plan, name="测试养老项目", area="elderly", lead_department=dept,
                               target="建设养老服务站10个", start_date=dt.date(2026, 1, 1),
                               end_date=dt.date(2026, 12, 31))
    FundLine.objects.create(project=p, source="district", planned=D(1_000_000),
                            allocated=D(600_000))
    Milestone.objects.create(project=p, name="完工", planned_date=dt.date(2026, 12, 31),
                             weight=D(100))
    return p


def submit(user, p, **kw):
    args = {"as_of": dt.date(2026, 6, 30), "percent": D(40), "spent": D(300_000),
            "narrative": "按计划推进"} | kw
    return actions.do_submit_progress(user, p, **args)


def test_only_approved_progress_counts(user, project):
    r = submit(user("dept1"), project)
    at = dt.date(2026, 7, 1)
    assert services.status_of(project, at).actual == 0
    actions.do_review(user("district"), r, approve=True)
    project.refresh_from_db()
    assert services.status_of(project, at).actual == 40


def test_return_needs_a_reason_and_does_not_count(user, project):
    r = submit(user("dept1"), project)
    with pytest.raises(ValidationError):
        actions.do_review(user("district"), r, approve=False, comment="")
    actions.do_review(user("district"), r, approve=False, comment="照片不清楚")
    r.refresh_from_db()
    assert r.state == ProgressReport.State.RETURNED and r.review_comment == "照片不清楚"
    assert services.status_of(project, dt.date(2026, 7, 1)).actual == 0
    with pytest.raises(ValidationError):
        actions.do_review(user("district"), r, approve=True)  # already reviewed


def test_other_departments_and_streets_cannot_report(user, project):
    for username in ("street1", "viewer1", "resident1", "grid1"):
        with pytest.raises(PermissionDenied):
            submit(user(username), project)
    # a department that does not lead the project

    m = Membership.objects.get(user__username="dept1")
    m.organisation = Organisation.objects.get(region_id="131002000000", name="区教育局")
    m.save()
    with pytest.raises(PermissionDenied):
        submit(user("dept1"), project)


def test_nobody_approves_their_own_report(user, project):
    r = submit(user("district"), project)
    with pytest.raises(PermissionDenied):
        actions.do_review(user("district"), r, approve=True)
    with pytest.raises(PermissionDenied):
        actions.do_review(user("dept1"), submit(user("dept1"), project, as_of=dt.date(2026, 7, 1)),
                           approve=True)
    actions.do_review(user("admin"), r, approve=True)


def test_spending_beyond_allocation_needs_a_flagged_reason(user, project):
    with pytest.raises(ValidationError) as e:
        submit(user("dept1"), project, spent=D(700_000))
    assert "overspend_reason" in e.value.message_dict
    r = submit(user("dept1"), project, spent=D(700_000), overspend_reason="追加资金未下达")
    assert r.overspend_reason == "追加资金未下达"


def test_progress_cannot_go_backwards(user, project):
    actions.do_review(user("district"), submit(user("dept1"), project), approve=True)
    with pytest.raises(ValidationError) as e:
        submit(user("dept1"), project, as_of=dt.date(2026, 7, 31), percent=D(30))
    assert "percent" in e.value.message_dict


def test_project_visibility(user, project):
    assert projects_for(user("dept1")).filter(pk=project.pk).exists()
    assert projects_for(user("district")).filter(pk=project.pk).exists()
    assert not projects_for(user("street1")).filter(pk=project.pk).exists()
    assert not projects_for(user("resident1")).exists()
    actions.do_add_sub_item(project, name="银河南路街道养老站", region_id="131002001007")
    assert projects_for(user("street1")).filter(pk=project.pk).exists()
    assert not projects_for(user("street2")).filter(pk=project.pk).exists()


def test_renovation_sub_item_gets_the_standard_checklist(project):
    a = actions.do_add_sub_item(project, name="A类小区", region_id="131002001007",
                                 renovation_class="A")
    c = actions.do_add_sub_item(project, name="C类小区", region_id="131002001007",
                                 renovation_class="C")
    assert a.checklist.count() > c.checklist.count() > 0
    assert set(c.checklist.values_list("tier", flat=True)) == {"基础类"}
    assert set(a.checklist.values_list("tier", flat=True)) == {"基础类", "完善类", "提升类"}
