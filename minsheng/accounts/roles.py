"""Roles and what each may do. A right applies only inside the region of the membership that
grants it (see places/scope.py)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    DISTRICT_ADMIN = "district_admin", _("区级管理员")
    DEPARTMENT_STAFF = "department_staff", _("部门工作人员")
    STREET_STAFF = "street_staff", _("街道工作人员")
    COMMUNITY_STAFF = "community_staff", _("社区工作人员")
    GRID_WORKER = "grid_worker", _("网格员")
    PROPERTY_MANAGER = "property_manager", _("物业服务企业")
    MEDIATOR = "mediator", _("调解员")
    VIEWER = "viewer", _("查看者")
    RESIDENT = "resident", _("居民")


# Rights
EDIT_PLACES = "edit_places"  # create/update/import regions' places
VIEW_PERSONAL = "view_personal"  # unmask phone and ID numbers (each unmasking is audited)
# unmask the parties of the mediations one is assigned to as mediator, nothing else (audited)
VIEW_PARTIES = "view_parties"
EXPORT = "export"  # download lists as Excel/CSV/GeoJSON
MANAGE_USERS = "manage_users"
ADMIN_SITE = "admin_site"  # the back office (Django admin), still scoped
MANAGE_PROJECTS = "manage_projects"  # create plans and projects, import lists, approve progress
REPORT_PROGRESS = "report_progress"  # submit progress for the projects one's department leads
MANAGE_BUDGET = "manage_budget"  # import budget expenditure
VIEW_INDICATORS = "view_indicators"  # the indicator dashboard and the annual report, in scope
ENTER_DATA = "enter_data"  # fill in and submit the manual data sets (air quality, insurance …)
APPROVE_DATA = "approve_data"  # approve submitted data sets (locks them), or unlock them
MANAGE_REPORTS = "manage_reports"  # generate the annual report and edit its narrative
READ_REGION = "read_region"  # read the places of the membership's region (scope.prefixes)
SERVE_COMPOUNDS = "serve_compounds"  # read the compounds one's property company manages
VIEW_REGION_CASES = "view_region_cases"  # see every case in the region, not only one's own
HANDLE_CASES = "handle_cases"  # work on the cases one's organisation holds; staff case pages
SUPERVISE_CASES = "supervise_cases"  # act on and merge any case of the region
PATROL = "patrol"  # file cases found on patrol (巡查上报)
VIEW_ALL_PROJECTS = "view_all_projects"  # every project of the region's plans
VIEW_AREA_PROJECTS = "view_area_projects"  # projects with a sub-item in one's area
VIEW_BUDGET = "view_budget"  # the budget expenditure lines of the region
VIEW_CASE_STATS = "view_case_stats"  # 诉求统计: counts, rates, ranking and heat map of the region
VIEW_REGION_DISPUTES = "view_region_disputes"  # mediation and review records of the region
IMPORT_CASES = "import_cases"  # import the 12345 hotline's orders
PLAN_SERVICES = "plan_services"  # run the life circle's siting analysis and read its proposals
# 防返贫 monitoring (assistance/monitoring_access.py): see the monitored households of the region;
# record alerts, village and town steps and measures; run it for the district (import department
# lists, data matching, approval, removal reviews, thresholds)
VIEW_MONITORING = "view_monitoring"
RECORD_MONITORING = "record_monitoring"
MANAGE_MONITORING = "manage_monitoring"
# Property-service evaluation (governance/access.py): run it for the region (schemes, scores,
# publication); inspect the property companies' compounds of one's area on a phone
MANAGE_GOVERNANCE = "manage_governance"
INSPECT_COMPOUNDS = "inspect_compounds"

RIGHTS: dict[str, frozenset[str]] = {
    Role.DISTRICT_ADMIN: frozenset({EDIT_PLACES, VIEW_PERSONAL, EXPORT, MANAGE_USERS, ADMIN_SITE,
                                    MANAGE_PROJECTS, MANAGE_BUDGET, VIEW_INDICATORS,
                                    APPROVE_DATA, MANAGE_REPORTS, READ_REGION, VIEW_REGION_CASES,
                                    HANDLE_CASES, SUPERVISE_CASES, PATROL, VIEW_ALL_PROJECTS,
                                    VIEW_BUDGET, PLAN_SERVICES, VIEW_CASE_STATS,
                                    VIEW_REGION_DISPUTES, IMPORT_CASES, VIEW_MONITORING,
                                    RECORD_MONITORING, MANAGE_MONITORING,
                                    MANAGE_GOVERNANCE, INSPECT_COMPOUNDS}),
    Role.DEPARTMENT_STAFF: frozenset({EXPORT, REPORT_PROGRESS, VIEW_INDICATORS, ENTER_DATA,
                                      READ_REGION, HANDLE_CASES, VIEW_BUDGET, PLAN_SERVICES,
                                      VIEW_CASE_STATS}),
    Role.STREET_STAFF: frozenset({EDIT_PLACES, VIEW_PERSONAL, EXPORT, ADMIN_SITE,
                                  VIEW_INDICATORS, READ_REGION, VIEW_REGION_CASES, HANDLE_CASES,
                                  SUPERVISE_CASES, PATROL, VIEW_AREA_PROJECTS, PLAN_SERVICES,
                                  VIEW_CASE_STATS, VIEW_REGION_DISPUTES, IMPORT_CASES,
                                  VIEW_MONITORING, RECORD_MONITORING, INSPECT_COMPOUNDS}),
    Role.COMMUNITY_STAFF: frozenset({EDIT_PLACES, VIEW_PERSONAL, EXPORT, VIEW_INDICATORS,
                                     READ_REGION, VIEW_REGION_CASES, HANDLE_CASES, PATROL,
                                     VIEW_AREA_PROJECTS, PLAN_SERVICES, VIEW_MONITORING,
                                     RECORD_MONITORING, INSPECT_COMPOUNDS}),
    Role.GRID_WORKER: frozenset({VIEW_PERSONAL, READ_REGION, VIEW_REGION_CASES, HANDLE_CASES,
                                 PATROL, VIEW_AREA_PROJECTS, VIEW_MONITORING,
                                 RECORD_MONITORING}),
    Role.PROPERTY_MANAGER: frozenset({SERVE_COMPOUNDS, HANDLE_CASES}),
    Role.MEDIATOR: frozenset({VIEW_PARTIES, READ_REGION, HANDLE_CASES}),
    Role.VIEWER: frozenset({EXPORT, VIEW_INDICATORS, READ_REGION, VIEW_REGION_CASES,
                            HANDLE_CASES, VIEW_ALL_PROJECTS, VIEW_BUDGET, PLAN_SERVICES,
                            VIEW_CASE_STATS, VIEW_REGION_DISPUTES}),
    Role.RESIDENT: frozenset({READ_REGION}),
}

# Rights a department's staff hold because of what the department does (places.Organisation's
# `function`), over the membership's region, beside those of their role. Rural revitalisation
# (乡村振兴) runs the 防返贫 monitoring; since the 2023 institutional reform the district's
# 乡村振兴局 is part of the 农业农村局, whose function is "agriculture". Asked by
# assistance/monitoring_access.py.
DEPARTMENT_FUNCTION_RIGHTS: dict[str, frozenset[str]] = {
    "agriculture": frozenset({VIEW_MONITORING, RECORD_MONITORING, MANAGE_MONITORING,
                              VIEW_PERSONAL}),
}
