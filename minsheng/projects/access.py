"""Who sees and does what with projects, built on places.scope.scope_of (the one scoping function).

- leaders (district admin, viewer) see every project of plans in their region;
- a department sees and reports on the projects it leads;
- streets and communities see projects with a sub-item in their area;
- the public sees only the public page.
"""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from minsheng.accounts.roles import MANAGE_BUDGET, MANAGE_PROJECTS, REPORT_PROGRESS, Role
from minsheng.places.scope import scope_of
from minsheng.projects.models import ExpenditureLine, Plan, ProgressReport, Project, SubItem

LEADER_ROLES = {Role.DISTRICT_ADMIN, Role.VIEWER}
AREA_ROLES = {Role.STREET_STAFF, Role.COMMUNITY_STAFF, Role.GRID_WORKER}


def projects_for(user) -> QuerySet[Project]:
    s = scope_of(user)
    qs = Project.objects.select_related("plan", "lead_department")
    if s.everything:
        return qs
    q = Q(pk__in=[])
    for g in s.grants:
        if g.role in LEADER_ROLES:
            q |= Q(plan__region__code__startswith=g.prefix[:6])
        elif g.role == Role.DEPARTMENT_STAFF and g.organisation_id:
            q |= Q(lead_department_id=g.organisation_id)
        elif g.role in AREA_ROLES:
            q |= Q(Exists(SubItem.objects.filter(project=OuterRef("pk"),
                                                 region__code__startswith=g.prefix)))
    return qs.filter(q)


def plans_for(user) -> QuerySet[Plan]:
    return Plan.objects.filter(pk__in=projects_for(user).values("plan_id")) | Plan.objects.filter(
        _region_q(user, MANAGE_PROJECTS))


def _region_q(user, right: str) -> Q:
    s = scope_of(user)
    if s.everything:
        return Q()
    from minsheng.accounts.roles import RIGHTS

    prefixes = [g.prefix for g in s.grants if right in RIGHTS.get(g.role, ())]
    return reduce(or_, (Q(region__code__startswith=p[:6]) for p in prefixes), Q(pk__in=[]))


def access_project_by_id(user, pk) -> Project:
    try:
        return projects_for(user).get(pk=pk)
    except (Project.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def can_manage(user, plan: Plan) -> bool:
    return scope_of(user).has_right(MANAGE_PROJECTS, plan.region_id)


def can_report(user, project: Project) -> bool:
    """The lead department's staff (or the livelihood office) may submit progress."""
    s = scope_of(user)
    if s.everything or s.has_right(MANAGE_PROJECTS, project.plan.region_id):
        return True
    from minsheng.accounts.roles import RIGHTS

    return any(REPORT_PROGRESS in RIGHTS.get(g.role, ())
               and g.organisation_id == project.lead_department_id for g in s.grants)


def can_review(user, report: ProgressReport) -> bool:
    """A supervisor (livelihood office) reviews, never the person who submitted the report."""
    return report.submitted_by_id != user.pk and can_manage(user, report.project.plan)


def expenditure_for(user) -> QuerySet[ExpenditureLine]:
    """Budget lines: leaders and the finance office of the region; departments see them too."""
    s = scope_of(user)
    if s.everything:
        return ExpenditureLine.objects.all()
    prefixes = [g.prefix[:6] for g in s.grants
                if g.role in LEADER_ROLES or g.role == Role.DEPARTMENT_STAFF]
    if not prefixes:
        return ExpenditureLine.objects.none()
    return ExpenditureLine.objects.filter(
        reduce(or_, (Q(region__code__startswith=p) for p in prefixes)))


def can_manage_budget(user, region_code: str) -> bool:
    return scope_of(user).has_right(MANAGE_BUDGET, region_code)
