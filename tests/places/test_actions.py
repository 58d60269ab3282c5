"""Every change to a compound, facility, organisation or grid goes through places.actions: it is
refused without the editing right over the record's region (and the region it moves to), it saves
only what changed, and it leaves exactly one audit row that names the fields (never a phone
number). The form, the API and the back office are tested through the test client."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from minsheng.accounts.models import AuditLog
from minsheng.places import actions
from minsheng.places.models import Compound, Facility, FacilityCategory, Organisation, Region

pytestmark = pytest.mark.django_db

STREET1 = "131002001"  # 银河南路街道 (street1 edits here)
STREET2 = "131002002"  # 光明西道街道 (street2 edits here)
PHONE = "13912345678"
CHANGES = (AuditLog.Action.CREATE, AuditLog.Action.UPDATE)


def community(prefix: str) -> Region:
    return Region.objects.filter(code__startswith=prefix, level=Region.Level.COMMUNITY).order_by(
        "code").first()


def audit_rows(obj) -> list[AuditLog]:
    return list(AuditLog.objects.filter(object_type=obj._meta.label_lower,
                                        object_id=str(obj.pk)).order_by("pk"))


def change_rows() -> int:
    return AuditLog.objects.filter(action__in=CHANGES).count()


@pytest.fixture
def own():
    """A compound of 银河南路街道 (street1's)."""
    return Compound.objects.filter(region__code__startswith=STREET1).order_by("pk").first()


def test_creating_a_compound_saves_it_and_writes_one_create_row(user):
    comm = community(STREET1)
    cp = actions.do_save_compound(user("street1"), {
        "name": "审计新建小区", "region": comm, "lat": 39.5, "lng": 116.7, "households": 120,
        "committee_head_phone": PHONE,
    }, source="api")
    cp.refresh_from_db()
    assert (cp.name, cp.region_id, cp.households) == ("审计新建小区", comm.code, 120)
    [row] = audit_rows(cp)
    assert row.action == AuditLog.Action.CREATE
    assert row.user.username == "street1"
    assert row.region_code == comm.code
    assert set(row.fields.split(",")) == {"name", "region", "lat", "lng", "households",
                                          "committee_head_phone"}
    assert "新建小区“审计新建小区”（接口）" in row.detail and "户数 120" in row.detail
    assert "主任联系电话" in row.detail and PHONE not in row.detail


def test_updating_a_compound_saves_only_the_changed_fields_and_audits_old_to_new(user, own):
    before = own.households
    with CaptureQueriesContext(connection) as ctx:
        actions.do_save_compound(user("street1"), {
            "name": own.name, "households": before + 7, "is_old": not own.is_old,
        }, compound=own, source="form")
    updates = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 1
    assert '"households"' in updates[0] and '"is_old"' in updates[0]
    assert '"name"' not in updates[0] and '"population"' not in updates[0]
    own.refresh_from_db()
    assert own.households == before + 7
    [row] = audit_rows(own)
    assert row.action == AuditLog.Action.UPDATE
    assert set(row.fields.split(",")) == {"households", "is_old"}
    assert f"户数 {before} → {before + 7}" in row.detail
    assert "（页面表单）" in row.detail and "小区名称" not in row.detail


def test_an_update_that_changes_nothing_writes_nothing(user, own):
    actions.do_save_compound(user("street1"), {"households": own.households}, compound=own,
                             source="api")
    assert audit_rows(own) == []


def test_the_row_is_judged_by_what_is_stored_not_by_the_instance_in_memory(user, own):
    """A ModelForm changes its instance before saving: the old values (and region) come from
    the database."""
    stored = own.households
    own.households = stored + 1  # as form.is_valid() would
    actions.do_save_compound(user("street1"), {"households": stored + 1}, compound=own,
                             source="form")
    [row] = audit_rows(own)
    assert f"户数 {stored} → {stored + 1}" in row.detail


def test_phone_numbers_are_named_but_never_written_into_the_audit(user, own):
    old_phone = own.committee_head_phone
    actions.do_save_compound(user("street1"), {"committee_head_phone": PHONE}, compound=own,
                             source="api")
    [row] = audit_rows(own)
    assert row.fields == "committee_head_phone"
    assert "主任联系电话（个人信息，内容不记录）" in row.detail
    assert PHONE not in row.detail and PHONE[-4:] not in row.detail
    if old_phone:
        assert old_phone not in row.detail
    org = Organisation.objects.filter(region__code__startswith=STREET1).exclude(
        contact_phone="").order_by("pk").first()
    actions.do_save_organisation(user("street1"), {"contact_phone": PHONE, "address": "新地址"},
                                 organisation=org, source="api")
    [row] = audit_rows(org)
    assert "联系电话（个人信息，内容不记录）" in row.detail and "→ 新地址" in row.detail
    assert PHONE not in row.detail and org.contact_phone not in row.detail


@pytest.mark.parametrize("username", ["street2", "viewer1", "resident1", "grid1", "mediator1"])
def test_users_without_the_editing_right_there_are_refused_and_nothing_is_written(
        user, own, username):
    before, rows = own.households, change_rows()
    with pytest.raises(PermissionDenied):
        actions.do_save_compound(user(username), {"households": before + 1}, compound=own,
                                 source="api")
    with pytest.raises(PermissionDenied):
        actions.do_save_compound(user(username), {
            "name": "越权新建", "region": own.region, "lat": 39.5, "lng": 116.7}, source="api")
    own.refresh_from_db()
    assert own.households == before
    assert not Compound.objects.filter(name="越权新建").exists()
    assert change_rows() == rows


def test_moving_a_compound_out_of_ones_scope_is_refused(user, own):
    rows = change_rows()
    for target in (community(STREET2), community("140213")):
        with pytest.raises(PermissionDenied) as e:
            actions.do_save_compound(user("street1"), {"region": target, "grid": None},
                                     compound=own, source="api")
        assert target.name in str(e.value)
    # the district admin may move within 安次区 but not into 平城区
    with pytest.raises(PermissionDenied):
        actions.do_save_compound(user("district"), {"region": community("140213")},
                                 compound=own, source="api")
    own.refresh_from_db()
    assert own.region_id.startswith(STREET1)
    assert change_rows() == rows


def test_moving_a_compound_in_from_outside_ones_scope_is_refused(user):
    """street1 may edit the target community but not the one the compound is in now."""
    other = Compound.objects.filter(region__code__startswith=STREET2).order_by("pk").first()
    with pytest.raises(PermissionDenied):
        actions.do_save_compound(user("street1"), {"region": community(STREET1), "grid": None},
                                 compound=other, source="api")
    other.refresh_from_db()
    assert other.region_id.startswith(STREET2)


def test_a_move_inside_ones_scope_is_audited_with_both_regions(user, own):
    target = Region.objects.filter(code__startswith=STREET1, level=Region.Level.COMMUNITY).exclude(
        code=own.region_id).order_by("code").first()
    old_region = own.region_id
    actions.do_save_compound(user("street1"), {"region": target, "grid": None}, compound=own,
                             source="api")
    [row] = audit_rows(own)
    assert row.region_code == target.code
    assert f"{old_region} → {target.code}" in row.detail


def test_facilities_are_created_and_updated_with_one_audit_row_each(user):
    comm = community(STREET1)
    category = FacilityCategory.objects.order_by("code").first()
    f = actions.do_save_facility(user("street1"), {
        "name": "审计测试设施", "category": category, "region": comm, "lat": 39.5, "lng": 116.7,
    }, source="api")
    actions.do_save_facility(user("street1"), {"signed_service_point": True, "capacity": 50},
                             facility=f, source="api")
    f.refresh_from_db()
    assert f.signed_service_point and f.capacity == 50
    create, update = audit_rows(f)
    assert create.action == AuditLog.Action.CREATE and "category" in create.fields
    assert update.action == AuditLog.Action.UPDATE
    assert set(update.fields.split(",")) == {"signed_service_point", "capacity"}
    assert "签约生活圈服务网点 否 → 是" in update.detail and "（空） → 50" in update.detail


def test_organisations_are_created_and_updated_with_one_audit_row_each(user):
    comm = community(STREET1)
    o = actions.do_save_organisation(user("street1"), {
        "name": "审计测试物业", "kind": Organisation.Kind.PROPERTY_COMPANY, "region": comm,
    }, source="api")
    actions.do_save_organisation(user("street1"), {"contact_person": "张三"}, organisation=o,
                                 source="api")
    create, update = audit_rows(o)
    assert create.action == AuditLog.Action.CREATE
    assert f"类型 {Organisation.Kind.PROPERTY_COMPANY.label}" in create.detail
    assert update.action == AuditLog.Action.UPDATE and update.fields == "contact_person"
    with pytest.raises(PermissionDenied):
        actions.do_save_organisation(user("street2"), {"contact_person": "李四"}, organisation=o,
                                     source="api")
    assert len(audit_rows(o)) == 2


def test_grids_are_created_and_updated_with_one_audit_row_each(user):
    comm = community(STREET1)
    g = actions.do_save_grid(user("street1"), {"name": "审计测试网格", "region": comm},
                             source="admin")
    actions.do_save_grid(user("street1"), {
        "worker": user("grid1"),
        "boundary": {"type": "Polygon", "coordinates": [[[116.7, 39.5], [116.71, 39.5],
                                                         [116.71, 39.51], [116.7, 39.5]]]},
    }, grid=g, source="admin")
    g.refresh_from_db()
    assert g.worker.username == "grid1"
    create, update = audit_rows(g)
    assert create.action == AuditLog.Action.CREATE and "（后台）" in create.detail
    assert set(update.fields.split(",")) == {"worker", "boundary"}
    assert "（几何，内容不记录）" in update.detail and "116.7" not in update.detail


def test_unknown_or_read_only_fields_are_a_programming_error(user, own):
    with pytest.raises(ValueError, match="region_name"):
        actions.do_save_compound(user("street1"), {"region_name": "x"}, compound=own, source="api")
    with pytest.raises(TypeError):
        actions.do_save_place(user("admin"), Region, {"name": "x"}, source="api")
    assert audit_rows(own) == []


# --- through the surfaces ---------------------------------------------------------------------

def test_api_patch_and_post_leave_an_audit_row(client_for, own):
    c = client_for("street1")
    r = c.patch(f"/api/compounds/{own.pk}/", {"households": own.households + 2},
                content_type="application/json")
    assert r.status_code == 200
    assert r.json()["households"] == own.households + 2
    [row] = audit_rows(own)
    assert (row.action, row.fields, row.user.username) == (AuditLog.Action.UPDATE, "households",
                                                           "street1")
    assert "（接口）" in row.detail and row.ip == "127.0.0.1"
    r = c.post("/api/facilities/", {
        "name": "接口新建设施", "category": FacilityCategory.objects.order_by("code").first().code,
        "region": own.region_id, "lat": 39.5, "lng": 116.7,
    }, content_type="application/json")
    assert r.status_code == 201, r.content
    [row] = audit_rows(Facility.objects.get(pk=r.json()["id"]))
    assert row.action == AuditLog.Action.CREATE


def test_api_refusals_keep_their_answers_and_write_nothing(client_for, own):
    rows = change_rows()
    r = client_for("viewer1").patch(f"/api/compounds/{own.pk}/", {"households": 1},
                                    content_type="application/json")
    assert r.status_code == 403
    assert r.json() == {"detail": "您无权修改此记录。"}
    r = client_for("street1").patch(f"/api/compounds/{own.pk}/",
                                    {"region": community(STREET2).code},
                                    content_type="application/json")
    assert r.status_code == 400 and "region" in r.json()
    r = client_for("street1").post("/api/compounds/", {
        "name": own.name, "region": own.region_id, "lat": 39.5, "lng": 116.7,
    }, content_type="application/json")
    assert r.status_code == 400
    assert change_rows() == rows


def test_api_patch_of_a_phone_number_is_audited_without_it(client_for, own):
    r = client_for("street1").patch(f"/api/compounds/{own.pk}/", {"committee_head_phone": PHONE},
                                    content_type="application/json")
    assert r.status_code == 200
    assert PHONE not in r.content.decode()  # the response masks it, as before
    [row] = audit_rows(own)
    assert PHONE not in row.detail and "主任联系电话" in row.detail


def test_the_compound_form_leaves_an_audit_row(client_for, own):
    c = client_for("street1")
    data = {
        "name": own.name, "region": own.region_id, "grid": own.grid_id or "",
        "address": own.address, "lat": own.lat, "lng": own.lng,
        "year_built": own.year_built or "", "buildings": own.buildings,
        "households": own.households + 5, "population": own.population,
        "property_status": "none", "property_company": "", "committee": own.committee,
        "committee_head": own.committee_head, "committee_head_phone": PHONE,
        "renovation_class": own.renovation_class,
    }
    r = c.post(f"/compounds/{own.pk}/edit/", data)
    assert r.status_code == 302
    [row] = audit_rows(own)
    assert row.action == AuditLog.Action.UPDATE and row.user.username == "street1"
    assert "households" in row.fields.split(",")
    assert f"户数 {own.households} → {own.households + 5}" in row.detail
    assert "（页面表单）" in row.detail and PHONE not in row.detail


def test_the_compound_form_creates_with_one_audit_row(client_for):
    comm = community(STREET1)
    r = client_for("street1").post("/compounds/new/", {
        "name": "表单新建小区", "region": comm.code, "lat": 39.5, "lng": 116.7, "buildings": 3,
        "households": 40, "population": 90, "property_status": "none", "committee": "",
        "renovation_class": "",
    })
    assert r.status_code == 302, r.content.decode()[:2000]
    cp = Compound.objects.get(name="表单新建小区")
    [row] = audit_rows(cp)
    assert row.action == AuditLog.Action.CREATE and "楼栋数 3" in row.detail


def test_the_back_office_saves_through_the_actions(client_for):
    comm = community(STREET1)
    c = client_for("street1")
    r = c.post("/admin/places/organisation/add/", {
        "name": "后台新建组织", "kind": Organisation.Kind.OTHER, "region": comm.code,
        "function": "", "credit_code": "", "address": "", "contact_person": "王五",
    })
    assert r.status_code == 302, r.content.decode()[:3000]
    o = Organisation.objects.get(name="后台新建组织")
    [row] = audit_rows(o)
    assert row.action == AuditLog.Action.CREATE and "（后台）" in row.detail
    r = c.post(f"/admin/places/organisation/{o.pk}/change/", {
        "name": "后台新建组织", "kind": Organisation.Kind.OTHER, "region": comm.code,
        "function": "", "credit_code": "", "address": "后台地址", "contact_person": "王五",
    })
    assert r.status_code == 302
    create, update = audit_rows(o)
    assert update.action == AuditLog.Action.UPDATE and update.fields == "address"
    # a region outside the user's editing scope is refused and leaves nothing
    rows = change_rows()
    r = c.post(f"/admin/places/organisation/{o.pk}/change/", {
        "name": "后台新建组织", "kind": Organisation.Kind.OTHER,
        "region": community(STREET2).code, "contact_person": "王五",
    })
    assert r.status_code == 200  # the region is not among the choices: a form error
    o.refresh_from_db()
    assert o.region_id == comm.code and change_rows() == rows
