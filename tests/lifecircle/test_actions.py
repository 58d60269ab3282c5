"""The life circle's writers (minsheng/lifecircle/actions.py): each checks the right, is atomic
and leaves an audit row."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from minsheng.accounts.models import AuditLog
from minsheng.lifecircle import actions, siting
from minsheng.lifecircle.models import Proposal, Run
from minsheng.places.models import FacilityCategory, Region
from minsheng.projects.models import Milestone, Project, SubItem

pytestmark = pytest.mark.django_db
ANCI = "131002000000"


def analysis(user):
    d = Region.objects.get(code=ANCI)
    return siting.analyse(user, d, d, FacilityCategory.objects.get(pk="kindergarten"), 2,
                          ["compound"], [], "milp")


def audit(obj) -> list[str]:
    return list(AuditLog.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
                .values_list("action", flat=True))


def test_do_save_proposal_saves_and_audits(user):
    p = actions.do_save_proposal(user("district"), analysis(user("district")), note="测试")
    assert p.region_id == ANCI and p.k == 2 and p.note == "测试" and len(p.sites) == 2
    assert p.created_by == user("district")
    assert audit(p) == [AuditLog.Action.CREATE]


def test_do_save_proposal_needs_the_right_to_edit_the_district(user):
    a = analysis(user("viewer1"))
    n, logs = Proposal.objects.count(), AuditLog.objects.count()
    with pytest.raises(PermissionDenied):
        actions.do_save_proposal(user("viewer1"), a, note="")
    assert (Proposal.objects.count(), AuditLog.objects.count()) == (n, logs)


def test_do_proposal_to_project_creates_one_audited_project(user):
    district = user("district")
    p = actions.do_save_proposal(district, analysis(district), note="")
    project, created = actions.do_proposal_to_project(district, p)
    assert created and project.plan.region_id == ANCI and not project.is_public
    assert list(project.milestones.values_list("weight", flat=True)) == [100]
    assert SubItem.objects.filter(project=project).count() == 2
    assert audit(project) == [AuditLog.Action.CREATE]
    assert sorted(audit(p)) == [AuditLog.Action.CREATE] * 2  # saved, converted
    p.refresh_from_db()
    assert p.project == project
    again, created = actions.do_proposal_to_project(district, p)
    assert again == project and not created


def test_do_proposal_to_project_is_all_or_nothing(user, monkeypatch):
    district = user("district")
    p = actions.do_save_proposal(district, analysis(district), note="")
    counts = (Project.objects.count(), Milestone.objects.count(), SubItem.objects.count(),
              AuditLog.objects.count())

    def broken(*args, **kwargs):
        raise RuntimeError("sub-item failed")

    monkeypatch.setattr(actions, "do_add_sub_item", broken)
    with pytest.raises(RuntimeError):
        actions.do_proposal_to_project(district, p)
    assert (Project.objects.count(), Milestone.objects.count(), SubItem.objects.count(),
            AuditLog.objects.count()) == counts
    p.refresh_from_db()
    assert p.project is None


def test_do_proposal_to_project_needs_the_right_to_manage_projects(user):
    p = actions.do_save_proposal(user("district"), analysis(user("district")), note="")
    n = Project.objects.count()
    with pytest.raises(PermissionDenied):
        actions.do_proposal_to_project(user("viewer1"), p)
    assert Project.objects.count() == n


def test_do_start_run_queues_an_audited_run(user):
    district = Region.objects.get(code=ANCI)
    run = actions.do_start_run(user("district"), district)
    assert run.state == Run.State.DONE  # tasks run inline in tests
    assert audit(run) == [AuditLog.Action.CREATE]
    with pytest.raises(PermissionDenied):
        actions.do_start_run(user("viewer1"), district)
    with pytest.raises(PermissionDenied):
        actions.do_start_import(user("street1"), district, "x.osm", with_places=False)
