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
    EMPLOYER = "employer", _("用人单位")


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
# call residents back after their case was handled (回访) and record their rating; never on a case
# one's own organisation holds (cases/workflow.py), and send the rating link by SMS
CALL_BACK = "call_back"
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
# Social assistance (assistance/). A department's membership grants these only when the
# department's function is civil affairs (民政): see assistance/access.py.
VIEW_HOUSEHOLDS = "view_households"  # the household registry of the region (personal, masked)
REGISTER_HOUSEHOLDS = "register_households"  # register households, draft and submit changes
APPROVE_HOUSEHOLD_CHANGES = "approve_household_changes"  # approve and apply change requests
REVIEW_ASSISTANCE = "review_assistance"  # 街道: review applications, run the 公示, objections
DECIDE_ASSISTANCE = "decide_assistance"  # 区民政局: standards, enrolment decisions, payments
VIEW_ASSISTANCE_STATS = "view_assistance_stats"  # aggregates only (cells under 5 suppressed)
# employment services (employment/access.py): held through a department, MANAGE_EMPLOYMENT counts
# only for a human-resources department (Organisation.function), never for other departments
MANAGE_EMPLOYMENT = "manage_employment"  # the employment service: every employment record
REGISTER_EMPLOYMENT = "register_employment"  # register (un)employment of the region's residents
VIEW_EMPLOYMENT = "view_employment"  # read the region's employment records and figures
EMPLOYER_PORTAL = "employer_portal"  # an employer: its own vacancies and the referrals to them
# Property-service evaluation (governance/access.py): run it for the region (schemes, scores,
# publication); inspect the property companies' compounds of one's area on a phone
MANAGE_GOVERNANCE = "manage_governance"
INSPECT_COMPOUNDS = "inspect_compounds"
# the street office approves the owners' and management committees' elections of its street
# (the 法定程序, governance/committees.py): held by street staff only, granted by the district's
# governance managers (accounts/granting.COVERS)
APPROVE_ELECTIONS = "approve_elections"
# The rights that read personal data unmasked: whoever holds one anywhere signs in with a second
# factor when two-factor sign-in is enforced (accounts/two_factor.py)
PERSONAL_DATA_RIGHTS = frozenset({VIEW_PERSONAL, VIEW_PARTIES})

RIGHTS: dict[str, frozenset[str]] = {
    Role.DISTRICT_ADMIN: frozenset({EDIT_PLACES, VIEW_PERSONAL, EXPORT, MANAGE_USERS, ADMIN_SITE,
                                    MANAGE_PROJECTS, MANAGE_BUDGET, VIEW_INDICATORS,
                                    APPROVE_DATA, MANAGE_REPORTS, READ_REGION, VIEW_REGION_CASES,
                                    HANDLE_CASES, SUPERVISE_CASES, PATROL, CALL_BACK,
                                    VIEW_ALL_PROJECTS,
                                    VIEW_BUDGET, PLAN_SERVICES, VIEW_CASE_STATS,
                                    VIEW_REGION_DISPUTES, IMPORT_CASES, VIEW_MONITORING,
                                    RECORD_MONITORING, MANAGE_MONITORING,
                                    # held so that it can grant street and community roles
                                    # (accounts/granting.py); a department membership that is
                                    # not civil affairs reads no household (assistance/access.py)
                                    VIEW_HOUSEHOLDS, REGISTER_HOUSEHOLDS,
                                    APPROVE_HOUSEHOLD_CHANGES, REVIEW_ASSISTANCE,
                                    VIEW_ASSISTANCE_STATS, VIEW_EMPLOYMENT,
                                    # held so that the district grants the roles that carry them;
                                    # employment/access.py counts MANAGE_EMPLOYMENT only through
                                    # a human-resources department, EMPLOYER_PORTAL only through
                                    # an employer's organisation
                                    REGISTER_EMPLOYMENT, MANAGE_EMPLOYMENT, EMPLOYER_PORTAL,
                                    MANAGE_GOVERNANCE, INSPECT_COMPOUNDS}),
    Role.DEPARTMENT_STAFF: frozenset({EXPORT, REPORT_PROGRESS, VIEW_INDICATORS, ENTER_DATA,
                                      READ_REGION, HANDLE_CASES, VIEW_BUDGET, PLAN_SERVICES,
                                      VIEW_CASE_STATS}),
    Role.STREET_STAFF: frozenset({EDIT_PLACES, VIEW_PERSONAL, EXPORT, ADMIN_SITE,
                                  VIEW_INDICATORS, READ_REGION, VIEW_REGION_CASES, HANDLE_CASES,
                                  SUPERVISE_CASES, PATROL, CALL_BACK, VIEW_AREA_PROJECTS,
                                  PLAN_SERVICES,
                                  VIEW_CASE_STATS, VIEW_REGION_DISPUTES, IMPORT_CASES,
                                  VIEW_MONITORING, RECORD_MONITORING,
                                  VIEW_HOUSEHOLDS, REGISTER_HOUSEHOLDS, APPROVE_HOUSEHOLD_CHANGES,
                                  REVIEW_ASSISTANCE, VIEW_ASSISTANCE_STATS,
                                  VIEW_EMPLOYMENT, REGISTER_EMPLOYMENT, INSPECT_COMPOUNDS,
                                  APPROVE_ELECTIONS}),
    Role.COMMUNITY_STAFF: frozenset({EDIT_PLACES, VIEW_PERSONAL, EXPORT, VIEW_INDICATORS,
                                     READ_REGION, VIEW_REGION_CASES, HANDLE_CASES, PATROL,
                                     CALL_BACK, VIEW_AREA_PROJECTS, PLAN_SERVICES, VIEW_MONITORING,
                                     RECORD_MONITORING, VIEW_HOUSEHOLDS,
                                     REGISTER_HOUSEHOLDS, VIEW_ASSISTANCE_STATS,
                                     REGISTER_EMPLOYMENT, INSPECT_COMPOUNDS}),
    Role.GRID_WORKER: frozenset({VIEW_PERSONAL, READ_REGION, VIEW_REGION_CASES, HANDLE_CASES,
                                 PATROL, VIEW_AREA_PROJECTS, VIEW_MONITORING,
                                 RECORD_MONITORING, VIEW_HOUSEHOLDS,
                                 REGISTER_HOUSEHOLDS, VIEW_ASSISTANCE_STATS}),
    Role.PROPERTY_MANAGER: frozenset({SERVE_COMPOUNDS, HANDLE_CASES}),
    Role.MEDIATOR: frozenset({VIEW_PARTIES, READ_REGION, HANDLE_CASES}),
    Role.VIEWER: frozenset({EXPORT, VIEW_INDICATORS, READ_REGION, VIEW_REGION_CASES,
                            HANDLE_CASES, VIEW_ALL_PROJECTS, VIEW_BUDGET, PLAN_SERVICES,
                            VIEW_CASE_STATS, VIEW_REGION_DISPUTES, VIEW_ASSISTANCE_STATS,
                            VIEW_EMPLOYMENT}),
    Role.RESIDENT: frozenset({READ_REGION, VIEW_ASSISTANCE_STATS}),
    Role.EMPLOYER: frozenset({EMPLOYER_PORTAL}),
}

# Rights a department's staff hold because of what the department does (places.Organisation's
# `function`), over the membership's region, beside those of their role:
# - 民政 (civil affairs) runs social assistance: the registry, decisions and payments;
# - 人力资源和社会保障 is the employment service;
# - rural revitalisation (乡村振兴) runs the 防返贫 monitoring; since the 2023 institutional reform
#   the district's 乡村振兴局 is part of the 农业农村局, whose function is "agriculture".
DEPARTMENT_FUNCTION_RIGHTS: dict[str, frozenset[str]] = {
    "civil_affairs": frozenset({VIEW_HOUSEHOLDS, APPROVE_HOUSEHOLD_CHANGES, DECIDE_ASSISTANCE,
                                VIEW_ASSISTANCE_STATS}),
    "human_resources": frozenset({MANAGE_EMPLOYMENT}),
    "agriculture": frozenset({VIEW_MONITORING, RECORD_MONITORING, MANAGE_MONITORING,
                              VIEW_PERSONAL}),
}

# Rights that a membership through a department holds only when the department has this
# function, whatever its role says: the district admin holds the assistance and employment rights
# so that it may grant the roles carrying them (accounts/granting.py), but as a member of the
# 民生办 it reads no household and is not the employment service.
FUNCTION_GATED: dict[str, str] = {
    **dict.fromkeys((VIEW_HOUSEHOLDS, REGISTER_HOUSEHOLDS, APPROVE_HOUSEHOLD_CHANGES, REVIEW_ASSISTANCE, DECIDE_ASSISTANCE, VIEW_ASSISTANCE_STATS), "civil_affairs"),
    MANAGE_EMPLOYMENT: "human_resources",
}


def rights_of(role: str, department_function: str | None = None) -> frozenset[str]:
    """What one membership may do: its role's rights, and, through a department (whose function
    is given, "" when it has none), the rights of that function, less the rights gated to
    another function. The one rule; places.scope asks it for every membership."""
    rights = RIGHTS.get(role, frozenset())
    if department_function is None:
        return rights
    rights = rights | DEPARTMENT_FUNCTION_RIGHTS.get(department_function, frozenset())
    return frozenset(r for r in rights
                     if FUNCTION_GATED.get(r, department_function) == department_function)
