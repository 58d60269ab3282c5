"""Setting a takeover up: the district's managers create it (company, compounds without
management, livelihood project, checklist with deadlines), change its items while it is open, and
import items from Excel or CSV (all or nothing); who may and who may not."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from minsheng.accounts.models import Membership
from minsheng.accounts.roles import Role
from minsheng.governance import committees, exchange, registry, takeovers
from minsheng.governance.models import GovernanceRecord, Takeover, TakeoverItem
from minsheng.places.models import Compound, Organisation
from minsheng.places.scope import scope_of
from minsheng.projects.models import Plan, Project
from tests.hostile import attack_whole_file, csv_with

pytestmark = pytest.mark.django_db
DISTRICT = "131002000000"
OTHER = "140213000000"
START = dt.date(2026, 3, 2)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(dt.datetime(2026, 3, 2, 4, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def company(user) -> Organisation:
    return Organisation.objects.get(pk=next(iter(scope_of(user("property1"))
                                                 .managed_company_ids)))


def _free(n: int, prefix: str = "131002") -> list[Compound]:
    found = list(Compound.objects.filter(region__code__startswith=prefix,
                                         property_status="none").order_by("pk")[:n])
    assert len(found) == n
    return found


def _post_new(c, company, compounds, **over):
    data = {"name": "无物业小区接管（一期）", "company": company.pk,
            "compounds": [x.pk for x in compounds], "started_on": "2026-03-02",
            "cleaning_requirement": "楼道垃圾清理完毕", "cleaning_deadline": "2026-04-01",
            "repair_requirement": "路灯修复完好", "repair_deadline": "2026-06-30",
            "parking_requirement": "", "parking_deadline": "",
            "greening_requirement": "", "greening_deadline": ""}
    data.update(over)
    return c.post(reverse("governance:takeover-new"), data)


def _other_manager() -> Client:
    other = get_user_model().objects.create_user("pc-manager")
    Membership.objects.create(user=other, role=Role.DISTRICT_ADMIN, region_id=OTHER)
    c = Client()
    c.force_login(other)
    return c


def test_a_district_manager_sets_up_a_takeover_with_its_checklist(client_for, company) -> None:
    d = client_for("district")
    page = d.get(reverse("governance:takeovers"))
    assert reverse("governance:takeover-new") in page.content.decode()
    form = d.get(reverse("governance:takeover-new")).content.decode()
    for name in ("开荒保洁", "设施维修", "车位管理", "绿化亮化", "划定停车位"):  # offered defaults
        assert name in form
    compounds = _free(2)
    project = Project.objects.filter(plan__region_id=DISTRICT).order_by("pk").first()
    r = _post_new(d, company, compounds, project=project.pk)
    to = Takeover.objects.get(name="无物业小区接管（一期）")
    assert r.status_code == 302 and r["Location"] == reverse("governance:takeover", args=[to.pk])
    assert (to.company, to.region_id, to.started_on, to.project) == (
        company, DISTRICT, START, project)
    items = to.items.order_by("compound_id", "deadline")
    assert [(i.compound_id, i.standard, i.deadline, i.state) for i in items] == [
        (c.pk, s, day, "open") for c in compounds
        for s, day in (("cleaning", dt.date(2026, 4, 1)), ("repair", dt.date(2026, 6, 30)))]
    # the company sees it among its takeovers, and the list links the manager to its items
    assert to.name in client_for("property1").get(reverse("governance:takeovers")).content.decode()
    listed = d.get(reverse("governance:takeovers")).content.decode()
    assert reverse("governance:takeover-edit", args=[to.pk]) in listed
    assert reverse("governance:takeover-import", args=[to.pk]) in listed
    # a compound already taken over is not offered (nor accepted) for another takeover
    again = _post_new(d, company, compounds[:1], name="二期")
    assert again.status_code == 200 and not Takeover.objects.filter(name="二期").exists()


@pytest.mark.parametrize("over,message", [
    ({"cleaning_deadline": "2026-03-01"}, "完成时限不能早于接管日期"),
    ({"cleaning_requirement": "", "repair_requirement": "", "cleaning_deadline": "",
      "repair_deadline": ""}, "请至少填写一个标准项目"),
    ({"repair_requirement": ""}, "请填写质量和硬件标准"),
    ({"repair_deadline": ""}, "请填写完成时限"),
    ({"name": "接管\x07"}, ""),  # control characters refused
    ({"cleaning_requirement": "清理\n完毕"}, ""),  # one line only
])
def test_a_takeover_with_a_wrong_field_is_refused_whole(client_for, company, over,
                                                        message) -> None:
    before = (Takeover.objects.count(), TakeoverItem.objects.count())
    r = _post_new(client_for("district"), company, _free(2), **over)
    assert r.status_code == 200
    assert message in r.content.decode()
    assert (Takeover.objects.count(), TakeoverItem.objects.count()) == before


def test_only_compounds_without_management_and_companies_of_the_district(
        client_for, company) -> None:
    d = client_for("district")
    managed = Compound.objects.filter(region__code__startswith="131002").exclude(
        property_status="none").first()
    other_company = Organisation.objects.create(name="平城区物业", kind="property_company",
                                                region_id=OTHER)
    street = Organisation.objects.filter(region__code__startswith="131002").exclude(
        kind="property_company").first()
    for r in (_post_new(d, company, [managed]),
              _post_new(d, company, _free(1, "140213")),
              _post_new(d, other_company, _free(1)),
              _post_new(d, street, _free(1))):
        assert r.status_code == 200
    assert not Takeover.objects.exists()
    # another district's livelihood project is not offered, nor accepted
    plan = Plan.objects.create(region_id=OTHER, year=2026, name="平城区民生实事")
    foreign = Project.objects.create(
        plan=plan, name="平城区项目", area=Project._meta.get_field("area").choices[0][0],
        lead_department=Organisation.objects.filter(region__code__startswith="140213").first(),
        target="一项", start_date=START, end_date=START)
    assert _post_new(d, company, _free(1), project=foreign.pk).status_code == 200
    assert not Takeover.objects.exists()
    # the action refuses them too, whatever page calls it
    checklist = [{"standard": "cleaning", "requirement": "r", "deadline": START}]
    for kwargs, message in (({"compounds": [managed]}, "已有物业管理"),
                            ({"compounds": _free(1), "project": foreign}, "本区的项目"),
                            ({"compounds": _free(1), "company": other_company}, "本区的物业")):
        with pytest.raises(ValidationError, match=message):
            takeovers.do_create_takeover(**{
                "name": "x", "company": company, "region_code": DISTRICT, "started_on": START,
                "by": None, "checklist": checklist, **kwargs})
    assert not Takeover.objects.exists()


def test_markup_in_a_takeover_stays_text(client_for, company) -> None:
    d = client_for("district")
    _post_new(d, company, _free(1), name="<script>alert(1)</script>",
              cleaning_requirement="<b>清理</b>")
    to = Takeover.objects.get()
    page = d.get(reverse("governance:takeover", args=[to.pk])).content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert "<b>清理</b>" not in page


@pytest.fixture
def takeover(company) -> Takeover:
    return takeovers.do_create_takeover(
        name="接管", company=company, region_code=DISTRICT, compounds=_free(2),
        started_on=START, by=None,
        checklist=[{"standard": "cleaning", "requirement": "清理", "deadline": START},
                   {"standard": "repair", "requirement": "修复", "deadline": dt.date(2026, 5, 1)}])


def test_the_items_change_while_the_takeover_is_open(client_for, takeover) -> None:
    d = client_for("district")
    edit = reverse("governance:takeover-edit", args=[takeover.pk])
    a, b, c, e = takeover.items.order_by("compound_id", "deadline")
    assert d.get(edit).status_code == 200
    d.post(edit, {"do": "change", "item": a.pk, "requirement": "清理并建立保洁制度",
                  "deadline": "2026-03-31"})
    a.refresh_from_db()
    assert (a.requirement, a.deadline) == ("清理并建立保洁制度", dt.date(2026, 3, 31))
    r = d.post(edit, {"do": "change", "item": a.pk, "requirement": "x", "deadline": "2026-01-01"},
               follow=True)
    assert "不能早于接管日期" in r.content.decode()
    d.post(edit, {"do": "remove", "item": b.pk})
    assert not TakeoverItem.objects.filter(pk=b.pk).exists()
    # a third compound with parking added; a standard the compound has is refused
    third = takeovers.eligible_compounds(DISTRICT, takeover).exclude(
        pk__in=takeover.items.values("compound_id")).order_by("pk").first()
    d.post(edit, {"do": "add", "compounds": [third.pk], "parking_requirement": "划定车位",
                  "parking_deadline": "2026-07-01"})
    assert takeover.items.filter(compound=third, standard="parking").exists()
    r = d.post(edit, {"do": "add", "compounds": [third.pk], "parking_requirement": "再来",
                      "parking_deadline": "2026-07-01"}, follow=True)
    assert "已有这些标准项目" in r.content.decode()
    # once the company reported it done, the item is the inspection's, not the plan's
    takeovers.do_report_done(c, by=None)
    d.post(edit, {"do": "change", "item": c.pk, "requirement": "改", "deadline": "2026-09-01"})
    d.post(edit, {"do": "remove", "item": c.pk})
    c.refresh_from_db()
    assert c.requirement == "清理" and c.state == "done"
    # an item of another takeover is not reached through this one
    other = takeovers.do_create_takeover(
        name="另一个", company=takeover.company, region_code=DISTRICT,
        compounds=[takeovers.eligible_compounds(DISTRICT).order_by("pk").first()],
        started_on=START, by=None,
        checklist=[{"standard": "cleaning", "requirement": "清理", "deadline": START}])
    foreign = other.items.get()
    d.post(edit, {"do": "remove", "item": foreign.pk})
    assert TakeoverItem.objects.filter(pk=foreign.pk).exists()


def test_a_takeover_whose_items_all_passed_is_closed(client_for, takeover) -> None:
    takeover.items.update(state="passed", done_on=START)
    d = client_for("district")
    edit = reverse("governance:takeover-edit", args=[takeover.pk])
    page = d.get(edit).content.decode()
    assert "已全部检查达标" in page and 'value="add"' not in page
    item = takeover.items.first()
    d.post(edit, {"do": "change", "item": item.pk, "requirement": "改", "deadline": "2026-09-01"})
    item.refresh_from_db()
    assert item.requirement != "改"


def test_who_may_not_set_up_or_change_a_takeover(client_for, takeover) -> None:
    item = takeover.items.first()
    urls = [reverse("governance:takeover-edit", args=[takeover.pk]),
            reverse("governance:takeover-import", args=[takeover.pk])]
    for name in ("property1", "street1", "community1", "resident1", "viewer1"):
        c = client_for(name)
        assert c.get(reverse("governance:takeover-new")).status_code == 403
        assert c.get(reverse("governance:takeover-template")).status_code == 403
        for url in urls:
            assert c.get(url).status_code == 404
            assert c.post(url, {"do": "remove", "item": item.pk}).status_code == 404
    # the company and the street still read it (their pages) but see no link to change it
    page = client_for("property1").get(reverse("governance:takeover", args=[takeover.pk]))
    assert page.status_code == 200 and urls[0] not in page.content.decode()
    pc = _other_manager()
    assert pc.get(reverse("governance:takeover-new")).status_code == 200  # its own district
    for url in urls:
        assert pc.get(url).status_code == 404
        assert pc.post(url, {"do": "remove", "item": item.pk}).status_code == 404
    # 平城区's manager is offered none of 安次区's compounds or companies
    form = pc.get(reverse("governance:takeover-new")).content.decode()
    assert f'value="{takeover.company.pk}"' not in form
    assert f'value="{item.compound_id}"' not in form
    assert TakeoverItem.objects.filter(pk=item.pk).exists()


# --- the import ------------------------------------------------------------------------------

HEADER = ["小区", "标准项目", "质量和硬件标准", "完成时限"]


def _unique_free(to: Takeover, n: int) -> list[Compound]:
    """Compounds the takeover may add whose names are unique in the district (a file names
    compounds by name)."""
    free = takeovers.eligible_compounds(DISTRICT, to).exclude(
        pk__in=to.items.values("compound_id")).order_by("pk")[:100]
    found = [c for c in free if Compound.objects.filter(
        region__code__startswith="131002", name=c.name).count() == 1][:n]
    assert len(found) == n
    return found


def _upload(c, to, content: bytes, name: str = "items.csv"):
    f = io.BytesIO(content)
    f.name = name
    return c.post(reverse("governance:takeover-import", args=[to.pk]), {"file": f}, follow=True)


def test_items_imported_for_an_existing_takeover(client_for, takeover) -> None:
    d = client_for("district")
    tpl = d.get(reverse("governance:takeover-template"))
    ws = openpyxl.load_workbook(io.BytesIO(tpl.content)).active
    assert [c.value for c in ws[1]] == HEADER
    own = takeover.items.order_by("compound_id", "deadline").first()
    [new] = _unique_free(takeover, 1)
    content = csv_with(HEADER, [[own.compound.name, "开荒保洁", "=HYPERLINK(\"x\")", "2026年4月"],
                                [new.name, "车位管理", "划定车位", "2026-08-01"]])
    r = _upload(d, takeover, content)
    assert "新增 1 项，修改 1 项" in r.content.decode()
    own.refresh_from_db()
    assert own.requirement == '=HYPERLINK("x")' and own.deadline == dt.date(2026, 4, 30)
    assert takeover.items.filter(compound=new, standard="parking",
                                 deadline=dt.date(2026, 8, 1)).exists()


def test_one_bad_row_refuses_the_whole_file_with_its_row_and_column(client_for,
                                                                    takeover) -> None:
    d = client_for("district")
    own = takeover.items.order_by("compound_id", "deadline").first()
    managed = Compound.objects.filter(region__code__startswith="131002").exclude(
        property_status="none").first()
    before = list(takeover.items.values_list("pk", "requirement", "deadline"))
    content = csv_with(HEADER, [[own.compound.name, "开荒保洁", "改过的标准", "2026-04-30"],
                                [own.compound.name, "设施维修", "修复", "2026-02-01"],
                                [managed.name, "车位管理", "车位", "2026-08-01"],
                                ["不存在的小区", "绿化亮化", "绿化", "2026-08-01"],
                                [own.compound.name, "洗车", "洗车", "2026-08-01"]])
    page = _upload(d, takeover, content).content.decode()
    assert "文件未导入" in page
    for expected in ("不能早于接管日期", "已有物业管理或已在其他接管中", "本区没有这个小区",
                     "应为"):
        assert expected in page
    assert list(takeover.items.values_list("pk", "requirement", "deadline")) == before
    # a company's item reported done is not rewritten by a file
    takeovers.do_report_done(own, by=None)
    page = _upload(d, takeover, csv_with(HEADER, [[own.compound.name, "开荒保洁", "改",
                                                   "2026-04-30"]])).content.decode()
    assert "企业已报完成或已检查，不能修改" in page


def test_a_whole_file_with_one_hostile_cell_is_taken_whole_or_refused_whole(user,
                                                                            takeover) -> None:
    unique = [c.name for c in _unique_free(takeover, 2)]
    good = [unique[0], "开荒保洁", "清理完毕", "2026-04-01"]
    second = [unique[1], "设施维修", "修复完好", "2026-06-30"]
    findings = attack_whole_file(
        HEADER, good, second,
        lambda content, name: exchange.do_import_takeover_items(takeover, content, name,
                                                                by=user("district")),
        TakeoverItem.objects.count)
    assert not findings, "\n".join(findings)


# --- the governance registry follows the takeover ---------------------------------------------

def _managed(prefix: str, day: dt.date) -> int:
    return Compound.objects.filter(region__code__startswith=prefix).filter(
        registry.conditions_on(day)["managed"]).count()


def test_a_takeover_switches_its_compounds_to_the_company_from_its_start(client_for,
                                                                         company) -> None:
    d = client_for("district")
    a, b = _free(2)
    start = dt.date(2026, 4, 1)  # next month: decided now, from its start
    before_today, before_start = _managed("131002", START), _managed("131002", start)
    r = _post_new(d, company, [a, b], started_on="2026-04-01",
                  cleaning_deadline="2026-05-01")
    assert r.status_code == 302, r.content.decode()[:800]
    to = Takeover.objects.get()
    for c in (a, b):
        row = GovernanceRecord.objects.get(compound=c, valid_to__isnull=True)
        assert (row.valid_from, row.form, row.property_company) == (start, "company", company)
        assert GovernanceRecord.objects.get(compound=c, valid_to=start).form == "none"
        c.refresh_from_db()  # not the company's yet: it starts next month
        assert (c.property_status, c.property_company) == ("none", None)
    assert _managed("131002", START) == before_today  # not before its start
    assert _managed("131002", start) == before_start + 2
    history = d.get(reverse("governance:registry-compound", args=[a.pk])).content.decode()
    assert "2026-04-01" in history and "无物业小区接管" in history
    # until then the registry says why it takes no earlier change (a cadre sent down today)
    with pytest.raises(ValidationError, match="不能再登记此前的变更"):
        committees.do_add_cadre(b, name="王干部", unit="区委组织部", full_time=True,
                                started_on=START, by=None)
    # a compound taken out before the start goes back to how it was governed
    edit = reverse("governance:takeover-edit", args=[to.pk])
    for item in to.items.filter(compound=a):
        r = d.post(edit, {"do": "remove", "item": item.pk}, follow=True)
    assert "治理登记恢复为原管理形式" in r.content.decode()
    a.refresh_from_db()
    assert (a.property_status, a.property_company) == ("none", None)
    assert not GovernanceRecord.objects.filter(compound=a, valid_from=start).exists()
    assert GovernanceRecord.objects.get(compound=a, valid_to__isnull=True).form == "none"
    assert _managed("131002", start) == before_start + 1
    # and may join another takeover
    assert a in takeovers.eligible_compounds(DISTRICT)
    b.refresh_from_db()
    assert (b.property_status, b.property_company) == ("none", None)
    assert registry.management_on(b)["scheduled"]["on"] == start


def test_a_future_takeover_shows_the_company_only_from_its_start(client_for, company) -> None:
    """Decided today, starting next month: until then the compound is not the company's (its
    fields, the registry, the pages, the company's own scope, the routing of its cases), the pages
    say when the takeover starts; from the start day the company manages it."""
    [c] = _free(1)
    start = dt.date(2026, 4, 1)
    takeovers.do_create_takeover(
        name="接管", company=company, region_code=DISTRICT, compounds=[c], started_on=start,
        by=None, checklist=[{"standard": "cleaning", "requirement": "清理", "deadline": start}])
    places_page = reverse("places:compound", args=[c.pk])
    registry_page = reverse("governance:registry-compound", args=[c.pk])
    note = "接管将于 2026-04-01 开始"
    for day in (START, dt.date(2026, 3, 31)):
        with time_machine.travel(dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC),
                                 tick=False):
            d, pc = client_for("district"), client_for("property1")
            assert registry.apply_due() == 0
            c.refresh_from_db()
            assert (c.property_status, c.property_company) == ("none", None)
            now = registry.management_on(c)
            assert (now["form"], now["property_company"]) == ("none", None)
            assert registry.current_values(c)["form"] == "none"
            for html in (d.get(places_page).content.decode(),
                         d.get(registry_page).content.decode()):
                assert note in html and company.name in html  # named as the one to come
            listed = d.get(reverse("governance:registry")).content.decode()
            assert note in listed
            assert pc.get(places_page).status_code == 404  # not among the company's yet
    with time_machine.travel(dt.datetime(2026, 4, 1, 0, 10, tzinfo=dt.UTC), tick=False):
        d, pc = client_for("district"), client_for("property1")
        assert registry.apply_due() == 1  # the recurring job (web/jobs.py) on the start day
        assert registry.apply_due() == 0
        c.refresh_from_db()
        assert (c.property_status, c.property_company) == ("company", company)
        now = registry.management_on(c)
        assert (now["form"], now["property_company"], now["scheduled"]) == (
            "company", company, None)
        for html in (d.get(places_page).content.decode(),
                     d.get(registry_page).content.decode()):
            assert note not in html and company.name in html
        assert pc.get(places_page).status_code == 200  # the company's compound now


def test_a_compound_taken_out_after_the_start_stays_the_companys_in_the_registry(
        company) -> None:
    [c] = _free(1)
    to = takeovers.do_create_takeover(
        name="接管", company=company, region_code=DISTRICT, compounds=[c], started_on=START,
        by=None, checklist=[{"standard": "cleaning", "requirement": "清理", "deadline": START}])
    with time_machine.travel(dt.datetime(2026, 3, 10, 4, tzinfo=dt.UTC), tick=False):
        assert takeovers.do_remove_item(to.items.get(), by=None) is False
    c.refresh_from_db()
    assert c.property_status == "company"
    assert GovernanceRecord.objects.get(compound=c, valid_to__isnull=True).valid_from == START


def test_a_compound_added_by_the_import_is_switched_too(client_for, takeover) -> None:
    [new] = _unique_free(takeover, 1)
    r = _upload(client_for("district"), takeover,
                csv_with(HEADER, [[new.name, "车位管理", "划定车位", "2026-08-01"]]))
    assert "新增 1 项" in r.content.decode()
    new.refresh_from_db()
    assert (new.property_status, new.property_company) == ("company", takeover.company)


def test_a_takeover_is_refused_whole_when_a_compounds_registry_changed_after_its_start(
        company) -> None:
    a, b = _free(2)
    registry.do_change_governance(b, on=START, by=None, property_managers=1)
    with pytest.raises(ValidationError, match=b.name):
        takeovers.do_create_takeover(
            name="接管", company=company, region_code=DISTRICT, compounds=[a, b],
            started_on=dt.date(2026, 3, 1), by=None,
            checklist=[{"standard": "cleaning", "requirement": "清理", "deadline": START}])
    assert not Takeover.objects.exists()
    a.refresh_from_db()
    assert a.property_status == "none"
