"""Every Excel import template the platform offers, as the user receives it: it opens, its header
is bold and frozen, the columns kept as text are text, every column with a fixed set of values
has its drop-down (and no other column has one), the 说明 sheet lists every column with whether
it is required, its format and its allowed values — and the template filled in with good rows
imports cleanly, through the same import the page and the command line use.

All templates are written by lib.tabular.template_sheet / help_sheet; one case per template."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import openpyxl
import pytest
from django.utils import timezone
from openpyxl.utils import get_column_letter

from minsheng.assistance import exchange as households
from minsheng.assistance import monitoring_exchange as monitoring
from minsheng.assistance.models import Person
from minsheng.cases import exchange as hotline
from minsheng.cases import incidents
from minsheng.cases.models import CaseType, IncidentReturn
from minsheng.employment import exchange as employment
from minsheng.employment.rules import id_check_digit
from minsheng.governance import exchange as governance
from minsheng.governance import rectification, takeovers
from minsheng.governance.models import TaskList
from minsheng.lib.tabular import HELP_SHEET, OPTIONS_SHEET, Column, header_key
from minsheng.places import exchange as places
from minsheng.places.models import Compound, FacilityCategory, Organisation, Region
from minsheng.places.scope import scope_of
from minsheng.projects import exchange as projects
from minsheng.projects.models import Plan

pytestmark = pytest.mark.django_db

DISTRICT = "131002000000"
STREET1 = "131002001"


@dataclass
class Sheet:
    name: str
    columns: tuple[Column, ...]
    rows: list[dict[str, Any]] = field(default_factory=list)  # column key → cell


@dataclass
class Template:
    content: bytes
    sheets: list[Sheet]
    load: Callable[[bytes], Any]  # imports the filled-in file, returns the result
    loaded: Callable[[Any], int]  # how many rows the result says were taken
    choices: dict[str, list[str]] = field(default_factory=dict)  # key → a list known at run time


def today() -> dt.date:
    return timezone.localdate()


def comm1() -> Region:
    return Region.objects.filter(code__startswith=STREET1, level="community").order_by("code").first()


def unique_named(qs) -> list[Compound]:
    """Compounds of `qs` whose name no other compound of the district shares."""
    names: dict[str, int] = {}
    for name in Compound.objects.filter(region__code__startswith="131002").values_list("name",
                                                                                     flat=True):
        names[name] = names.get(name, 0) + 1
    return [c for c in qs.order_by("pk") if names[c.name] == 1]


def person_id(born: dt.date, k: int) -> str:
    body = f"131002{born:%Y%m%d}{k:03d}"
    return body + id_check_digit(body)


# --- one case per template ---------------------------------------------------------------------


def places_template(kind: str) -> Callable[[Any], Template]:
    def make(user) -> Template:
        c = comm1()
        columns = {"compounds": places.COMPOUND_COLUMNS, "facilities": places.FACILITY_COLUMNS,
                   "organisations": places.ORGANISATION_COLUMNS}[kind]
        row = {
            "compounds": {"name": "模板新苑", "region": c.code, "lng": c.lng, "lat": c.lat,
                          "households": 120, "property_status": "无物业", "is_old": "是"},
            "facilities": {"name": "模板便利店", "category": "便利店", "region": c.code,
                           "lng": c.lng, "lat": c.lat, "opening_hours": "7:00-22:00"},
            "organisations": {"name": "模板调解委员会", "kind": "人民调解委员会", "region": c.code},
        }[kind]
        content, _ctype, name = places.template(kind, "xlsx")
        return Template(
            content, [Sheet(places.KIND_LABELS[kind], columns, [row])],
            lambda f: places.import_file(user("district"), kind, f, name, "wgs84"),
            lambda r: r.created,
            {"category": [c.name for c in FacilityCategory.objects.all()]}
            if kind == "facilities" else {})

    return make


def projects_template(user) -> Template:
    plan = Plan.objects.create(region_id=DISTRICT, year=2031, name="2031年安次区民心工程")
    compound = Compound.objects.in_region(STREET1).order_by("pk").first()
    content, _ctype, name = projects.project_template()
    return Template(content, [
        Sheet(projects.PROJECT_SHEET, (projects.NUMBER_COLUMN, *projects.PROJECT_COLUMNS), [{
            "number": "一(1)", "name": "模板污水治理", "area": "生态环境", "lead": "区生态环境分局",
            "target": "治理村庄污水10个", "start_date": "2031-03-01", "end_date": "2031-10-31",
            "fund_district": 2_000_000, "m1_name": "完成招标", "m1_date": "2031-05-31"}]),
        Sheet(projects.SUB_SHEET, projects.SUB_COLUMNS, [{
            "project": "模板污水治理", "name": "一村污水", "region": compound.region_id}]),
    ], lambda f: projects.import_projects(user("district"), plan, f, name),
        lambda r: r.created + r.sub_items)


def hotline_template(user) -> Template:
    compound = unique_named(Compound.objects.filter(region__code__startswith=STREET1))[0]
    called = timezone.localtime() - dt.timedelta(days=2)
    content, _ctype, name = hotline.hotline_template()
    return Template(content, [Sheet(hotline.LABEL, hotline.HOTLINE_COLUMNS, [{
        "external_id": "MB-0001", "called_at": f"{called:%Y-%m-%d %H:%M}", "case_type": "物业维修",
        "description": "单元门禁坏了", "compound": compound.name, "reporter_name": "王芳",
        "reporter_phone": "13812345678"}])],
        lambda f: hotline.import_hotline(user("street1"), f, name, "wgs84"),
        lambda r: r.created,
        {"case_type": [t.name for t in CaseType.objects.filter(active=True)]})


def incidents_template(user) -> Template:
    IncidentReturn.objects.filter(district_id=DISTRICT).delete()  # the demo's; rolled back
    district = Region.objects.get(code=DISTRICT)
    compound = Compound.objects.in_region(DISTRICT).order_by("pk").first()
    content, _ctype, name = incidents.template()
    return Template(content, [Sheet(incidents.LABEL, incidents.COLUMNS, [{
        "month": f"{incidents.this_month():%Y-%m}", "compound_id": str(compound.pk),
        "compound": compound.name, "criminal": 0, "public_order": 1}])],
        lambda f: incidents.import_returns(user("dept1"), district, f, name),
        lambda r: IncidentReturn.objects.get(district=district).counts.count())


def employment_template(user) -> Template:
    community = comm1()
    return Template(employment.template(), [Sheet(employment.SHEET, employment.COLUMNS, [{
        "name": "模板人员", "id_number": person_id(dt.date(1988, 2, 2), 917),
        "region": community.code, "kind": "失业登记",
        "date": (today() - dt.timedelta(days=20)).isoformat(), "reason": "被解除劳动合同",
        "desired_work": "收银", "hard_to_employ": "是"}])],
        lambda f: employment.import_registers(None, DISTRICT, f, "登记.xlsx"),
        lambda r: r.created)


def households_template(user) -> Template:
    region = user("community1").memberships.first().region
    member = {"relationship": "户主", "birth_date": "1970-01-01", "labour_capacity": "有劳动能力",
              "disability_grade": "无", "monthly_income": 500, "supporter": "无", "area": "农村",
              "region": region.code, "sex": "男"}
    return Template(households.template_bytes(), [Sheet(households.LABEL, households.COLUMNS, [
        {**member, "number": "MB-1", "name": "甲", "id_number": person_id(dt.date(1970, 1, 1), 913)},
        {**member, "number": "MB-1", "name": "乙", "relationship": "配偶", "sex": "女",
         "id_number": person_id(dt.date(1970, 1, 1), 924)},
    ])], lambda f: households.import_households(user("community1"), f, "户.xlsx"),
        lambda r: Person.objects.filter(household__number="MB-1").count())


def monitoring_template(user) -> Template:
    person = Person.objects.filter(region__code__startswith="131002").order_by("pk").first()
    content, _ctype, name = monitoring.list_template("medical")
    return Template(content, [Sheet(monitoring.LISTS["medical"][0], monitoring.COLUMNS, [{
        "id_number": person.id_number, "name": person.name, "amount": 20000,
        "event_date": (today() - dt.timedelta(days=3)).isoformat(), "description": "住院"}])],
        lambda f: monitoring.import_list(user("revival1"), "medical", f, name),
        lambda r: r.created + r.below + r.unregistered + r.repeated)


def rectification_template(user) -> Template:
    street = Region.objects.filter(parent_id=DISTRICT).order_by("code").first()
    unit = Organisation.objects.filter(kind=Organisation.Kind.STREET_OFFICE,
                                       region=street).order_by("pk").first()
    return Template(rectification.template_xlsx(), [
        Sheet(rectification.TaskListImport.label, rectification.COLUMNS, [{
            "area": "市容环境", "problem": "背街小巷垃圾堆放", "unit": unit.name,
            "deadline": (today() + dt.timedelta(days=60)).isoformat()}])],
        lambda f: rectification.do_import_list(
            f, "清单.xlsx", name="模板清单", kind=TaskList.Kind.CIVILISED_CITY,
            region_code=DISTRICT, by=user("district"), allowed=lambda code: True),
        lambda r: r.tasks.count())


def takeover_template(user) -> Template:
    company = Organisation.objects.get(pk=next(iter(scope_of(user("property1"))
                                                    .managed_company_ids)))
    free = unique_named(Compound.objects.filter(region__code__startswith="131002",
                                                property_status="none"))[:2]
    to = takeovers.do_create_takeover(
        name="模板接管", company=company, region_code=DISTRICT, compounds=free,
        started_on=today(), by=None,
        checklist=[{"standard": "cleaning", "requirement": "清理", "deadline": today()}])
    return Template(governance.takeover_items_template(), [
        Sheet(governance.TakeoverItemImport.label, governance.ITEM_COLUMNS, [{
            "compound": free[0].name, "standard": "设施维修", "requirement": "路灯修复完好",
            "deadline": (today() + dt.timedelta(days=30)).isoformat()}])],
        lambda f: governance.do_import_takeover_items(to, f, "接管.xlsx", by=user("district")),
        lambda r: r.created)


TEMPLATES = {
    "places-compounds": places_template("compounds"),
    "places-facilities": places_template("facilities"),
    "places-organisations": places_template("organisations"),
    "projects": projects_template,
    "cases-hotline": hotline_template,
    "cases-incidents": incidents_template,
    "employment": employment_template,
    "assistance-households": households_template,
    "assistance-monitoring": monitoring_template,
    "governance-rectification": rectification_template,
    "governance-takeover": takeover_template,
}


# --- reading a template as a user's spreadsheet program does -------------------------------------


def drop_downs(wb, ws) -> dict[int, list[str]]:
    """Column number → the values its drop-down offers (on the template's data rows)."""
    out = {}
    for dv in ws.data_validations.dataValidation:
        assert dv.type == "list"
        f = dv.formula1
        m = re.fullmatch(r"'(.+)'!\$([A-Z]+)\$1:\$([A-Z]+)\$(\d+)", f)
        if m:
            values = [c.value for (c,) in wb[m[1]][f"{m[2]}1:{m[3]}{m[4]}"]]
        else:
            values = f.strip('"').split(",")
        for rng in dv.sqref.ranges:
            assert rng.min_row == 2 and rng.max_row >= 2000 and rng.min_col == rng.max_col
            out[rng.min_col] = values
    return out


def help_rows(wb) -> dict[str, tuple]:
    """The 说明 sheet's column rows: header → (required, format, note, allowed)."""
    rows = {}
    for r in wb[HELP_SHEET].iter_rows(values_only=True):
        if r and len(r) >= 5 and r[1] in ("必填", "选填"):
            rows[str(r[0]).replace("…节点6", "")] = r[1:5]
    return rows


@pytest.mark.parametrize("name", list(TEMPLATES))
def test_the_template_explains_itself_and_offers_the_fixed_values(name, user) -> None:
    t = TEMPLATES[name](user)
    wb = openpyxl.load_workbook(io.BytesIO(t.content))
    assert HELP_SHEET in wb.sheetnames
    documented = help_rows(wb)
    for sheet in t.sheets:
        ws = wb[sheet.name]
        header = [c.value for c in ws[1]]
        assert [header_key(h) for h in header] == [header_key(c.header) for c in sheet.columns]
        assert all(c.font.b for c in ws[1]) and ws.freeze_panes == "A2"
        offered = drop_downs(wb, ws)
        for i, col in enumerate(sheet.columns, start=1):
            letter = get_column_letter(i)
            assert ws.column_dimensions[letter].width >= 6, (name, col.header)
            if col.text:
                assert ws.column_dimensions[letter].number_format == "@", (name, col.header)
            fixed = t.choices.get(col.key) or list(col.choices)
            if fixed:
                assert set(fixed) <= set(offered.get(i, [])), (name, col.header, offered.get(i))
            else:
                assert i not in offered, (name, col.header)
            if re.fullmatch(r"节点[2-6].*", col.header):
                continue  # listed once as 节点1…节点6
            required, fmt, _note, allowed = documented[col.header]
            assert required == ("必填" if col.required else "选填"), (name, col.header)
            assert fmt, (name, col.header)
            if col.choices:
                assert set(col.choices) <= set(str(allowed).split("、")), (name, col.header)
    assert all(ws.sheet_state == "hidden" for ws in wb.worksheets if ws.title == OPTIONS_SHEET)


@pytest.mark.parametrize("name", list(TEMPLATES))
def test_the_template_filled_in_imports_cleanly(name, user) -> None:
    t = TEMPLATES[name](user)
    wb = openpyxl.load_workbook(io.BytesIO(t.content))
    for sheet in t.sheets:
        ws = wb[sheet.name]
        for n, row in enumerate(sheet.rows, start=2):
            for i, col in enumerate(sheet.columns, start=1):
                if col.key in row:
                    ws.cell(row=n, column=i, value=row[col.key])
    buf = io.BytesIO()
    wb.save(buf)
    result = t.load(buf.getvalue())  # ImportRejected would list what the template got wrong
    assert t.loaded(result) == sum(len(s.rows) for s in t.sheets)


@pytest.mark.parametrize("hostile", ["=HYPERLINK(\"http://x\",\"点我\")", "<script>alert(1)</script>",
                                     "便民,超市", '引号"站', "@SUM(A1)", "控制\x07字符"])
def test_a_hostile_category_name_stays_text_in_the_drop_down(hostile, user) -> None:
    """Category names come from the database into the facility template's drop-down: markup,
    formula-like text, the list's own separator and quotes are offered as text, never evaluated,
    and the template stays a file Excel opens (no formula cell anywhere)."""
    FacilityCategory.objects.create(code="hostile", name=hostile, level=1, distance_m=300)
    content = places.template("facilities", "xlsx")[0]
    wb = openpyxl.load_workbook(io.BytesIO(content))
    category = 1 + [c.key for c in places.FACILITY_COLUMNS].index("category")
    offered = drop_downs(wb, wb[places.KIND_LABELS["facilities"]])[category]
    shown = hostile.replace("\x07", "\ufffd")
    assert shown in offered or f"'{shown}" in offered
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            assert all(c.data_type != "f" for c in row), ws.title
    # the filled-in template with the hostile category still imports through the category's code
    c = comm1()
    ws = wb[places.KIND_LABELS["facilities"]]
    for i, col in enumerate(places.FACILITY_COLUMNS, start=1):
        ws.cell(row=2, column=i, value={"name": "模板便利店", "category": "hostile",
                                        "region": c.code, "lng": c.lng, "lat": c.lat}.get(col.key))
    buf = io.BytesIO()
    wb.save(buf)
    assert places.import_file(user("district"), "facilities", buf.getvalue(), "f.xlsx",
                              "wgs84").created == 1
