"""Renovation done follows the work (issue 12 §1): ticking every checklist item of a renovation
sub-item with its evidence completes the sub-item (an audited action), and the indicator
完成改造的老旧小区 counts it in the period in which it was completed."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from minsheng.accounts.models import AuditLog
from minsheng.indicators import services
from minsheng.indicators.models import Indicator
from minsheng.indicators.periods import Period
from minsheng.places.models import Compound, Region
from minsheng.projects import actions
from minsheng.projects.demo import department_reporters
from minsheng.projects.models import Project, SubItem

pytestmark = pytest.mark.django_db

D = "131002000000"


def renovations_done(year: int):
    services.compute(D, Period(year))
    ind = Indicator.objects.get(code="renovations_done")
    return services.evaluate([D], Period(year), indicators=[ind],
                             with_previous=False)[D]["renovations_done"].value


def lead_user(sub: SubItem):
    return department_reporters(Region.objects.get(code=D))[sub.project.lead_department_id]


def new_sub_item() -> SubItem:
    """A new class-B sub-item of this year's demo renovation project (whatever its progress)."""
    project = Project.objects.get(plan__region_id=D, plan__year=timezone.localdate().year,
                                  name="老旧小区改造提升")
    compound = Compound.objects.in_region(D).filter(is_old=True).order_by("-pk").first()
    Compound.objects.filter(pk=compound.pk).update(renovation_class="")
    return actions.do_add_sub_item(project, name=f"{compound.name}改造（测试）",
                                   region=compound.region, compound=compound, renovation_class="B")


def test_ticking_every_item_with_evidence_completes_the_sub_item_and_the_indicator_counts_it(user):
    sub = new_sub_item()
    year = timezone.localdate().year
    before = renovations_done(year)
    who = lead_user(sub)
    items = list(sub.checklist.all())
    assert len(items) > 1
    for c in items[:-1]:
        actions.do_tick_checklist(who, c, evidence="验收单 2026-001")
    sub.refresh_from_db()
    assert not sub.done  # one item still open
    with pytest.raises(ValidationError):
        actions.do_tick_checklist(who, items[-1], evidence="  ")
    actions.do_tick_checklist(who, items[-1], evidence="验收单 2026-002")
    sub.refresh_from_db()
    assert sub.done and sub.done_on == timezone.localdate()
    sub.compound.refresh_from_db()
    assert sub.compound.renovation_class == "B"  # the registry follows the work
    assert AuditLog.objects.filter(object_type="projects.subitem", object_id=str(sub.pk)).exists()
    assert AuditLog.objects.filter(object_type="projects.checklistitem",
                                   object_id=str(items[-1].pk)).exists()
    assert renovations_done(year) == before + 1


def test_a_user_outside_the_project_cannot_tick(user):
    sub = new_sub_item()
    with pytest.raises(PermissionDenied):
        actions.do_tick_checklist(user("grid1"), sub.checklist.first(), evidence="x")


def test_the_demo_indicator_follows_the_ticked_checklists():
    """Last year's renovation project is complete in the demo, so its sub-items count (it read 0
    in every year while the home page said 51)."""
    year = timezone.localdate().year
    done = SubItem.objects.filter(project__plan__region_id=D, done=True,
                                  done_on__year=year - 1).exclude(renovation_class="").count()
    assert done > 0
    assert renovations_done(year - 1) == done
