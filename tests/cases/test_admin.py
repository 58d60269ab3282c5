"""The cases' back office does not cross districts: 安次区's administrator can neither route
平城区's cases to its own office, nor issue an Open311 key for a 平城区 organisation, nor change
the clocks every district shares (case types are the system administrator's). It still manages
its own district's rules and keys. Tried through the admin's forms with the test client."""

from __future__ import annotations

import json
import re

import pytest
from django.forms.models import model_to_dict
from django.utils import timezone

from minsheng.cases.models import (
    Alarm,
    ApiKey,
    CaseType,
    Device,
    DeviceKey,
    DeviceSilence,
    RoutingRule,
)
from minsheng.places.models import Compound, Organisation

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


def _issued_key(response) -> str:
    """The key shown once after issuing (the admin's message), from the followed response."""
    text = response.content.decode()
    m = re.search(r"请立即交给使用方妥善保存）：([A-Za-z0-9_\-]{20,})", text)
    assert m, text[:3000]
    return m.group(1)


def test_issuing_keys_shows_each_once_and_stores_only_its_digest(client_for):
    """Two keys in a row (the second used to hit the unique empty digest), each usable."""
    org = org_in(ANCI)
    c = client_for("district")
    keys = []
    for name in ("第一把", "第二把"):
        r = c.post("/admin/cases/apikey/add/", {"name": name, "organisation": org.pk,
                                                "active": "on"}, follow=True)
        assert r.status_code == 200
        keys.append(_issued_key(r))
    assert keys[0] != keys[1]
    for name, raw in zip(("第一把", "第二把"), keys, strict=True):
        stored = ApiKey.objects.get(name=name)
        assert stored.digest == ApiKey.hash(raw) and raw not in stored.digest
    # the change page never shows it again
    page = c.get(f"/admin/cases/apikey/{ApiKey.objects.get(name='第一把').pk}/change/")
    assert keys[0] not in page.content.decode()


def test_device_keys_and_devices_stay_inside_the_district(client_for):
    c = client_for("district")
    r = c.post("/admin/cases/devicekey/add/", {"name": "越界", "organisation": org_in(PINGCHENG).pk,
                                               "active": "on"})
    assert r.status_code in (200, 403) and not DeviceKey.objects.filter(name="越界").exists()
    r = c.post("/admin/cases/devicekey/add/", {"name": "门禁厂商", "organisation": org_in(ANCI).pk,
                                               "active": "on"}, follow=True)
    raw = _issued_key(r)
    assert DeviceKey.objects.get(name="门禁厂商").digest == DeviceKey.hash(raw)

    mine = Compound.objects.filter(region__code__startswith=ANCI).order_by("pk").first()
    theirs = Compound.objects.filter(region__code__startswith=PINGCHENG).order_by("pk").first()
    kind = Device.Kind.values[0]
    code = CaseType.objects.order_by("code").first().code
    base = {"organisation": org_in(ANCI).pk, "name": "东门", "kind": kind, "active": "on"}
    r = c.post("/admin/cases/device/add/", {**base, "code": "X-1", "compound": theirs.pk,
                                            "alarm_types": json.dumps({"door": code})})
    assert r.status_code in (200, 403) and not Device.objects.filter(code="X-1").exists()
    r = c.post("/admin/cases/device/add/", {**base, "code": "X-2", "compound": mine.pk,
                                            "alarm_types": json.dumps({"door": "没有这个类别"})})
    assert r.status_code == 200 and "类别代码须已存在" in r.content.decode()
    assert not Device.objects.filter(code="X-2").exists()
    r = c.post("/admin/cases/device/add/", {**base, "code": "X-3", "compound": mine.pk,
                                            "alarm_types": json.dumps({"door": code})})
    assert r.status_code == 302, r.content.decode()[:2000]
    assert Device.objects.get(code="X-3").alarm_types == {"door": code}


def test_alarms_are_read_only_and_scoped(client_for):
    theirs = Compound.objects.filter(region__code__startswith=PINGCHENG).order_by("pk").first()
    device = Device.objects.create(organisation=org_in(PINGCHENG), code="P-1", name="平城门禁",
                                   kind=Device.Kind.values[0], compound=theirs)
    now = timezone.now()
    alarm = Alarm.objects.create(device=device, alarm_type="door-forced", first_at=now,
                                 last_at=now)
    c = client_for("district")
    assert "平城门禁" not in c.get("/admin/cases/alarm/").content.decode()
    assert c.get(f"/admin/cases/alarm/{alarm.pk}/change/").status_code in (302, 403, 404)
    assert c.get("/admin/cases/alarm/add/").status_code == 403


def test_the_silence_of_each_device_kind_is_the_system_administrators(client_for):
    """Every district reads how long a device may stay silent; only the system administrator
    changes it; the device list says which devices are offline."""
    row = DeviceSilence.objects.get(kind=Device.Kind.CAMERA)
    c = client_for("district")
    assert c.get("/admin/cases/devicesilence/").status_code == 200
    r = c.post(f"/admin/cases/devicesilence/{row.pk}/change/", {"kind": row.kind,
                                                                 "minutes": 999})
    assert r.status_code == 403
    row.refresh_from_db()
    assert row.minutes == 15
    a = client_for("admin")
    for bad in ("0", "-5", "abc", "99999999"):
        r = a.post(f"/admin/cases/devicesilence/{row.pk}/change/", {"kind": row.kind,
                                                                     "minutes": bad})
        assert r.status_code == 200, bad  # the form again, with its error
    r = a.post(f"/admin/cases/devicesilence/{row.pk}/change/", {"kind": row.kind,
                                                                 "minutes": "45"})
    assert r.status_code == 302
    row.refresh_from_db()
    assert row.minutes == 45
    mine = Compound.objects.filter(region__code__startswith=ANCI).order_by("pk").first()
    Device.objects.create(organisation=org_in(ANCI), code="SILENT-1", name="从未上报的摄像头",
                          kind=Device.Kind.CAMERA, compound=mine)
    page = c.get("/admin/cases/device/?q=SILENT-1").content.decode()
    assert "从未上报的摄像头" in page and 'alt="True"' in page
