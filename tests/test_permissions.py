"""The permission matrix, generated from the URL configuration: every URL pattern × every demo
account (and anonymous) × GET and an empty POST.

- No answer is a 5xx.
- Anonymous gets a login redirect, 401, 403, 404 or 405, except on the public allow-list.
- A URL with an object argument is filled with one object inside the account's scope and one
  outside it (picked through the apps' access functions, preferring 平城区's for 安次区's
  accounts): the outside one is 403/404 (405 for a POST to a read-only view) or a login redirect,
  never 200; a reader's own object opens (200) on its detail pages.

A new URL whose arguments the matrix cannot fill fails `test_every_url_pattern_can_be_filled`
(and the matrix) with a message saying where to add it, so the matrix stays closed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from minsheng.accounts import roles
from minsheng.assistance import monitoring_access
from minsheng.assistance.access import (
    changes_for,
    cycles_for,
    enrolments_for,
    households_for,
    reviews_for,
)
from minsheng.assistance.models import (
    ChangeRequest,
    Cycle,
    Enrolment,
    Household,
    PaymentBatch,
    Person,
    Review,
)
from minsheng.assistance.monitoring_models import Alert, MonitoringCase, MonitoringThreshold
from minsheng.cases import workflow
from minsheng.cases.access import cases_for
from minsheng.cases.models import Attachment, Case, CaseType
from minsheng.employment import access as employment_access
from minsheng.employment.models import (
    Course,
    Employer,
    Employment,
    Event,
    Internship,
    Referral,
    Unemployment,
    Vacancy,
)
from minsheng.employment.models import Enrolment as TrainingEnrolment
from minsheng.governance import access as governance_access
from minsheng.governance import actions as governance_actions
from minsheng.governance.models import (
    Cadre,
    CommitteeMember,
    Election,
    Inspection,
    Scheme,
    SchemeItem,
    Scorecard,
    Survey,
    Takeover,
    TakeoverItem,
    Task,
    TaskList,
)
from minsheng.indicators.models import DataSet, Indicator
from minsheng.lifecircle.access import access_proposal_by_id, access_run_by_id
from minsheng.lifecircle.models import Proposal, Run
from minsheng.places import scope
from minsheng.places.models import Compound, Facility, Grid, Organisation, Region
from minsheng.projects.access import projects_for
from minsheng.projects.models import ChecklistItem, Plan, ProgressPhoto, ProgressReport, Project

pytestmark = pytest.mark.django_db

ACCOUNTS = ["district", "street1", "street2", "community1", "grid1", "property1", "mediator1",
            "dept1", "civil1", "viewer1", "resident1", "revival1", "dept-housing",
            "employ1", "employer1", "admin",
            None]  # None: anonymous
OTHER = "140213"  # 平城区: outside every 安次区 account

# Open to anyone on purpose (docs/architecture.md, "Deliberate public reads").
PUBLIC = {
    "web:login", "web:logout", "web:healthz", "web:readyz", "set_language",
    "cases:new", "cases:compound-search", "cases:map-data", "cases:track", "cases:track-photo",
    "cases:public",  # a public case's public facts (masked) and its "me too" (附议)
    "projects:public", "projects:public-year", "api-schema", "api-not-found", "employment:public",
    "projects:photo", "cases:public-photo",  # public photos of public projects and cases only
    "governance:ranking", "governance:survey",
    "open311-root", "open311-discovery", "open311-services", "open311-service",
    "open311-requests", "open311-request", "open311-token", "open311:*",
    "device-alarms",  # devices authenticate with their organisation's key, never a session
    "device-heartbeats",  # likewise
    "device-openapi",  # the device intake's OpenAPI document (no data)
}
# --- the rights each URL needs (accounts/roles.py) --------------------------------------------
# url name (or "namespace:*" for every name of a namespace without its own entry) → the rights of
# which an account must hold at least one, over some region, to be let in; SIGNED_IN: any account
# (a list filtered to the account's scope). An account holding none of them is refused (login
# redirect, 403, 404 or 405) on GET and POST, for an exact entry, and for a namespace's entry on
# the URLs with an object (a namespace's lists may answer an empty list); an account holding one
# over the object's region (or anywhere, for a page without an object) opens an exact entry's
# GET (not 403/404). A URL name that is neither here nor in PUBLIC
# fails test_every_url_declares_its_right: a new URL declares what it needs, in this one table.
SIGNED_IN = frozenset({"*signed-in*"})
NEEDS: dict[str, frozenset[str]] = {
    "web:home": SIGNED_IN, "api-root": SIGNED_IN, "cases:mine": SIGNED_IN,
    "cases:notifications-read": SIGNED_IN, "places:switch-region": SIGNED_IN,
    # one's own second factor (accounts/two_factor): every signed-in account, as itself
    "accounts:*": SIGNED_IN,
    "admin:*": frozenset({roles.ADMIN_SITE}),
    "places:*": frozenset({roles.READ_REGION, roles.SERVE_COMPOUNDS}),
    "places:import": frozenset({roles.EDIT_PLACES}),
    "places:compound-new": frozenset({roles.EDIT_PLACES}),
    "places:export": frozenset({roles.EXPORT}),
    # the API's lists are filtered to the scope (empty without a reading right)
    **dict.fromkeys(("region-list", "compound-list", "facility-list", "organisation-list",
                     "grid-list"), SIGNED_IN),
    **dict.fromkeys(("region-detail", "compound-detail", "facility-detail", "facility-personal",
                     "organisation-detail", "grid-detail", "grid-personal"),
                    frozenset({roles.READ_REGION, roles.SERVE_COMPOUNDS})),
    # personal fields in clear (accounts/masking.can_unmask)
    **dict.fromkeys(("compound-personal", "organisation-personal"),
                    frozenset({roles.VIEW_PERSONAL})),
    "cases:*": frozenset({roles.HANDLE_CASES, roles.VIEW_REGION_CASES, roles.SUPERVISE_CASES,
                          roles.PATROL, roles.IMPORT_CASES}),
    "cases:patrol": frozenset({roles.PATROL}),
    "casestats:*": frozenset({roles.VIEW_CASE_STATS, roles.IMPORT_CASES,
                              roles.VIEW_REGION_DISPUTES, roles.HANDLE_CASES}),
    "casestats:stats": frozenset({roles.VIEW_CASE_STATS}),
    "projects:*": frozenset({roles.VIEW_ALL_PROJECTS, roles.VIEW_AREA_PROJECTS,
                             roles.REPORT_PROGRESS, roles.MANAGE_PROJECTS, roles.VIEW_BUDGET,
                             roles.MANAGE_BUDGET}),
    "lifecircle:*": frozenset({roles.PLAN_SERVICES, roles.READ_REGION, roles.SERVE_COMPOUNDS}),
    "lifecircle:siting": frozenset({roles.PLAN_SERVICES}),
    "indicators:*": frozenset({roles.VIEW_INDICATORS, roles.ENTER_DATA, roles.APPROVE_DATA}),
    "indicators:dashboard": frozenset({roles.VIEW_INDICATORS}),
    "reports:*": frozenset({roles.VIEW_INDICATORS, roles.MANAGE_REPORTS}),
    "monitoring:*": frozenset({roles.VIEW_MONITORING, roles.RECORD_MONITORING,
                               roles.MANAGE_MONITORING}),
    **dict.fromkeys(("monitoring:threshold-new", "monitoring:threshold-edit"),
                    frozenset({roles.MANAGE_MONITORING})),
    "assistance:*": frozenset({roles.VIEW_HOUSEHOLDS, roles.REGISTER_HOUSEHOLDS,
                               roles.APPROVE_HOUSEHOLD_CHANGES, roles.REVIEW_ASSISTANCE,
                               roles.DECIDE_ASSISTANCE, roles.VIEW_ASSISTANCE_STATS}),
    "employment:*": frozenset({roles.MANAGE_EMPLOYMENT, roles.REGISTER_EMPLOYMENT,
                               roles.VIEW_EMPLOYMENT, roles.EMPLOYER_PORTAL}),
    "governance:*": frozenset({roles.MANAGE_GOVERNANCE, roles.INSPECT_COMPOUNDS,
                               roles.SERVE_COMPOUNDS}),
    # The pages without an object, each with the right its view asks for (its access function),
    # so a holder is let in and everyone else refused. A namespace's entry stays for pages that
    # need a parameter to answer (export of one scheme, report download) or take only POST, and
    # for pages that need two things at once: the network upload (EDIT_PLACES over the whole
    # district), the project export and briefing (EXPORT and a plan one reads), the case list
    # (a resident is sent on to their own cases).
    **dict.fromkeys(("assistance:overview",),
                    frozenset({roles.VIEW_HOUSEHOLDS, roles.VIEW_ASSISTANCE_STATS})),
    **dict.fromkeys(("assistance:households", "assistance:reviews"),
                    frozenset({roles.VIEW_HOUSEHOLDS})),
    **dict.fromkeys(("assistance:household-new", "assistance:import", "assistance:template"),
                    frozenset({roles.REGISTER_HOUSEHOLDS})),
    **dict.fromkeys(("assistance:standards", "assistance:cycles"),
                    frozenset({roles.DECIDE_ASSISTANCE})),
    # monitoring figures are aggregates over one's own scope; thresholds are public rules
    **dict.fromkeys(("monitoring:dashboard", "monitoring:thresholds"), SIGNED_IN),
    "monitoring:alerts": frozenset({roles.VIEW_MONITORING}),
    "monitoring:alert-new": frozenset({roles.RECORD_MONITORING}),
    **dict.fromkeys(("monitoring:import", "monitoring:template"),
                    frozenset({roles.MANAGE_MONITORING})),
    **dict.fromkeys(("governance:surveys", "governance:task-template"),
                    frozenset({roles.MANAGE_GOVERNANCE})),
    **dict.fromkeys(("governance:inspect", "governance:registry"),
                    frozenset({roles.MANAGE_GOVERNANCE, roles.INSPECT_COMPOUNDS})),
    "projects:list": SIGNED_IN,
    "projects:import": frozenset({roles.MANAGE_PROJECTS}),
    "projects:budget": frozenset({roles.VIEW_BUDGET, roles.MANAGE_BUDGET}),
    **dict.fromkeys(("lifecircle:overview", "lifecircle:map-data"), SIGNED_IN),
    "cases:queue": SIGNED_IN,
    **dict.fromkeys(("casestats:heat", "casestats:figures"), frozenset({roles.VIEW_CASE_STATS})),
    **dict.fromkeys(("casestats:import", "casestats:template"),
                    frozenset({roles.IMPORT_CASES})),
    **dict.fromkeys(("casestats:export", "indicators:export"), frozenset({roles.EXPORT})),
    # 零发案 (cases/incidents.py): figures for who reads case statistics or enters or approves
    # data; the police's returns imported by who enters or approves data for the whole district,
    # approved (the return's id in the POST) by who approves data there, never its importer
    "casestats:incidents": frozenset({roles.VIEW_CASE_STATS, roles.ENTER_DATA,
                                      roles.APPROVE_DATA}),
    **dict.fromkeys(("casestats:incidents-import", "casestats:incidents-template"),
                    frozenset({roles.ENTER_DATA, roles.APPROVE_DATA})),
    "casestats:incidents-approve": frozenset({roles.APPROVE_DATA}),
    # smart devices (cases/devices_views.py): as access.devices_for gives them, the compounds of
    # the regions where one reads every case and the devices one's organisation operates
    "casestats:devices": frozenset({roles.VIEW_REGION_CASES, roles.HANDLE_CASES}),
    "indicators:entry": frozenset({roles.ENTER_DATA, roles.APPROVE_DATA}),
    "reports:annual": frozenset({roles.VIEW_INDICATORS}),
    **dict.fromkeys(("employment:import", "employment:template"),
                    frozenset({roles.MANAGE_EMPLOYMENT})),
    "employment:register": frozenset({roles.MANAGE_EMPLOYMENT, roles.REGISTER_EMPLOYMENT}),
    **dict.fromkeys(("employment:employers", "employment:events", "employment:internships",
                     "employment:training", "employment:export"),
                    frozenset({roles.MANAGE_EMPLOYMENT, roles.REGISTER_EMPLOYMENT,
                               roles.VIEW_EMPLOYMENT})),
    **dict.fromkeys(("employment:vacancies", "employment:referrals"),
                    frozenset({roles.MANAGE_EMPLOYMENT, roles.REGISTER_EMPLOYMENT,
                               roles.VIEW_EMPLOYMENT, roles.EMPLOYER_PORTAL})),
    "indicators:detail": frozenset({roles.VIEW_INDICATORS}),
    **dict.fromkeys(("governance:index", "governance:takeovers"),
                    frozenset({roles.MANAGE_GOVERNANCE, roles.INSPECT_COMPOUNDS,
                               roles.SERVE_COMPOUNDS})),
    **dict.fromkeys(("places:compounds", "places:facilities", "places:organisations",
                     "places:grids", "places:map", "places:map-data", "places:template"),
                    SIGNED_IN),
    # a compound's committee, elections and cadres (governance/committee_views.py): read where
    # one manages or inspects, recorded by who edits the compound's places, members' phones in
    # clear for who unmasks personal data there, an election approved by its street only
    "governance:registry-committee": frozenset({roles.MANAGE_GOVERNANCE,
                                                roles.INSPECT_COMPOUNDS}),
    "governance:registry-committee-reveal": frozenset({roles.VIEW_PERSONAL}),
    **dict.fromkeys(("governance:election-new", "governance:cadre-new",
                     "governance:election-submit", "governance:cadre-end",
                     "governance:election-edit", "governance:member-end"),
                    frozenset({roles.EDIT_PLACES})),
    # approved, or sent back to the community with a reason, by the compound's street only
    **dict.fromkeys(("governance:election-approve", "governance:election-return"),
                    frozenset({roles.APPROVE_ELECTIONS})),
    # the district defines its evaluation schemes
    **dict.fromkeys(("governance:scheme-new", "governance:scheme-edit"),
                    frozenset({roles.MANAGE_GOVERNANCE})),
    # and sets up its takeovers: a new one, its items (page and import), the import's template;
    # the company and the street read a takeover (governance:takeover) but do not change it
    **dict.fromkeys(("governance:takeover-new", "governance:takeover-template",
                     "governance:takeover-edit", "governance:takeover-import"),
                    frozenset({roles.MANAGE_GOVERNANCE})),
}
EVERY_RIGHT = frozenset(v for k, v in vars(roles).items() if k.isupper() and isinstance(v, str))


def needs(name: str) -> frozenset[str] | None:
    """The rights a URL name needs (its own entry, else its namespace's), None if undeclared."""
    if name in NEEDS:
        return NEEDS[name]
    return NEEDS.get(name.rsplit(":", 1)[0] + ":*") if ":" in name else None


def _holds(user, rights: frozenset[str], code: str | None = None) -> bool:
    if rights == SIGNED_IN:
        return user is not None
    s = scope.scope_of(user)
    return any(s.has_right(r, code) for r in rights)


# The back office: only its front page and the app index pages (the rest is Django's own).
ADMIN_KEPT = {"admin:index", "admin:app_list"}
SKIPPED_PREFIXES = ("i18n/", "static/", "media/")

# (url name, argument) → kind of object, filled inside and outside the account's scope.
OBJECT_ARGS = {
    ("places:region", "code"): "region",
    ("places:compound", "pk"): "compound",
    ("places:compound-edit", "pk"): "compound",
    ("places:compound-reveal", "pk"): "compound",
    ("lifecircle:compound", "pk"): "compound",
    ("lifecircle:poster", "pk"): "compound",
    ("places:facility", "pk"): "facility",
    ("lifecircle:catchment", "facility_id"): "facility",
    ("places:organisation", "pk"): "organisation",
    ("cases:detail", "pk"): "case",
    ("cases:reveal", "pk"): "case",
    ("cases:act", "pk"): "case",
    ("casestats:mediation", "pk"): "case",
    ("casestats:agreement", "pk"): "case",
    ("casestats:review", "pk"): "case",
    ("cases:photo", "pk"): "attachment",
    ("cases:public-photo", "pk"): "attachment",
    ("projects:photo", "pk"): "progressphoto",
    ("projects:detail", "pk"): "project",
    ("projects:report", "pk"): "project",
    ("projects:review", "report_id"): "progress",
    ("projects:checklist", "item_id"): "checklist",
    ("lifecircle:run-status", "pk"): "run",
    ("lifecircle:proposal", "pk"): "proposal",
    ("lifecircle:to-project", "pk"): "proposal",
    ("indicators:entry_form", "region"): "region",
    ("indicators:entry_xlsx", "region"): "region",
    ("indicators:entry_upload", "region"): "region",
    ("region-detail", "pk"): "region",
    ("compound-detail", "pk"): "compound",
    ("compound-personal", "pk"): "compound",
    ("facility-detail", "pk"): "facility",
    ("facility-personal", "pk"): "facility",
    ("organisation-detail", "pk"): "organisation",
    ("organisation-personal", "pk"): "organisation",
    ("grid-detail", "pk"): "grid",
    ("grid-personal", "pk"): "grid",
    ("monitoring:case", "pk"): "monitoring_case",
    ("monitoring:act", "pk"): "monitoring_case",
    ("monitoring:alert", "pk"): "alert",
    ("monitoring:threshold-edit", "pk"): "threshold",
    ("assistance:household", "pk"): "household",
    ("assistance:household-reveal", "pk"): "household",
    ("assistance:change-new", "pk"): "household",
    ("assistance:assess", "pk"): "household",
    ("assistance:apply", "pk"): "household",
    ("assistance:grievance", "pk"): "household",
    ("assistance:enrolment", "pk"): "enrolment",
    ("assistance:enrolment-act", "pk"): "enrolment",
    ("assistance:review-done", "pk"): "review",
    ("assistance:cycle", "pk"): "cycle",
    ("assistance:cycle-act", "pk"): "cycle",
    ("assistance:batch-file", "pk"): "batch",
    ("assistance:reconcile", "pk"): "batch",
    ("assistance:change", "pk"): "change",
    ("assistance:change-act", "pk"): "change",
    ("employment:registration", "pk"): "unemployment",
    ("employment:reveal", "pk"): "unemployment",
    ("employment:employed", "pk"): "unemployment",
    ("employment:end", "pk"): "unemployment",
    ("employment:refer", "pk"): "unemployment",
    ("employment:event", "pk"): "event",
    ("employment:referral", "pk"): "referral",
    ("employment:course", "pk"): "course",
    ("employment:leave", "pk"): "job",
    ("employment:employer", "pk"): "employer",
    ("employment:internship-end", "pk"): "internship",
    ("employment:finish", "pk"): "training_enrolment",
    ("governance:scorecard", "pk"): "scorecard",
    ("governance:object", "pk"): "scorecard",
    ("governance:decide", "pk"): "scorecard",
    ("governance:inspection", "pk"): "inspection",
    ("governance:photo", "pk"): "inspection",
    ("governance:task-list", "pk"): "task_list",
    ("governance:task", "pk"): "task",
    ("governance:task-submit", "pk"): "task",
    ("governance:task-verify", "pk"): "task",
    ("governance:takeover", "pk"): "takeover",
    ("governance:takeover-act", "pk"): "takeover_item",
    ("governance:takeover-edit", "pk"): "takeover",
    ("governance:takeover-import", "pk"): "takeover",
    ("governance:registry-compound", "pk"): "compound",
    ("governance:survey-poster", "pk"): "survey",
    ("governance:registry-committee", "pk"): "compound",
    ("governance:registry-committee-reveal", "pk"): "compound",
    ("governance:election-new", "pk"): "compound",
    ("governance:cadre-new", "pk"): "compound",
    ("governance:election-submit", "pk"): "election",
    ("governance:election-approve", "pk"): "election",
    ("governance:election-edit", "pk"): "election",
    ("governance:election-return", "pk"): "election",
    ("governance:member-end", "pk"): "member",
    ("governance:cadre-end", "pk"): "cadre",
    ("governance:scheme-edit", "pk"): "scheme",
}
# Pages whose GET a reader of the object opens.
READ_PAGES = {"places:region", "places:compound", "places:facility", "places:organisation",
              "cases:detail", "projects:detail", "monitoring:case", "monitoring:alert",
              "assistance:household", "assistance:change", "employment:registration",
              "employment:event", "employment:course", "employment:employer",
              "governance:scorecard", "governance:inspection", "governance:task-list",
              "governance:task", "governance:takeover", "governance:survey-poster",
              "governance:scheme-edit"}
# (url name or "*", argument) → fixed values (no scope in them). Callables take the objects.
VALUES = {
    ("*", "fmt"): lambda o: "json",
    ("places:template", "fmt"): lambda o: "xlsx",
    ("places:export", "fmt"): lambda o: "xlsx",
    ("*", "format"): lambda o: "json",
    ("places:template", "kind"): lambda o: "compounds",
    ("places:export", "kind"): lambda o: "compounds",
    ("places:map-data", "layer"): lambda o: "compounds",
    ("cases:act", "action"): lambda o: "accept",
    ("monitoring:act", "action"): lambda o: "reveal",
    ("cases:track", "token"): lambda o: o.token,
    ("cases:public", "number"): lambda o: o.public_number,
    ("cases:track-photo", "token"): lambda o: o.token,
    ("cases:track-photo", "pk"): lambda o: o.photo_pk,
    ("open311-token", "token"): lambda o: o.token,
    ("open311-service", "code"): lambda o: o.case_type,
    ("open311-request", "sid"): lambda o: o.case_number,
    ("open311:*", "path"): lambda o: "nothing-here.json",
    ("api-not-found", "rest"): lambda o: "nothing-here/",
    ("projects:public-year", "region_code"): lambda o: "131002000000",
    ("projects:public-year", "year"): lambda o: o.year,
    ("indicators:detail", "code"): lambda o: o.indicator,
    ("indicators:entry_form", "dataset"): lambda o: o.dataset,
    ("indicators:entry_xlsx", "dataset"): lambda o: o.dataset,
    ("indicators:entry_upload", "dataset"): lambda o: o.dataset,
    ("indicators:entry_form", "period"): lambda o: str(o.year - 1),
    ("indicators:entry_xlsx", "period"): lambda o: str(o.year - 1),
    ("indicators:entry_upload", "period"): lambda o: str(o.year - 1),
    ("admin:app_list", "app_label"): lambda o: "places",
    ("assistance:batch-file", "fmt"): lambda o: "csv",
    ("governance:photo", "n"): lambda o: 0,
    ("governance:survey", "token"): lambda o: o.survey_token,
}


@dataclass
class Pattern:
    route: str
    name: str  # "namespace:name" ("open311:*" for the unnamed catch-all)
    args: list[str] = field(default_factory=list)


def _args_of(p: URLPattern) -> list[str]:
    return list(p.pattern.regex.groupindex)


def patterns() -> list[Pattern]:
    """Every URL pattern of the site, namespaced includes walked, admin internals skipped."""
    out: list[Pattern] = []

    def walk(items, prefix: str, ns: str | None) -> None:
        for p in items:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern),
                     f"{ns}:{p.namespace}" if ns and p.namespace else (p.namespace or ns))
                continue
            route = prefix + str(p.pattern)
            if route.startswith(SKIPPED_PREFIXES):
                continue
            if p.name:
                name = f"{ns}:{p.name}" if ns else p.name
            elif route.startswith("open311/"):
                name = "open311:*"
            else:
                name = f"?{route}"
            if route.startswith("admin/") and name not in ADMIN_KEPT:
                continue
            out.append(Pattern(route, name, _args_of(p)))

    walk(get_resolver().url_patterns, "", None)
    return out


def unfillable(p: Pattern) -> list[str]:
    return [a for a in p.args if (p.name, a) not in OBJECT_ARGS and (p.name, a) not in VALUES
            and ("*", a) not in VALUES]


# --- the objects ---------------------------------------------------------------------------

@dataclass
class Objects:
    token: str
    photo_pk: int
    case_type: str
    case_number: str
    indicator: str
    dataset: str
    year: int
    survey_token: str = ""
    public_number: str = ""


CANDIDATES = {
    "region": lambda: Region.objects.exclude(level="province").order_by("code"),
    "compound": lambda: Compound.objects.order_by("pk"),
    "facility": lambda: Facility.objects.order_by("pk"),
    "organisation": lambda: Organisation.objects.order_by("pk"),
    "grid": lambda: Grid.objects.order_by("pk"),
    "case": lambda: Case.objects.order_by("pk"),
    "attachment": lambda: Attachment.objects.order_by("pk"),
    "project": lambda: Project.objects.order_by("pk"),
    "progress": lambda: ProgressReport.objects.order_by("pk"),
    "progressphoto": lambda: ProgressPhoto.objects.order_by("pk"),
    "checklist": lambda: ChecklistItem.objects.order_by("pk"),
    "run": lambda: Run.objects.order_by("pk"),
    "proposal": lambda: Proposal.objects.order_by("pk"),
    "monitoring_case": lambda: MonitoringCase.objects.order_by("pk"),
    "alert": lambda: Alert.objects.order_by("pk"),
    "threshold": lambda: MonitoringThreshold.objects.order_by("pk"),
    "household": lambda: Household.objects.order_by("pk"),
    "change": lambda: ChangeRequest.objects.order_by("pk"),
    "enrolment": lambda: Enrolment.objects.order_by("pk"),
    "review": lambda: Review.objects.order_by("pk"),
    "cycle": lambda: Cycle.objects.order_by("pk"),
    "batch": lambda: PaymentBatch.objects.order_by("pk"),
    "unemployment": lambda: Unemployment.objects.order_by("pk"),
    "event": lambda: Event.objects.order_by("pk"),
    "referral": lambda: Referral.objects.order_by("pk"),
    "course": lambda: Course.objects.order_by("pk"),
    "job": lambda: Employment.objects.order_by("pk"),
    "employer": lambda: Employer.objects.order_by("pk"),
    "internship": lambda: Internship.objects.order_by("pk"),
    "training_enrolment": lambda: TrainingEnrolment.objects.order_by("pk"),
    "scorecard": lambda: Scorecard.objects.order_by("pk"),
    "inspection": lambda: Inspection.objects.order_by("pk"),
    "task_list": lambda: TaskList.objects.order_by("pk"),
    "task": lambda: Task.objects.order_by("pk"),
    "takeover": lambda: Takeover.objects.order_by("pk"),
    "takeover_item": lambda: TakeoverItem.objects.order_by("pk"),
    "survey": lambda: Survey.objects.order_by("pk"),
    "election": lambda: Election.objects.order_by("pk"),
    "cadre": lambda: Cadre.objects.order_by("pk"),
    "member": lambda: CommitteeMember.objects.order_by("pk"),
    "scheme": lambda: Scheme.objects.order_by("pk"),
}
REGION_OF = {  # the field that names an object's region, to prefer 平城区's as "outside"
    "region": "code", "compound": "region__code", "facility": "region__code",
    "organisation": "region__code", "grid": "region__code", "case": "region__code",
    "attachment": "case__region__code", "project": "plan__region__code",
    "progress": "project__plan__region__code",
    "progressphoto": "report__project__plan__region__code", "checklist": "sub_item__project__plan__region__code",
    "run": "region__code", "proposal": "region__code",
    "monitoring_case": "region__code", "alert": "region__code", "household": "region__code",
    "threshold": "region__code",
    "change": "household__region__code", "enrolment": "region__code",
    "review": "enrolment__region__code", "cycle": "region__code", "batch": "cycle__region__code",
    "unemployment": "region__code",
    "event": "region__code", "referral": "region__code", "course": "region__code",
    "job": "region__code", "employer": "region__code", "internship": "region__code",
    "training_enrolment": "course__region__code",
    "scorecard": "scheme__region__code", "inspection": "region__code",
    "task_list": "region__code", "task": "task_list__region__code",
    "takeover": "region__code", "takeover_item": "takeover__region__code",
    "survey": "scheme__region__code",
    "election": "compound__region__code", "cadre": "compound__region__code",
    "member": "compound__region__code",
    "scheme": "region__code",
}


def _by_access(fn):
    def readable(user):
        def ok(pk) -> bool:
            try:
                fn(user, pk)
            except (Http404, PermissionDenied):
                return False
            return True
        return ok
    return readable


# kind → the account's readable queryset (the apps' access functions), or a per-pk check.
READABLE = {
    "region": lambda u: scope.regions_for(u).filter(scope.scope_of(u).region_q("code")),
    "compound": scope.compounds_for,
    "facility": scope.facilities_for,
    "organisation": scope.organisations_for,
    "grid": scope.grids_for,
    "case": cases_for,
    "attachment": lambda u: Attachment.objects.filter(case__in=cases_for(u)),
    "project": projects_for,
    "progress": lambda u: ProgressReport.objects.filter(project__in=projects_for(u)),
    "progressphoto": lambda u: ProgressPhoto.objects.filter(report__project__in=projects_for(u)),
    "checklist": lambda u: ChecklistItem.objects.filter(sub_item__project__in=projects_for(u)),
    "monitoring_case": monitoring_access.cases_for,
    "alert": monitoring_access.alerts_for,
    "threshold": monitoring_access.thresholds_for,
    "household": households_for,
    "change": changes_for,
    "enrolment": enrolments_for,
    "review": reviews_for,
    "cycle": cycles_for,
    "batch": lambda u: PaymentBatch.objects.filter(cycle__in=cycles_for(u)),
    "unemployment": employment_access.unemployments_for,
    "event": employment_access.events_for,
    "referral": employment_access.referrals_for,
    "course": employment_access.courses_for,
    "job": employment_access.employments_for,
    "employer": employment_access.employers_for,
    "internship": employment_access.internships_for,
    "training_enrolment": employment_access.enrolments_for,
    "scorecard": governance_access.scorecards_for,
    "inspection": governance_access.inspections_for,
    "task_list": governance_access.task_lists_for,
    "task": governance_access.tasks_for,
    "takeover": governance_access.takeovers_for,
    "takeover_item": governance_access.takeover_items_for,
    "survey": lambda u: Survey.objects.filter(
        scheme__in=governance_access.managed_schemes_for(u)),
    "election": governance_access.elections_for,
    "cadre": governance_access.cadres_for,
    "member": governance_access.members_for,
    "scheme": governance_access.managed_schemes_for,
}
READABLE_BY_ID = {"run": _by_access(access_run_by_id), "proposal": _by_access(access_proposal_by_id)}


def inside_and_outside(kind: str, user) -> tuple[object | None, object | None]:
    """One object of `kind` the account reads and one it does not (None when there is none)."""
    every = CANDIDATES[kind]()
    key = "code" if kind == "region" else "pk"
    if user is None:
        return None, every.filter(**{f"{REGION_OF[kind]}__startswith": "131002"}).first()
    if kind in READABLE:
        readable = READABLE[kind](user).values(key)
        inside = every.filter(**{f"{key}__in": readable}).first()
        others = every.exclude(**{f"{key}__in": readable})
        outside = (others.filter(**{f"{REGION_OF[kind]}__startswith": OTHER}).first()
                   or others.first())
    else:
        ok = READABLE_BY_ID[kind](user)
        rows = list(every[:50])
        inside = next((r for r in rows if ok(r.pk)), None)
        outside = next((r for r in rows if not ok(r.pk)), None)
    return inside, outside


def _governance_objects(year: int) -> str:
    """A scheme in each district with scorecards and an inspection, and a survey link."""
    token = ""
    for district in ("131002", OTHER):
        scheme = Scheme.objects.create(code=f"perm-{district}", name="考评",
                                       region_id=district.ljust(12, "0"),
                                       bands=[["合格", 60], ["不合格", 0]])
        SchemeItem.objects.create(scheme=scheme, code="clean", name="环境", weight=100,
                                  source=SchemeItem.Source.INSPECTION)
        compound = Compound.objects.filter(region__code__startswith=district,
                                           property_company__isnull=False).order_by("pk").first()
        if compound is None:
            company = Organisation.objects.create(
                name="平城区物业公司", kind=Organisation.Kind.PROPERTY_COMPANY,
                region_id=district.ljust(12, "0"))
            compound = Compound.objects.filter(region__code__startswith=district).first()
            compound.property_company = company
            compound.save(update_fields=["property_company"])
        Inspection.objects.create(scheme=scheme, compound=compound,
                                  company_id=compound.property_company_id,
                                  region_id=compound.region_id, inspected_on=timezone.localdate(),
                                  results={"clean": 80})
        governance_actions.do_compute_scores(scheme, str(year))
        token = token or Survey.objects.create(scheme=scheme, compound=compound).token
        if district == OTHER:  # a questionnaire outside 安次区, for its managers to be refused
            Survey.objects.create(scheme=scheme, compound=compound)
        tl = TaskList.objects.create(name="清单", kind=TaskList.Kind.FEEDBACK,
                                     region_id=district.ljust(12, "0"))
        Task.objects.create(task_list=tl, number=1, area="市容", problem="问题",
                            unit_id=compound.property_company_id, deadline=timezone.localdate())
        to = Takeover.objects.create(name="接管", company_id=compound.property_company_id,
                                     region_id=district.ljust(12, "0"),
                                     started_on=timezone.localdate())
        TakeoverItem.objects.create(takeover=to, compound=compound, standard="cleaning",
                                    requirement="清理", deadline=timezone.localdate())
        # a submitted election with a member, and a cadre, at the district's first compound (by
        # region: 安次区's first street and community) and at the one above
        first = Compound.objects.filter(region__code__startswith=district).order_by(
            "region_id", "pk").first()
        for at in {first, compound}:
            election = Election.objects.create(compound=at, committee="owners",
                                               held_on=timezone.localdate(), turnout=60,
                                               state=Election.State.SUBMITTED)
            CommitteeMember.objects.create(compound=at, election=election, name="主任",
                                           role="chair", phone="13812345678")
            Cadre.objects.create(compound=at, name="干部", unit="区委组织部",
                                 started_on=timezone.localdate())
    return token


@pytest.fixture(scope="module")
def objects(django_db_setup, django_db_blocker):
    """平城区 gets a case and a project of its own (the demo files them only for 安次区), so that
    安次区's accounts have something outside to be refused; rolled back after the module."""
    with django_db_blocker.unblock(), transaction.atomic():
        year = timezone.localdate().year
        other = Region.objects.get(code=OTHER.ljust(12, "0"))
        compound = Compound.objects.filter(region__code__startswith=OTHER).order_by("pk").first()
        ct = CaseType.objects.filter(active=True, resident_can_file=True).order_by("pk").first()
        workflow.do_file(case_type=ct, description="平城区的诉求", channel=Case.Channel.choices[0][0],
                         compound=compound)
        plan = Plan.objects.create(region=other, year=year, name="平城区民生实事")
        Project.objects.create(
            plan=plan, name="平城区项目", area=Project._meta.get_field("area").choices[0][0],
            lead_department=Organisation.objects.filter(
                region__code__startswith=OTHER).order_by("pk").first(),
            target="一项", start_date=timezone.localdate(), end_date=timezone.localdate())
        village = Region.objects.filter(code__startswith=OTHER, level="community").first()
        h = Household.objects.create(number="PC-PERM", region=village, area="rural")
        mcase = MonitoringCase.objects.create(household=h, region=village,
                                              opened_on=timezone.localdate())
        Alert.objects.create(household=h, region=village, channel="self_report", risk="illness",
                             event_date=timezone.localdate(), received_at=timezone.now(),
                             due_at=timezone.now(), case=mcase)
        # a threshold of 平城区's own, for 安次区's managers to be refused
        MonitoringThreshold.objects.create(region=other, kind="medical", amount=5000,
                                           valid_from=timezone.localdate().replace(day=1, year=2000))
        # a household with a change request in each district (the demo registers 安次区's)
        admin = get_user_model().objects.get(username="admin")
        for n, code in enumerate((OTHER, "131002")):
            community = Region.objects.filter(code__startswith=code, level="community").order_by(
                "code").first()
            h = Household.objects.create(number=f"PERM-{n}", region=community, area="urban")
            Person.objects.create(household=h, region=community, relationship="head", name="甲",
                                  id_number=f"13100219800101{n:03d}1", birth_date="1980-01-01")
            ChangeRequest.objects.create(household=h, kind="household", data={"address": "某处"},
                                         reason="测试", state="submitted", created_by=admin)
            head = h.members.get()
            e = Enrolment.objects.create(
                household=h, payee=head, region=community, area="urban", programme="dibao",
                state="enrolled", applied_on=timezone.localdate(),
                consent_on=timezone.localdate(), decided_on=timezone.localdate())
            Review.objects.create(enrolment=e, due_on=timezone.localdate())
            cycle = Cycle.objects.create(region_id=code.ljust(12, "0"),
                                         month=timezone.localdate().replace(day=1, year=2000),
                                         state="approved")
            PaymentBatch.objects.create(cycle=cycle, seq=1, kind="regular",
                                        exported_at=timezone.now())
        _employment_outside(other, compound)
        survey_token = _governance_objects(year)
        public = Case.objects.filter(public=True).exclude(attachments=None).order_by("pk").first()
        public = public or Case.objects.filter(public=True).order_by("pk").first()
        photo = Attachment.objects.filter(case=public).first()
        yield Objects(token=public.token, photo_pk=photo.pk if photo else 1,
                      case_type=ct.code, case_number=str(public.pk),
                      public_number=public.number,
                      indicator=Indicator.objects.order_by("code").first().code,
                      dataset=DataSet.objects.order_by("code").first().code, year=year,
                      survey_token=survey_token)
        transaction.set_rollback(True)


def _employment_outside(other: Region, compound: Compound) -> None:
    """平城区 gets a registration, an event, a referral and a course (the demo's are 安次区's)."""
    today = timezone.localdate()
    community = compound.region
    person = Person.objects.create(region=community, name="平城区求职者", id_number="140213199001019905",
                                   birth_date=today.replace(year=1990, month=1, day=1))
    Unemployment.objects.create(person=person, region=community, registered_on=today,
                                reason="other")
    employer = Employer.objects.create(name="平城区单位", region=other)
    vacancy = Vacancy.objects.create(employer=employer, region=other, title="平城区岗位",
                                     posted_on=today)
    Event.objects.create(name="平城区招聘会", kind="fair", region=other, held_on=today)
    Referral.objects.create(person=person, region=community, vacancy=vacancy, referred_on=today,
                            updated_on=today)
    course = Course.objects.create(name="平城区培训班", occupation="电工", provider="平城区职校",
                                   region=other, starts_on=today, ends_on=today, hours=40)
    TrainingEnrolment.objects.create(course=course, person=person, region=community)
    Employment.objects.create(person=person, region=community, employed_on=today,
                              employer=employer)
    Internship.objects.create(person=person, region=community, host=employer, basis="youth",
                              starts_on=today, months=6, monthly_allowance=2000)


# --- the matrix ----------------------------------------------------------------------------

def _login_redirect(r) -> bool:
    return r.status_code == 302 and re.match(r"^/(admin/)?login/", r.headers.get("Location", ""))


def _url(p: Pattern, kwargs: dict) -> str:
    if p.name == "open311:*":
        return "/open311/v2/" + kwargs["path"]
    if p.name.startswith("?"):
        pytest.fail(f"URL pattern {p.route!r} has no name: name it, or teach "
                    f"tests/test_permissions.py how to build it")
    return reverse(p.name, kwargs=kwargs)


def _requests(p: Pattern, objs: Objects, user):
    """(url, "inside"/"outside"/None, the object's region code or None) for one pattern and
    account."""
    fixed = {a: (VALUES.get((p.name, a)) or VALUES[("*", a)])(objs)
             for a in p.args if (p.name, a) not in OBJECT_ARGS}
    kinds = {OBJECT_ARGS[(p.name, a)] for a in p.args if (p.name, a) in OBJECT_ARGS}
    if not kinds:
        yield _url(p, fixed), None, None
        return
    [kind] = kinds  # one object per URL
    key = "code" if kind == "region" else "pk"
    inside, outside = inside_and_outside(kind, user)
    for where, obj in (("inside", inside), ("outside", outside)):
        if obj is None:
            continue
        args = dict(fixed)
        for a in p.args:
            if (p.name, a) in OBJECT_ARGS:
                args[a] = getattr(obj, key)
        code = type(obj).objects.filter(pk=obj.pk).values_list(REGION_OF[kind], flat=True).first()
        yield _url(p, args), where, code


def _check(p: Pattern, username, method: str, url: str, where, r, failures: list,
           user=None, code: str | None = None) -> None:
    who = username or "anonymous"
    status = r.status_code
    if status >= 500:
        failures.append(f"{who} {method} {url}: {status}")
        return
    public = p.name in PUBLIC
    rights = needs(p.name)
    if not public and rights is not None and user is not None:
        refused = _login_redirect(r) or status in (403, 404, 405)
        exact = p.name in NEEDS and rights != SIGNED_IN
        if (exact or where is not None) and not _holds(user, rights) and not refused:
            failures.append(f"{who} {method} {url}: {status}, but holds none of "
                            f"{sorted(rights)} (NEEDS in tests/test_permissions.py)")
        if (exact and method == "GET" and where != "outside" and _holds(user, rights, code)
                and status in (403, 404)):
            failures.append(f"{who} GET {url}: {status}, but holds {sorted(rights)} there")
    if username is None and not public and not (_login_redirect(r) or status in (401, 403, 404,
                                                                                 405)):
        failures.append(f"anonymous {method} {url}: {status}, expected a login redirect or 403")
    refused = _login_redirect(r) or status in (403, 404, 405)
    if where == "outside" and not public and not refused:
        failures.append(f"{who} {method} {url} (outside the scope): {status}")
    if where == "inside" and method == "GET" and p.name in READ_PAGES and status != 200:
        failures.append(f"{who} GET {url} (its own): {status}, expected 200")


def test_every_url_declares_its_right():
    undeclared = sorted({p.name for p in patterns() if p.name not in PUBLIC and needs(p.name) is None})
    assert not undeclared, (
        f"these URLs declare no right: {undeclared}. Add each (or its namespace, 'ns:*') to "
        f"NEEDS in tests/test_permissions.py with the rights of accounts/roles.py it needs")
    unknown = {n: sorted(r - EVERY_RIGHT) for n, r in NEEDS.items()
               if r != SIGNED_IN and r - EVERY_RIGHT}
    assert not unknown, f"NEEDS names rights accounts/roles.py does not define: {unknown}"


def test_every_url_pattern_can_be_filled():
    missing = {p.route: unfillable(p) for p in patterns() if unfillable(p)}
    assert not missing, (
        f"the permission matrix cannot fill these URL arguments: {missing}. Add each to "
        f"OBJECT_ARGS (an object with an inside and an outside) or VALUES in "
        f"tests/test_permissions.py")
    names = {p.name for p in patterns()}
    assert {"cases:detail", "places:compound", "admin:index", "open311-requests"} <= names


@pytest.mark.parametrize("username", ACCOUNTS)
def test_the_permission_matrix(username, objects, client_for):
    c = client_for(username) if username else Client()
    c.raise_request_exception = False  # a 500 is a finding to list, not a crash of the matrix
    user = get_user_model().objects.get(username=username) if username else None
    failures: list[str] = []
    ordered = sorted(patterns(), key=lambda p: p.name == "web:logout")  # logging out comes last
    for p in ordered:
        assert not unfillable(p), f"{p.route}: run test_every_url_pattern_can_be_filled"
        for url, where, code in _requests(p, objects, user):
            _check(p, username, "GET", url, where, c.get(url), failures, user, code)
            _check(p, username, "POST", url, where, c.post(url, {}), failures, user, code)
    assert not failures, "\n".join(failures)


# The two-factor pages (accounts/urls.py) take no object: every account above opens them as
# itself. When two-factor sign-in is enforced, a session that has given only the password reaches
# nothing but the page that asks for the second factor and these:
TWO_FACTOR_OPEN = {"web:logout", "set_language", "web:healthz"}


@pytest.mark.parametrize("username,owed", [("street1", "setup"), ("viewer1", "verify")])
def test_a_session_owing_a_second_factor_reaches_nothing_else(username, owed, objects, settings):
    """Every URL pattern, GET and POST, for a session that still owes a second factor: enforced
    for street1 without a device (sent to set-up), viewer1 with a device (sent to give a code)."""
    settings.REQUIRE_2FA = True
    user = get_user_model().objects.get(username=username)
    if owed == "verify":
        TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    page = reverse(f"accounts:two-factor-{owed}")
    c = Client()
    c.raise_request_exception = False
    c.force_login(user)
    failures = []
    for p in sorted(patterns(), key=lambda p: p.name == "web:logout"):
        if p.name in TWO_FACTOR_OPEN or p.name == f"accounts:two-factor-{owed}":
            continue
        for url, _where, _code in _requests(p, objects, user):
            for method in ("GET", "POST"):
                r = getattr(c, method.lower())(url, {})
                to_page = r.status_code == 302 and r["Location"].startswith(page)
                if not (to_page or r.status_code == 403):
                    failures.append(f"{username} {method} {url}: {r.status_code}")
    assert not failures, "\n".join(failures)
