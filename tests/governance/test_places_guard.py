"""Places may not contradict governance: where the registry holds a compound's history or the
street approved its committee, places' compound form, JSON API and table import refuse a change
of the governed fields (management form and company, committee, its head, the party secretary
heading it) that says otherwise, naming the governance page; the import refuses the whole file.
The rule is governance's (committees.compound_edit_problems), asked through places.hooks."""

from __future__ import annotations

import datetime as dt
import io
import json

import openpyxl
import pytest
import time_machine
from django.urls import reverse

from minsheng.governance import committees, registry, takeovers
from minsheng.places import exchange, hooks
from minsheng.places.exchange import ImportRejected
from minsheng.places.models import Compound, Organisation, Region
from minsheng.places.scope import scope_of
from tests.hostile import CONTROL, FORMULAS, XSS

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 6, 1, 4, tzinfo=dt.UTC)
D = "131002000000"
START = dt.date(2026, 7, 1)  # a takeover decided now, starting next month
HEADERS = ["小区名称", "所属社区/村区划代码", "经度", "纬度", "户数", "物业管理状态", "物业服务企业",
           "业委会/物管会", "主任", "主任由党支部书记担任"]
GOVERNED = ("property_status", "property_company_id", "committee", "committee_head",
            "head_is_party_secretary")


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(NOW, tick=False):
        yield


def _community() -> Region:
    street = Region.objects.filter(parent_id=D).order_by("code")[0]
    return Region.objects.filter(parent=street).order_by("code").first()


@pytest.fixture
def elected(user) -> Compound:
    """A compound whose owners' committee the street approved: chair 张主任, party secretary."""
    c = Compound.objects.filter(region=_community(), committee="").order_by("pk").first()
    e = committees.do_record_election(
        c, committee="owners", held_on=dt.date(2026, 3, 20), turnout=70, by=None, submit=True,
        members=[{"name": "张主任", "role": "chair", "is_party_secretary": True,
                  "phone": "13812345678"},
                 {"name": "李委员", "role": "member", "is_party_secretary": False}])
    committees.do_approve_election(e, on=dt.date(2026, 4, 1), by=user("street1"))
    c.refresh_from_db()
    return c


@pytest.fixture
def company(user) -> Organisation:
    return Organisation.objects.get(pk=next(iter(scope_of(user("property1"))
                                                 .managed_company_ids)))


@pytest.fixture
def scheduled(company) -> Compound:
    """A compound without management, taken over by `company` from next month."""
    c = Compound.objects.filter(region__code__startswith=_community().code[:9],
                                property_status="none").order_by("pk").first()
    takeovers.do_create_takeover(
        name="接管", company=company, region_code=D, compounds=[c], started_on=START, by=None,
        checklist=[{"standard": "cleaning", "requirement": "清理", "deadline": START}])
    c.refresh_from_db()
    return c


def _state(c: Compound) -> dict:
    return Compound.objects.filter(pk=c.pk).values(*GOVERNED, "households").get()


def _other_company(company: Organisation) -> Organisation:
    return Organisation.objects.filter(kind="property_company", region_id=D).exclude(
        pk=company.pk).order_by("pk").first()


# --- the rule ---------------------------------------------------------------------------------

def test_the_rule_is_governances_and_places_asks_it_through_its_hook(elected,
                                                                     scheduled) -> None:
    assert committees.compound_edit_problems in hooks._compound_checks  # noqa: SLF001
    # unchanged governed values, new compounds, and compounds governance knows nothing of pass
    assert hooks.compound_problems(elected, {f: getattr(elected, f) for f in (
        "committee", "committee_head", "head_is_party_secretary", "property_status")}) == {}
    assert hooks.compound_problems(None, {"committee": "management"}) == {}
    plain = Compound.objects.filter(governance_records__isnull=True,
                                    committee_members__isnull=True).order_by("pk").first()
    assert hooks.compound_problems(plain, {"committee": "management",
                                           "committee_head": "新主任"}) == {}
    found = hooks.compound_problems(elected, {"committee": "management",
                                              "committee_head": "王五",
                                              "head_is_party_secretary": False})
    assert set(found) == {"committee", "committee_head", "head_is_party_secretary"}
    page = reverse("governance:registry-compound", args=[elected.pk])
    assert page in found["committee"][0]
    assert "张主任" in found["committee_head"][0]
    assert reverse("governance:registry-committee", args=[elected.pk]) in \
        found["committee_head"][0]
    # a takeover that has not started: the compound is not the company's yet, and places may
    # not make it anyone's
    said = hooks.compound_problems(scheduled, {"property_status": "company"})
    assert "接管将于 2026-07-01 开始" in said["property_status"][0]


# --- the form ---------------------------------------------------------------------------------

def _form_data(c: Compound, **over) -> dict:
    data = {"name": c.name, "region": c.region_id, "grid": c.grid_id or "",
            "address": c.address, "lat": c.lat, "lng": c.lng, "year_built": c.year_built or "",
            "buildings": c.buildings, "households": c.households, "population": c.population,
            "property_status": c.property_status, "property_company": c.property_company_id or "",
            "committee": c.committee, "committee_head": c.committee_head,
            "committee_head_phone": c.committee_head_phone,
            "head_is_party_secretary": "on" if c.head_is_party_secretary else "",
            "is_old": "on" if c.is_old else "", "renovation_class": c.renovation_class,
            "smart_safety": "on" if c.smart_safety else ""}
    data.update(over)
    return {k: v for k, v in data.items() if v != "" or k in ("committee", "committee_head")}


@pytest.mark.parametrize("over,field,says", [
    ({"committee": "management"}, "committee", "小区治理登记"),
    ({"committee_head": "王五"}, "committee_head", "张主任"),
    ({"head_is_party_secretary": ""}, "head_is_party_secretary", "小区治理登记"),
    ({"committee": "", "head_is_party_secretary": ""}, "committee", "小区治理登记"),
    ({"property_status": "none"}, "property_status", "小区治理登记"),
])
def test_the_compound_form_refuses_what_governance_contradicts(client_for, elected, over,
                                                               field, says) -> None:
    before = _state(elected)
    url = reverse("places:compound-edit", args=[elected.pk])
    if over.get("property_status") == "none" and elected.property_status == "none":
        over = {"property_status": "owners_committee"}
    r = client_for("district").post(url, _form_data(elected, households=999, **over))
    assert r.status_code == 200
    form = r.context["form"]
    assert field in form.errors, form.errors
    assert says in " ".join(form.errors[field])
    assert _state(elected) == before  # nothing written, the households neither


def test_the_compound_form_saves_a_change_that_leaves_governance_alone(client_for,
                                                                       elected) -> None:
    r = client_for("district").post(reverse("places:compound-edit", args=[elected.pk]),
                                    _form_data(elected, households=321))
    assert r.status_code == 302, r.context["form"].errors
    after = _state(elected)
    assert after["households"] == 321 and after["committee_head"] == "张主任"


def test_the_compound_page_points_to_the_registry(client_for, elected) -> None:
    html = client_for("street1").get(reverse("places:compound", args=[elected.pk])
                                     ).content.decode()
    assert reverse("governance:registry-compound", args=[elected.pk]) in html
    # those who do not read the registry get the pointer without the link
    html = client_for("resident1").get(reverse("places:compound", args=[elected.pk]))
    assert reverse("governance:registry-compound", args=[elected.pk]) not in \
        html.content.decode()


@pytest.mark.parametrize("bad", [*XSS, *FORMULAS])
def test_the_form_refuses_hostile_heads_without_echoing_them(client_for, elected, bad) -> None:
    before = _state(elected)
    r = client_for("district").post(reverse("places:compound-edit", args=[elected.pk]),
                                    _form_data(elected, committee_head=bad))
    assert r.status_code == 200
    assert "committee_head" in r.context["form"].errors
    assert "<script>alert(1)</script>" not in r.content.decode()
    assert _state(elected) == before


# --- the API ----------------------------------------------------------------------------------

@pytest.mark.parametrize("body,field", [
    ({"committee_head": "王五"}, "committee_head"),
    ({"committee": "management"}, "committee"),
    ({"head_is_party_secretary": False}, "head_is_party_secretary"),
    ({"property_status": "none", "households": 7}, "property_status"),
])
def test_the_api_refuses_what_governance_contradicts(client_for, elected, body,
                                                     field) -> None:
    before = _state(elected)
    if body.get("property_status") == elected.property_status:
        body = {**body, "property_status": "management_committee"}
    r = client_for("street1").patch(f"/api/compounds/{elected.pk}/", body,
                                    content_type="application/json")
    assert r.status_code == 400, r.content
    assert field in r.json() and "小区治理登记" in "".join(r.json()[field]) or \
        "业委会/物管会页面" in "".join(r.json()[field])
    assert _state(elected) == before


def test_the_api_refuses_a_company_before_a_takeover_starts(client_for, scheduled,
                                                            company) -> None:
    before = _state(scheduled)
    other = _other_company(company)
    c = client_for("district")
    for body in ({"property_status": "company", "property_company": company.pk},
                 {"property_status": "company", "property_company": other.pk}):
        r = c.patch(f"/api/compounds/{scheduled.pk}/", body, content_type="application/json")
        assert r.status_code == 400, r.content
        assert "接管将于 2026-07-01 开始" in "".join(r.json()["property_status"])
    assert _state(scheduled) == before
    r = c.patch(f"/api/compounds/{scheduled.pk}/", {"households": 88},
                content_type="application/json")
    assert r.status_code == 200 and _state(scheduled)["households"] == 88
    # from the start day the company manages it (the recurring job) and places agrees
    with time_machine.travel(dt.datetime(2026, 7, 1, 4, tzinfo=dt.UTC), tick=False):
        registry.apply_due()
        assert _state(scheduled)["property_company_id"] == company.pk
        c = client_for("district")
        r = c.patch(f"/api/compounds/{scheduled.pk}/", {"property_company": other.pk},
                    content_type="application/json")
        assert r.status_code == 400
        assert _state(scheduled)["property_company_id"] == company.pk


@pytest.mark.parametrize("bad", [*XSS, *FORMULAS, *CONTROL])
def test_the_api_refuses_hostile_heads(client_for, elected, bad) -> None:
    before = _state(elected)
    r = client_for("street1").patch(f"/api/compounds/{elected.pk}/", {"committee_head": bad},
                                    content_type="application/json")
    assert r.status_code == 400
    assert bad not in r.content.decode()
    assert _state(elected) == before


def test_the_api_creates_a_compound_with_its_committee(client_for) -> None:
    community = _community()
    r = client_for("street1").post("/api/compounds/", {
        "name": "新登记小区", "region": community.code, "lat": community.lat or 39.5,
        "lng": community.lng or 116.7, "committee": "owners", "committee_head": "赵主任"},
        content_type="application/json")
    assert r.status_code == 201, r.content


# --- the import -------------------------------------------------------------------------------

def _file(rows: list[list]) -> bytes:
    wb = openpyxl.Workbook()
    wb.active.append(HEADERS)
    for r in rows:
        wb.active.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _row(c: Compound, **over) -> list:
    values = {"小区名称": c.name, "所属社区/村区划代码": c.region_id, "经度": c.lng, "纬度": c.lat,
              "户数": c.households, "物业管理状态": c.get_property_status_display(),
              "物业服务企业": c.property_company.name if c.property_company_id else None,
              "业委会/物管会": c.get_committee_display() if c.committee else None,
              "主任": c.committee_head or None,
              "主任由党支部书记担任": "是" if c.head_is_party_secretary else "否"}
    values.update(over)
    return [values[h] for h in HEADERS]


def test_an_import_that_contradicts_governance_is_refused_whole(user, elected) -> None:
    neighbour = Compound.objects.filter(region=elected.region).exclude(pk=elected.pk).exclude(
        governance_records__isnull=False).order_by("pk").first()
    before = (_state(elected), _state(neighbour))
    content = _file([_row(neighbour, 户数=neighbour.households + 5),
                     _row(elected, 主任="王五", **{"业委会/物管会": "物业管理委员会"})])
    with pytest.raises(ImportRejected) as caught:
        exchange.import_file(user("street1"), "compounds", content, "小区.xlsx", "wgs84")
    errors = {(e.row, e.column): e.message for e in caught.value.errors}
    assert set(errors) == {(3, "主任"), (3, "业委会/物管会")}, errors
    assert "张主任" in errors[(3, "主任")]
    assert "小区治理登记" in errors[(3, "业委会/物管会")]
    assert (_state(elected), _state(neighbour)) == before  # not even the good row


def test_an_import_that_agrees_with_governance_is_imported(user, elected) -> None:
    content = _file([_row(elected, 户数=elected.households + 5)])
    result = exchange.import_file(user("street1"), "compounds", content, "小区.xlsx", "wgs84")
    assert result.updated == 1
    assert _state(elected)["households"] == elected.households + 5


def test_an_import_cannot_give_a_compound_away_before_its_takeover(user, scheduled,
                                                                   company) -> None:
    before = _state(scheduled)
    content = _file([_row(scheduled, 物业管理状态="物业公司",
                          物业服务企业=_other_company(company).name)])
    with pytest.raises(ImportRejected) as caught:
        exchange.import_file(user("district"), "compounds", content, "小区.xlsx", "wgs84")
    messages = " ".join(e.message for e in caught.value.errors)
    assert "接管将于 2026-07-01 开始" in messages
    assert _state(scheduled) == before


@pytest.mark.parametrize("bad", [*XSS, *FORMULAS])
def test_an_import_refuses_hostile_heads_whole(user, elected, bad) -> None:
    before = _state(elected)
    with pytest.raises(ImportRejected) as caught:
        exchange.import_file(user("street1"), "compounds", _file([_row(elected, 主任=bad)]),
                             "小区.xlsx", "wgs84")
    errors = caught.value.errors
    assert errors and all(bad not in e.message for e in errors)
    if not bad.startswith("="):  # a formula is refused as the file's, before any row
        assert [e.column for e in errors] == ["主任"]
    assert _state(elected) == before


# --- the back office --------------------------------------------------------------------------

def test_the_back_office_refuses_what_governance_contradicts(client_for, elected) -> None:
    c = client_for("district")
    url = f"/admin/places/compound/{elected.pk}/change/"
    form = c.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k in form.fields}
    data = {k: (v.pk if hasattr(v, "pk") else v) for k, v in data.items()}
    data = {k: ("on" if v is True else json.dumps(v) if isinstance(v, dict | list) else v)
            for k, v in data.items() if v is not False}
    before = _state(elected)
    r = c.post(url, {**data, "committee_head": "王五"})
    assert r.status_code == 200
    assert "张主任" in " ".join(r.context["adminform"].form.errors.get("committee_head", []))
    assert _state(elected) == before
    r = c.post(url, {**data, "households": 654})
    assert r.status_code == 302, r.context["adminform"].form.errors
    assert _state(elected)["households"] == 654


# --- where the change is recorded instead ------------------------------------------------------

def test_the_registry_page_records_a_change_of_company(client_for, elected, company) -> None:
    now = registry.current_values(elected)
    page = reverse("governance:registry-compound", args=[elected.pk])
    base = {"on": "2026-06-01", "form": "company", "committee": now["committee"],
            "election_date": now["election_date"].isoformat(), "turnout": str(now["turnout"]),
            "street_approved": "on", "has_party_branch": "on", "head_is_party_secretary": "on",
            "cadre_unit": "", "property_managers": "2", "note": "更换物业"}
    d = client_for("district")
    r = d.post(page, base)  # 物业公司 without a company
    assert r.status_code == 200 and "property_company" in r.context["form"].errors
    r = d.post(page, {**base, "property_company": company.pk})
    assert r.status_code == 302, r.context["form"].errors
    assert _state(elected)["property_status"] == "company"
    assert _state(elected)["property_company_id"] == company.pk
    assert registry.record_on(elected, dt.date(2026, 6, 1)).property_company == company
    assert registry.record_on(elected, dt.date(2026, 5, 31)).property_company_id != company.pk \
        or now["property_company"] == company
