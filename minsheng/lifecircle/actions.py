"""The only writers of the life circle: do_* functions, atomic and audited.

Recomputation and network imports are queued here (the worker runs services.compute and
services.import_and_compute); saving a siting proposal and turning it into a livelihood project
go through here, the project itself through projects.services.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _
from django_q.tasks import async_task

from minsheng.accounts import masking
from minsheng.accounts.models import AuditLog
from minsheng.lifecircle import access, engine, services
from minsheng.lifecircle.models import Proposal, Run
from minsheng.lifecircle.siting import Analysis
from minsheng.places.models import Compound, Facility, Organisation, Region, code_prefix
from minsheng.projects.actions import do_add_sub_item, do_create_project
from minsheng.projects.models import AREA_LEAD_FUNCTION, Project
from minsheng.projects.services import today

# Facility-category group → project area (projects.models.Area).
AREA_OF_GROUP = {"养老": "elderly", "教育": "education", "医疗卫生": "health", "文化": "culture",
                 "体育": "culture", "绿地": "environment", "公共管理": "urban", "商业": "urban",
                 "便民商业": "urban"}
# Project area → words in the name of the department that usually leads it.


class ProposalError(Exception):
    """Why a proposal cannot become a project; the message is shown on the page."""


@transaction.atomic
def do_start_run(user, district: Region) -> Run:
    """Queue a recomputation of the district's life circle (the worker cluster runs it; tests
    run it inline)."""
    if not access.can_recompute(user, district):
        raise PermissionDenied
    run = Run.objects.create(region=district, network=services.network_for(district),
                             created_by=user, message="排队等待计算")
    masking.log(user, AuditLog.Action.CREATE, run, region_code=district.code, detail="重新计算生活圈")
    # The queue is the ORM broker on this database: the task row commits with the run.
    async_task("minsheng.lifecircle.services.compute", run.pk, task_name=f"lifecircle-{run.pk}")
    run.refresh_from_db()
    return run


@transaction.atomic
def do_start_import(user, district: Region, path: str, *, with_places: bool) -> Run:
    """Queue: import an OSM extract's walking network (and, if asked, its compounds and
    facilities as a sample area) into the district, then recompute the life circle."""
    if not access.can_recompute(user, district):
        raise PermissionDenied
    run = Run.objects.create(region=district, network=services.network_for(district),
                             created_by=user, message="排队等待导入路网")
    masking.log(user, AuditLog.Action.IMPORT, run, region_code=district.code,
                detail=f"导入路网{'及小区、设施' if with_places else ''}：{path}")
    async_task("minsheng.lifecircle.services.import_and_compute", run.pk, path, with_places,
               task_name=f"lifecircle-import-{run.pk}")
    run.refresh_from_db()
    return run


@transaction.atomic
def do_save_proposal(user, analysis: Analysis, *, note: str) -> Proposal:
    """Save a siting analysis as a proposal of its region."""
    if not access.can_save(user, analysis.district):
        raise PermissionDenied
    a = analysis
    p = Proposal.objects.create(
        run=a.run, region=a.region, category=a.category, k=a.k, method=a.result.method,
        sites=[{k: s[k] for k in ("name", "lng", "lat", "kind", "ref", "covers", "compounds",
                                  "region", "compound_ids")} for s in a.sites],
        covered_before=a.before["population"], covered_after=a.after["population"],
        population=a.population, gap=float(a.result.gap), note=note[:300], created_by=user)
    masking.log(user, AuditLog.Action.CREATE, p, detail=f"选址方案：{a.category.name} {a.k} 处")
    return p


def lead_department(district: Region, area: str) -> Organisation | None:
    """The department whose function usually leads projects of `area`
    (projects.models.AREA_LEAD_FUNCTION), else the district's first department."""
    deps = Organisation.objects.filter(kind=Organisation.Kind.DEPARTMENT,
                                       region=district).order_by("pk")
    function = AREA_LEAD_FUNCTION.get(area)
    hit = deps.filter(function=function).first() if function else None
    return hit or deps.first()


def site_place(site: dict, district: Region) -> tuple[Region, Compound | None, Facility | None]:
    """Where a proposed site's sub-item belongs: the candidate's own place when it is a compound
    or facility, else the community of the nearest compound (or the district)."""
    compound = facility = None
    if site.get("kind") == "compound" and site.get("ref"):
        compound = Compound.objects.filter(pk=site["ref"]).select_related("region").first()
        if compound is not None:
            return compound.region, compound, None
    if site.get("kind") == "facility" and site.get("ref"):
        facility = Facility.objects.filter(pk=site["ref"]).select_related("region").first()
    prefix = code_prefix(district.code)
    near = list(Compound.objects.filter(region__code__startswith=prefix)
                .values_list("lng", "lat", "region_id"))
    if near:
        lng, lat = float(site["lng"]), float(site["lat"])
        d = engine.haversine_m(np.array([n[0] for n in near]), np.array([n[1] for n in near]),
                               lng, lat)
        region = Region.objects.get(code=near[int(np.argmin(d))][2])
        return region, compound, facility
    return district, compound, facility


@transaction.atomic
def do_proposal_to_project(user, proposal: Proposal) -> tuple[Project, bool]:
    """Turn a proposal into one (non-public) project of this year's plan, with a milestone and a
    sub-item per site. Returns the project and whether it was created now (False when the
    proposal had been converted already). Raises ProposalError for a missing plan or department
    and PermissionDenied without the right to manage the plan's projects."""
    district = access.district_of(proposal.region.code)
    if not access.can_convert(user, district):
        raise PermissionDenied
    locked = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if locked.project_id:
        return locked.project, False
    plan = access.current_plan(district)
    if plan is None:
        raise ProposalError(
            _("%(d)s还没有 %(y)s 年度民生计划，无法转为项目：请先在“民生项目”中建立本年度计划。")
            % {"d": district.name, "y": today().year})
    area = AREA_OF_GROUP.get(proposal.category.group, "other")
    lead = lead_department(district, area)
    if lead is None:
        raise ProposalError(_("%(d)s没有登记职能部门，无法指定牵头单位：请先在组织机构中添加。")
                            % {"d": district.name})
    p = proposal
    added = p.covered_after - p.covered_before
    name = _("新增%(cat)s%(k)s处（生活圈补缺）") % {"cat": p.category.name, "k": p.k}
    if Project.objects.filter(plan=plan, name=name).exists():
        name = _("%(name)s（方案 %(pk)s）") % {"name": name, "pk": p.pk}
    start = today()
    end = max(dt.date(plan.year, 12, 31), start)
    project = do_create_project(
        user, plan, name=name[:200], area=area, lead_department=lead,
        target=(_("新增%(cat)s%(k)s处，新增覆盖人口%(n)s人") % {
            "cat": p.category.name, "k": p.k, "n": added})[:300],
        target_quantity=Decimal(p.k), target_unit=_("处"), start_date=start, end_date=end,
        is_public=False,
        description=_("由生活圈选址方案 #%(pk)s 生成：%(note)s") % {"pk": p.pk, "note": p.note},
        milestones=[(_("建成投用"), end, Decimal(100))])
    for s in p.sites:
        region, compound, facility = site_place(s, district)
        do_add_sub_item(project, name=str(s.get("name") or _("新增网点"))[:200],
                        region=region, compound=compound, facility=facility)
    locked.project = project
    locked.save(update_fields=["project"])
    masking.log(user, AuditLog.Action.CREATE, p, fields="project",
                detail=f"选址方案转为民生项目 #{project.pk}：{project.name}")
    return project, True
