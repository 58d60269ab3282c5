"""The household registry: who reads which households (community, grid, street, 区民政局; denied
to other departments, other districts, viewers and residents), masking and audited unmasking,
registration, change requests in their order, the all-or-nothing import and the back office."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from minsheng.accounts.models import AuditLog
from minsheng.assistance import actions
from minsheng.assistance.exchange import import_households, template_bytes
from minsheng.assistance.models import ChangeRequest, Household, Person, Supporter
from minsheng.places.models import Region
from tests.hostile import attack_whole_file

pytestmark = pytest.mark.django_db


def community_of(username: str) -> Region:
    return get_user_model().objects.get(username=username).memberships.first().region


def other_community(region: Region) -> Region:
    """Another community of the same street."""
    return Region.objects.filter(parent=region.parent, level="community").exclude(
        code=region.code).order_by("code").first()


def make_household(region: Region, number: str, idn: str) -> Household:
    h = Household.objects.create(number=number, region=region, area="urban")
    Person.objects.create(household=h, region=region, relationship="head", name="王某",
                          id_number=idn, phone="13812345678", birth_date="1960-05-01")
    return h


@pytest.fixture
def homes(db):
    comm1 = community_of("community1")
    street2 = community_of("street2")
    return {
        "comm1": make_household(comm1, "T-C1", "131002196005011234"),
        "neighbour": make_household(other_community(comm1), "T-C2", "131002196005011235"),
        "street2": make_household(
            Region.objects.filter(parent=street2, level="community").order_by("code").first(),
            "T-S2", "131002196005011236"),
        "other": make_household(
            Region.objects.filter(code__startswith="140213", level="community").order_by(
                "code").first(), "T-PC", "140213196005011237"),
    }


def listed(client) -> set[str]:
    html = client.get("/assistance/households/?q=T-").content.decode()
    return set(re.findall(r">(T-[A-Z0-9]+)<", html))


def test_each_account_lists_only_the_households_of_its_area(homes, client_for):
    assert listed(client_for("community1")) == {"T-C1"}
    assert listed(client_for("grid1")) == {"T-C1"}
    assert listed(client_for("street1")) == {"T-C1", "T-C2"}
    assert listed(client_for("civil1")) == {"T-C1", "T-C2", "T-S2"}


@pytest.mark.parametrize("username", ["dept-housing", "viewer1", "resident1", "district"])
def test_other_departments_viewers_and_residents_never_see_a_household(username, homes,
                                                                       client_for):
    c = client_for(username)
    assert c.get("/assistance/households/").status_code == 403
    for h in homes.values():
        assert c.get(f"/assistance/households/{h.pk}/").status_code == 404
        assert c.post(f"/assistance/households/{h.pk}/reveal/").status_code == 404
        assert c.get(f"/assistance/households/{h.pk}/change/").status_code == 404
    assert c.get("/assistance/households/new/").status_code == 403
    assert c.get("/assistance/households/import/").status_code == 403
    assert c.get("/assistance/households/template.xlsx").status_code == 403


def test_a_household_outside_the_scope_is_a_404(homes, client_for):
    c = client_for("community1")
    assert c.get(f"/assistance/households/{homes['comm1'].pk}/").status_code == 200
    for key in ("neighbour", "street2", "other"):
        assert c.get(f"/assistance/households/{homes[key].pk}/").status_code == 404
    assert client_for("civil1").get(
        f"/assistance/households/{homes['other'].pk}/").status_code == 404


def test_the_housing_department_is_denied_while_civil_affairs_reads(homes, client_for):
    assert "社会救助" not in client_for("dept-housing").get("/").content.decode()
    assert client_for("dept-housing").get("/assistance/").status_code == 403
    assert "社会救助" in client_for("civil1").get("/").content.decode()
    assert client_for("civil1").get(f"/assistance/households/{homes['comm1'].pk}/"
                                    ).status_code == 200


def test_viewers_and_residents_see_aggregates_with_small_cells_suppressed(homes, client_for):
    # a street with no household yet (the test database holds the 防返贫 demo's), given two
    street = (Region.objects.filter(code__startswith="131002", level="street")
              .exclude(children__household__isnull=False).order_by("code").first())
    community = Region.objects.filter(parent=street, level="community").order_by("code").first()
    make_household(community, "T-SMALL1", "131002196005019990")
    make_household(community, "T-SMALL2", "131002196005019982")
    html = client_for("viewer1").get("/assistance/").content.decode()
    row = re.search(rf"<tr><td>{street.name}</td>(.*?)</tr>", html).group(1)
    assert re.findall(r'<td class="num">([^<]*)</td>', row)[:2] == ["&lt;5", "—"]
    assert "T-C1" not in html and "王某" not in html


def test_numbers_are_masked_and_unmasking_is_audited(homes, client_for):
    h = homes["comm1"]
    c = client_for("community1")
    html = c.get(f"/assistance/households/{h.pk}/").content.decode()
    assert "131002196005011234" not in html and "13812345678" not in html
    assert "131002********1234" in html and "138****5678" in html
    before = AuditLog.objects.filter(action=AuditLog.Action.UNMASK).count()
    html = c.post(f"/assistance/households/{h.pk}/reveal/").content.decode()
    assert "131002196005011234" in html and "13812345678" in html
    log = AuditLog.objects.filter(action=AuditLog.Action.UNMASK).order_by("-id").first()
    assert AuditLog.objects.filter(action=AuditLog.Action.UNMASK).count() == before + 1
    assert log.object_type == "assistance.person" and log.user.username == "community1"


def test_a_community_worker_registers_a_household_on_the_form(client_for):
    comm1 = community_of("community1")
    r = client_for("community1").post("/assistance/households/new/", {
        "number": "NEW-1", "region": comm1.code, "area": "rural", "address": "一号",
        "head_name": "李四", "head_id_number": "131002198001011239", "head_sex": "male",
        "head_birth_date": "1980-01-01", "head_phone": "", "head_labour_capacity": "full",
        "head_disability_grade": ""})
    h = Household.objects.get(number="NEW-1")
    assert r.status_code == 302 and h.members.get().relationship == "head"
    assert AuditLog.objects.filter(action=AuditLog.Action.CREATE, object_id=str(h.pk)).exists()


def test_registration_refuses_another_community_and_control_characters(client_for):
    comm1 = community_of("community1")
    r = client_for("community1").post("/assistance/households/new/", {
        "number": "NEW-2", "region": other_community(comm1).code, "area": "rural",
        "head_name": "李\u202e四", "head_id_number": "131002198001011239",
        "head_birth_date": "1980-01-01", "head_labour_capacity": "full"})
    assert r.status_code == 200 and not Household.objects.filter(number="NEW-2").exists()
    html = r.content.decode()
    assert "控制字符" in html
    with pytest.raises(PermissionDenied):
        actions.do_register_household(
            get_user_model().objects.get(username="community1"), number="NEW-3",
            region=other_community(comm1), area="rural",
            head={"name": "李四", "id_number": "131002198001011238", "birth_date": "1980-01-01"})


def test_a_change_goes_draft_submitted_approved_applied_with_its_history(homes, client_for):
    h = homes["comm1"]
    worker, street = client_for("community1"), client_for("street1")
    r = worker.post(f"/assistance/households/{h.pk}/change/?kind=add_member", {
        "kind": "add_member", "reason": "新生儿落户", "name": "王小", "relationship": "child",
        "id_number": "131002202401011230", "sex": "female", "birth_date": "2024-01-01",
        "labour_capacity": "none", "disability_grade": "", "submit": "1"})
    change = ChangeRequest.objects.get(household=h)
    assert r.status_code == 302 and change.state == "submitted"
    assert not h.members.filter(name="王小").exists()  # nothing changes before it is applied
    # the worker cannot approve her own request; applying before approval is refused
    worker.post(f"/assistance/changes/{change.pk}/act/", {"step": "approve"})
    street.post(f"/assistance/changes/{change.pk}/act/", {"step": "apply"})
    change.refresh_from_db()
    assert change.state == "submitted"
    street.post(f"/assistance/changes/{change.pk}/act/", {"step": "approve"})
    street.post(f"/assistance/changes/{change.pk}/act/", {"step": "apply"})
    change.refresh_from_db()
    assert change.state == "applied"
    assert h.members.filter(name="王小", relationship="child").exists()
    assert list(change.events.values_list("state", flat=True)) == [
        "draft", "submitted", "approved", "applied"]
    html = worker.get(f"/assistance/changes/{change.pk}/").content.decode()
    assert "131002202401011230" not in html and "131002********1230" in html


def test_a_change_cannot_skip_or_repeat_a_step(homes):
    User = get_user_model()
    worker, street = User.objects.get(username="community1"), User.objects.get(username="street1")
    h = homes["comm1"]
    head = h.members.get()
    change = actions.do_draft_change(worker, h, kind="add_supporter", person=head,
                                     data={"name": "王大", "relationship": "子女",
                                           "able_to_support": True}, reason="补录")
    with pytest.raises(ValidationError):
        actions.do_approve_change(street, change)  # a draft is not approved
    with pytest.raises(ValidationError):
        actions.do_apply_change(street, change)
    actions.do_submit_change(worker, change)
    with pytest.raises(PermissionDenied):
        actions.do_approve_change(worker, change)  # never one's own
    actions.do_reject_change(street, change, "材料不全")
    with pytest.raises(ValidationError):
        actions.do_approve_change(street, change)  # rejected is final
    assert not Supporter.objects.filter(person=head).exists()


def test_a_street_of_another_street_cannot_approve(homes):
    User = get_user_model()
    worker = User.objects.get(username="community1")
    change = actions.do_draft_change(worker, homes["comm1"], kind="household",
                                     data={"address": "新址"}, reason="搬家")
    actions.do_submit_change(worker, change)
    with pytest.raises(PermissionDenied):
        actions.do_approve_change(User.objects.get(username="street2"), change)
    with pytest.raises(PermissionDenied):
        actions.do_approve_change(User.objects.get(username="dept-housing"), change)
    actions.do_approve_change(User.objects.get(username="civil1"), change)


def test_a_change_with_unknown_fields_or_bad_values_is_refused_at_drafting(homes):
    worker = get_user_model().objects.get(username="community1")
    with pytest.raises(ValidationError):
        actions.do_draft_change(worker, homes["comm1"], kind="household",
                                data={"region_id": "140213001001"}, reason="x")
    with pytest.raises(ValidationError):
        actions.do_draft_change(worker, homes["comm1"], kind="add_member",
                                data={"name": "甲", "id_number": "123", "birth_date": "2000-01-01"},
                                reason="x")


def xlsx(rows: list[list]) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(template_bytes()))
    ws = wb.worksheets[0]
    for i, r in enumerate(rows, start=2):
        for j, v in enumerate(r, start=1):
            ws.cell(row=i, column=j, value=v)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def import_row(number, name, rel, idn, region, born="1970-01-01"):
    # 户编号 姓名 与户主关系 身份证号 出生日期 劳动能力 残疾等级 月收入 赡养义务人 城乡 义务人有赡养能力
    # 父母双亡或失踪 生活能自理 性别 联系电话 所在社区代码
    return [number, name, rel, idn, born, "有劳动能力", "无", "500", "无", "农村", "", "", "", "",
            "", region]


def test_the_import_is_all_or_nothing_and_in_scope(client_for):
    comm1 = community_of("community1").code
    c = client_for("community1")
    bad = xlsx([import_row("I-1", "甲", "户主", "131002197001011231", comm1),
                import_row("I-2", "乙", "户主", "131002197001011232", other_community(
                    community_of("community1")).code)])
    r = c.post("/assistance/households/import/", {"file": SimpleUploadedFile("h.xlsx", bad)})
    html = r.content.decode()
    assert '<td class="num">3</td><td>所在社区代码</td>' in html and "不是您可以登记的社区" in html
    assert not Household.objects.filter(number__startswith="I-").exists()
    good = xlsx([import_row("I-1", "甲", "户主", "131002197001011231", comm1),
                 import_row("I-1", "乙", "配偶", "131002197001011232", comm1)])
    r = c.post("/assistance/households/import/", {"file": SimpleUploadedFile("h.xlsx", good)})
    assert r.status_code == 302
    assert Household.objects.get(number="I-1").members.count() == 2
    # the same file again: every 户编号 and ID number already registered
    r = c.post("/assistance/households/import/", {"file": SimpleUploadedFile("h.xlsx", good)})
    assert "已登记" in r.content.decode() and Household.objects.filter(number="I-1").count() == 1


def test_the_back_office_is_scoped_and_masked(homes, client_for):
    c = client_for("street1")
    html = c.get("/admin/assistance/household/").content.decode()
    assert "T-C1" in html and "T-C2" in html and "T-S2" not in html and "T-PC" not in html
    html = c.get("/admin/assistance/person/").content.decode()
    assert "131002196005011234" not in html and "131002********1234" in html
    assert c.get(f"/admin/assistance/household/{homes['street2'].pk}/change/").status_code in (
        302, 403, 404)
    assert client_for("community1").get("/admin/assistance/household/").status_code in (302, 403)


def test_a_grievance_is_a_case_linked_to_the_household(homes, client_for):
    h = homes["comm1"]
    c = client_for("community1")
    r = c.post(f"/assistance/households/{h.pk}/grievance/", {
        "about": "payment", "description": "三月低保金未到账"})
    assert r.status_code == 302
    g = h.grievances.get()
    assert g.case.case_type_id == "assistance_grievance" and g.case.region_id == h.region_id
    html = c.get(f"/assistance/households/{h.pk}/").content.decode()
    assert f"/cases/{g.case_id}/" in html
    assert client_for("street2").post(f"/assistance/households/{h.pk}/grievance/", {
        "about": "payment", "description": "x"}).status_code == 404
    assert client_for("viewer1").post(f"/assistance/households/{h.pk}/grievance/", {
        "about": "payment", "description": "x"}).status_code == 404
    c.post(f"/assistance/households/{h.pk}/grievance/", {"about": "payment",
                                                          "description": "坏\u202e字"})
    assert h.grievances.count() == 1


def test_a_whole_file_with_one_hostile_cell_is_taken_whole_or_refused_whole(user):
    comm1 = community_of("community1").code
    header = [c.value for c in openpyxl.load_workbook(io.BytesIO(template_bytes())).worksheets[0][1]]
    good = import_row("W-1", "甲", "户主", "131002197001011231", comm1)
    second = import_row("W-2", "乙", "户主", "131002197001011232", comm1)
    findings = attack_whole_file(
        header[:len(good)], good, second,
        lambda content, name: import_households(user("community1"), content, name),
        Household.objects.count)
    assert not findings, "\n".join(findings)
