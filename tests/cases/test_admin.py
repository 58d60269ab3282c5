"""The cases' back office does not cross districts: 安次区's administrator can neither route
平城区's cases to its own office, nor issue an Open311 key for a 平城区 organisation, nor change
the clocks every district shares (case types are the system administrator's). It still manages
its own district's rules and keys. Tried through the admin's forms with the test client."""

from __future__ import annotations

import json

import pytest
from django.forms.models import model_to_dict

from minsheng.cases.models import ApiKey, CaseType, RoutingRule
from minsheng.places.models import Organisation

pytestmark = pytest.mark.django_db

PINGCHENG = "140213"
ANCI = "131002"


def org_in(prefix: str) -> Organisation:
    return Organisation.objects.filter(region__code__startswith=prefix).order_by("pk").first()


def form_data(obj, **changes) -> dict:
    """The change form's POST for `obj` as it is stored, with `changes`."""
    out = {}
    for k, v in {**model_to_dict(obj), **changes}.items():
        if v is True:
            out[k] = "on"
        elif v is False or v is None:
            continue
        elif isinstance(v, list | dict):
            out[k] = json.dumps(v)
        else:
            out[k] = v
    return out


@pytest.fixture
def case_type() -> CaseType:
    return CaseType.objects.order_by("order", "code").first()


def test_a_district_admin_cannot_route_another_districts_cases(client_for, case_type):
    before = RoutingRule.objects.count()
    r = client_for("district").post("/admin/cases/routingrule/add/", {
        "case_type": case_type.code, "region_prefix": PINGCHENG,
        "organisation": org_in(ANCI).pk})
    assert r.status_code in (200, 403)
    assert RoutingRule.objects.count() == before
    assert not RoutingRule.objects.filter(region_prefix__startswith=PINGCHENG).exists()


def test_a_district_admin_cannot_move_its_rule_into_another_district(client_for):
    rule = RoutingRule.objects.filter(region_prefix=ANCI).order_by("pk").first()
    r = client_for("district").post(f"/admin/cases/routingrule/{rule.pk}/change/", {
        "case_type": rule.case_type_id, "region_prefix": PINGCHENG,
        "organisation": rule.organisation_id})
    assert r.status_code in (200, 403)
    rule.refresh_from_db()
    assert rule.region_prefix == ANCI


def test_a_rule_cannot_send_cases_to_another_districts_organisation(client_for, case_type):
    before = RoutingRule.objects.count()
    r = client_for("district").post("/admin/cases/routingrule/add/", {
        "case_type": case_type.code, "region_prefix": f"{ANCI}001",
        "organisation": org_in(PINGCHENG).pk})
    assert r.status_code in (200, 403)
    assert RoutingRule.objects.count() == before


def test_a_district_admin_routes_inside_its_district(client_for, case_type):
    org = org_in(f"{ANCI}001")
    r = client_for("district").post("/admin/cases/routingrule/add/", {
        "case_type": case_type.code, "region_prefix": f"{ANCI}001", "organisation": org.pk})
    assert r.status_code == 302, r.content.decode()[:2000]
    assert RoutingRule.objects.filter(region_prefix=f"{ANCI}001", organisation=org).exists()


def test_the_superuser_routes_in_any_district(client_for, case_type):
    org = org_in(PINGCHENG)
    r = client_for("admin").post("/admin/cases/routingrule/add/", {
        "case_type": case_type.code, "region_prefix": PINGCHENG, "organisation": org.pk})
    assert r.status_code == 302, r.content.decode()[:2000]
    assert RoutingRule.objects.filter(region_prefix=PINGCHENG, organisation=org).exists()


def test_the_organisation_choices_hold_only_the_district(client_for):
    page = client_for("district").get("/admin/cases/apikey/add/").content.decode()
    assert f'value="{org_in(ANCI).pk}"' in page
    assert f'value="{org_in(PINGCHENG).pk}"' not in page


def test_a_district_admin_cannot_issue_a_key_for_another_district(client_for):
    before = ApiKey.objects.count()
    r = client_for("district").post("/admin/cases/apikey/add/", {
        "name": "越界密钥", "organisation": org_in(PINGCHENG).pk, "active": "on"})
    assert r.status_code in (200, 403)
    assert ApiKey.objects.count() == before


def test_a_district_admin_issues_a_key_for_its_own_organisation(client_for):
    org = org_in(ANCI)
    r = client_for("district").post("/admin/cases/apikey/add/", {
        "name": "本区密钥", "organisation": org.pk, "active": "on"})
    assert r.status_code == 302, r.content.decode()[:2000]
    assert ApiKey.objects.filter(name="本区密钥", organisation=org).exists()


def test_a_district_admin_cannot_change_the_shared_clocks(client_for, case_type):
    hours = case_type.accept_hours
    c = client_for("district")
    r = c.post(f"/admin/cases/casetype/{case_type.pk}/change/",
               form_data(case_type, accept_hours=999))
    assert r.status_code == 403
    case_type.refresh_from_db()
    assert case_type.accept_hours == hours
    # the changelist is read-only for it (no list_editable form to post)
    page = c.get("/admin/cases/casetype/").content.decode()
    assert 'name="form-0-accept_hours"' not in page


def test_the_superuser_changes_the_clocks(client_for, case_type):
    r = client_for("admin").post(f"/admin/cases/casetype/{case_type.pk}/change/",
                                 form_data(case_type, accept_hours=48))
    assert r.status_code == 302, r.content.decode()[:3000]
    case_type.refresh_from_db()
    assert case_type.accept_hours == 48
