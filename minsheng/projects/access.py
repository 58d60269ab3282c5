"""Who sees and does what with projects, built on places.scope.scope_of (the one scoping function).

- VIEW_ALL_PROJECTS (district admin, viewer): every project of plans in their region;
- REPORT_PROGRESS (a department): sees and reports on the projects it leads;
- VIEW_AREA_PROJECTS (street, community, grid): projects with a sub-item in their area;
- the public sees only the public page.
"""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from minsheng.accounts.roles import (
    MANAGE_BUDGET,
    MANAGE_PROJECTS,
    REPORT_PROGRESS,
    VIEW_ALL_PROJECTS,
    VIEW_AREA_PROJECTS,
    VIEW_BUDGET,
)
from minsheng.places.scope import scope_of
from minsheng.projects.models import (
    ExpenditureLine,
    Plan,
    ProgressPhoto,
    ProgressReport,
    Project,
    SubItem,
)


def projects_for(user) -> QuerySet[Project]:
    s = scope_of(user)
    qs = Project.objects.select_related("plan", "lead_department")
    if s.everything:
        return qs
    q = Q(pk__in=[])
    for g in s.grants_with(VIEW_ALL_PROJECTS):
        q |= Q(plan__region__code__startswith=g.prefix[:6])
    for g in s.grants_with(REPORT_PROGRESS):
        if g.organisation_id:
            q |= Q(lead_department_id=g.organisation_id)
    for g in s.grants_with(VIEW_AREA_PROJECTS):
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
    prefixes = [g.prefix for g in s.grants_with(right)]
    return reduce(or_, (Q(region__code__startswith=p[:6]) for p in prefixes), Q(pk__in=[]))


def access_project_by_id(user, pk) -> Project:
    try:
        return projects_for(user).get(pk=pk)
    except (Project.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def public_photos() -> QuerySet[ProgressPhoto]:
    """The photos the public page shows: marked public, of an approved report of a public,
    not cancelled project of a published plan."""
    return ProgressPhoto.objects.filter(
        public=True, report__state=ProgressReport.State.APPROVED, report__project__is_public=True,
        report__project__plan__published=True).exclude(
        report__project__status=Project.Status.CANCELLED)


def access_photo_by_id(user, pk) -> tuple[ProgressPhoto, bool]:
    """A progress photo and whether it is public: anyone may see a public one (public_photos);
    staff see the photos of the projects in their scope; anything else is 404."""
    ph = public_photos().filter(pk=pk).first()
    if ph is not None:
        return ph, True
    if getattr(user, "is_authenticated", False):
        ph = ProgressPhoto.objects.filter(pk=pk, report__project__in=projects_for(user)).first()
        if ph is not None:
            return ph, False
    raise Http404


def can_manage(user, plan: Plan) -> bool:
    return scope_of(user).has_right(MANAGE_PROJECTS, plan.region_id)


def can_report(user, project: Project) -> bool:
    """The lead department's staff (or the livelihood office) may submit progress."""
    s = scope_of(user)
    if s.everything or s.has_right(MANAGE_PROJECTS, project.plan.region_id):
        return True
    return any(g.organisation_id == project.lead_department_id
               for g in s.grants_with(REPORT_PROGRESS))


def can_review(user, report: ProgressReport) -> bool:
    """A supervisor (livelihood office) reviews, never the person who submitted the report."""
    return report.submitted_by_id != user.pk and can_manage(user, report.project.plan)


def reports_to_review(user) -> QuerySet[ProgressReport]:
    """Submitted progress reports waiting for this user's review (can_review: a supervisor of the
    plan's region, never the submitter); the home page and the navigation count them."""
    s = scope_of(user)
    qs = ProgressReport.objects.filter(state=ProgressReport.State.SUBMITTED).exclude(
        submitted_by=user)
    if s.everything:
        return qs
    return qs.filter(reduce(or_, (Q(project__plan__region__code__startswith=g.prefix)
                                  for g in s.grants_with(MANAGE_PROJECTS)), Q(pk__in=[])))


def expenditure_for(user) -> QuerySet[ExpenditureLine]:
    """Budget lines: leaders and the finance office of the region; departments see them too."""
    s = scope_of(user)
    if s.everything:
        return ExpenditureLine.objects.all()
    prefixes = [g.prefix[:6] for g in s.grants_with(VIEW_BUDGET)]
    if not prefixes:
        return ExpenditureLine.objects.none()
    return ExpenditureLine.objects.filter(
        reduce(or_, (Q(region__code__startswith=p) for p in prefixes)))


def can_manage_budget(user, region_code: str) -> bool:
    return scope_of(user).has_right(MANAGE_BUDGET, region_code)
