"""Households in and out, on lib.tabular: the household import template (one row per person,
grouped by 户编号), the all-or-nothing import into the registry, and reading a file for
`minsheng assistance assess` (which changes no record).

The template's columns are a contract (issue 17): 户编号, 姓名, 与户主关系, 身份证号, 出生日期,
劳动能力, 残疾等级, 月收入（元）, 赡养义务人, 城乡 (城镇/农村), then optional columns.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import IO, Any

from django.db import transaction
from django.utils import timezone

from minsheng.accounts import masking
from minsheng.accounts.models import AuditLog
from minsheng.assistance import eligibility as el
from minsheng.assistance.access import registrable_regions_for
from minsheng.assistance.models import (
    Assessment,
    Household,
    IncomeItem,
    IncomeKind,
    Person,
    Supporter,
)
from minsheng.lib import tabular
from minsheng.lib.tabular import (
    XLSX_TYPE,
    CellError,
    Column,
    ImportResult,
    Row,
    TableImport,
)

__all__ = ["COLUMNS", "LABEL", "XLSX_TYPE", "AssessFile", "HouseholdImport", "import_households",
           "read_for_assessment", "template_bytes"]

LABEL = "家庭户登记"
AREAS = {"城镇": Household.Area.URBAN, "城市": Household.Area.URBAN, "urban": Household.Area.URBAN,
         "农村": Household.Area.RURAL, "rural": Household.Area.RURAL}
DISABILITY = {"无": "", "一级": "1", "二级": "2", "三级": "3", "四级": "4",
              "1": "1", "2": "2", "3": "3", "4": "4", "1级": "1", "2级": "2", "3级": "3", "4级": "4"}
NO_SUPPORTER = frozenset({"", "无", "没有", "-", "—", "／", "/"})
MAX_INCOME = 10_000_000  # 元 a month per person: anything larger is a typing error


def _id_number(t: str) -> str:
    s = tabular.norm(t).upper().replace(" ", "")
    if len(s) != 18 or not s[:17].isdigit() or not (s[17].isdigit() or s[17] == "X"):
        raise CellError(f"应为18位身份证号（最后一位可为X），收到“{t}”")
    return s


def _birth_date(t: str) -> dt.date:
    d = tabular.date()(t)
    if not dt.date(1900, 1, 1) <= d <= timezone.localdate():
        raise CellError(f"出生日期应在 1900-01-01 至今天之间，收到“{t}”")
    return d


def _money(t: str) -> Decimal:
    v = tabular.decimal(t, "金额（元）")
    if v < 0 or v > MAX_INCOME:
        raise CellError(f"应在 0～{MAX_INCOME:,} 元之间，收到“{t}”")
    return v.quantize(Decimal("0.01"))


def _choice(model_choices, extra: dict[str, str] | None = None):
    options = tabular.labels(model_choices)
    options.update(extra or {})
    return tabular.choice(options, [str(c.label) for c in model_choices])


COLUMNS: tuple[Column, ...] = (
    Column("number", "户编号", tabular.text(32), required=True, text=True,
           note="同一户的成员填写相同的户编号"),
    Column("name", "姓名", tabular.text(50), required=True),
    Column("relationship", "与户主关系", _choice(Person.Relationship), required=True,
           choices=tuple(str(c.label) for c in Person.Relationship), note="每户有且只有一位户主"),
    Column("id_number", "身份证号", _id_number, required=True, text=True, width=22,
           format="18位身份证号（文本格式）"),
    Column("birth_date", "出生日期", _birth_date, required=True, note="1900-01-01 至今天",
           format=f"日期，{tabular.DATE_HINT}"),
    Column("labour_capacity", "劳动能力", _choice(Person.Labour), required=True,
           choices=tuple(str(c.label) for c in Person.Labour)),
    Column("disability_grade", "残疾等级", tabular.choice(DISABILITY, ["无", "一级", "二级", "三级", "四级"]),
           default="", choices=("无", "一级", "二级", "三级", "四级")),
    Column("monthly_income", "月收入（元）", _money, default=Decimal(0), format="金额（元），数字",
           note="本人月均收入（近12个月），不含基本养老金、高龄津贴等不计入的收入"),
    Column("supporter", "赡养义务人", tabular.text(50), default="",
           note="法定赡养/抚养/扶养义务人姓名（可不在本户）；没有填“无”或留空"),
    Column("area", "城乡", tabular.choice(AREAS, ["城镇", "农村"]), required=True,
           choices=("城镇", "农村")),
    Column("supporter_able", "义务人有赡养能力", tabular.boolean, default=True,
           choices=("是", "否"), note="默认“是”"),
    Column("orphan", "父母双亡或失踪", tabular.boolean, default=False, choices=("是", "否")),
    Column("self_care", "生活能自理", tabular.boolean, default=True, choices=("是", "否")),
    Column("sex", "性别", _choice(Person.Sex), default="", choices=("男", "女")),
    Column("phone", "联系电话", tabular.phone, default="", text=True),
    Column("region", "所在社区代码", tabular.code, default="", text=True,
           note="12位统计用区划代码；导入系统时必填（同一户相同）"),
    Column("address", "住址", tabular.text(200), default="", width=24),
    Column("was_registered_poor", "原建档立卡户", tabular.boolean, default=False,
           choices=("是", "否")),
    Column("assets_ok", "家庭财产符合规定", tabular.boolean, default=True, choices=("是", "否"),
           note="默认“是”；同一户相同"),
    Column("rigid_spending", "刚性支出（元/年）", _money, default=Decimal(0), format="金额（元），数字",
           note="近12个月医疗、教育、残疾康复、灾害等刚性支出，可填在任一成员行，按户合计"),
    Column("emergency", "急难情形", tabular.text(100), default="",
           note="如火灾、交通事故、突发重病；没有留空"),
)
HOUSEHOLD_KEYS = ("area", "region", "address", "was_registered_poor", "assets_ok")


def template_bytes(with_region: bool = True) -> bytes:
    """The empty template (.xlsx): the header, drop-downs for fixed values, a 说明 sheet."""
    return tabular.template_xlsx(LABEL, COLUMNS, (
        "第1行为表头（带 * 的为必填列），请勿修改列名；从第2行起每行一位家庭成员，同一户填写相同的户编号。",
        "文件中只要有一处问题，整个文件都不会导入，并会列出所有问题（第几行第几列）。",
        "“minsheng assistance assess”命令读取同一模板，按地区标准测算人均收入和各项目资格，不改动任何记录。",
    ), mark_required=True)


def _age(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


_DEFAULTS = {c.key: c.default for c in COLUMNS}


def val(row: Row, key: str) -> Any:
    """A parsed cell, or the column's default when the file has no such column."""
    return row.val[key] if key in row.val else _DEFAULTS[key]


class _Households(TableImport):
    """Reads and groups the rows by 户编号, with the checks both uses share."""

    label = LABEL
    columns = COLUMNS

    def failed(self, members: list[Row]) -> bool:
        bad = {e.row for e in self.errors}
        return any(r.num in bad for r in members)

    def group(self, rows: list[Row]) -> dict[str, list[Row]]:
        groups: dict[str, list[Row]] = defaultdict(list)
        seen_ids: dict[str, int] = {}
        for row in rows:
            if "number" in row.val:
                groups[row.val["number"]].append(row)
            idn = row.val.get("id_number")
            if idn:
                if idn in seen_ids:
                    self.error(row, "id_number", f"与第{seen_ids[idn]}行的身份证号重复")
                else:
                    seen_ids[idn] = row.num
        for number, members in groups.items():
            heads = [r for r in members if r.val.get("relationship") == Person.Relationship.HEAD]
            if len(heads) != 1:
                self.error(members[0], "relationship",
                           f"户编号“{number}”应有且只有一位户主，现有 {len(heads)} 位")
            first = members[0]
            for key in HOUSEHOLD_KEYS:
                for r in members[1:]:
                    if key in r.val and key in first.val and r.val[key] != first.val[key]:
                        self.error(r, key, f"同一户（{number}）各行应相同，第{first.num}行为"
                                           f"“{first.raw.get(key, '')}”")
        return groups


@dataclass
class Assessed:
    number: str
    area: str
    household: el.Household


class AssessFile(_Households):
    """`minsheng assistance assess`: the file's households as eligibility facts (no database)."""

    def __init__(self, on: dt.date):
        super().__init__()
        self.on = on

    def resolve(self, rows: list[Row]) -> list[Assessed]:
        out = []
        for number, members in self.group(rows).items():
            if self.failed(members):
                continue  # a cell of this household failed; its error is already listed
            first = members[0]
            spending = sum((val(r, "rigid_spending") for r in members), Decimal(0))
            emergency = "；".join(val(r, "emergency") for r in members if val(r, "emergency"))
            facts = tuple(el.Member(
                name=val(r, "name"), age=_age(val(r, "birth_date"), self.on),
                labour=val(r, "labour_capacity"), disability_grade=val(r, "disability_grade"),
                monthly_income=val(r, "monthly_income"),
                has_able_supporter=(val(r, "supporter") not in NO_SUPPORTER
                                    and bool(val(r, "supporter_able"))),
                parents_deceased_or_missing=val(r, "orphan"), self_care=val(r, "self_care"),
            ) for r in members)
            out.append(Assessed(number, val(first, "area"), el.Household(
                number, facts, rigid_spending_yearly=spending,
                assets_within_rules=val(first, "assets_ok"), emergency=emergency)))
        return out

    def read_all(self, file: bytes | IO[bytes] | Path, filename: str) -> list[Assessed]:
        data = self.read(file, filename)
        rows = [self.parse(num, cells) for num, cells in data]
        pending = self.resolve(rows)
        self.reject_if_errors()
        return pending


def read_for_assessment(file: bytes | IO[bytes] | Path, filename: str,
                        on: dt.date) -> list[Assessed]:
    """The households of a template file, ages on `on`; raises ImportRejected listing every
    problem (row and column)."""
    return AssessFile(on).read_all(file, filename)


class HouseholdImport(_Households):
    """Into the registry: every household new (an existing 户编号 or ID number is refused: later
    edits go through change requests), every community in the user's registration scope."""

    def __init__(self, user, request=None):
        super().__init__()
        self.user = user
        self.request = request

    def resolve(self, rows: list[Row]) -> Any:
        if "region" not in self.positions:
            self.errors.append(tabular.file_error("导入系统时须有“所在社区代码”列"))
            return []
        groups = self.group(rows)
        allowed = set(registrable_regions_for(self.user).values_list("code", flat=True))
        taken = set(Household.objects.filter(number__in=list(groups)).values_list(
            "number", flat=True))
        ids = [val(r, "id_number") for r in rows if r.val.get("id_number")]
        known_ids = set(Person.objects.filter(id_number__in=ids).values_list("id_number",
                                                                             flat=True))
        for number, members in groups.items():
            if number in taken:
                self.error(members[0], "number", f"户编号“{number}”已登记；修改请提交变更申请")
            code = members[0].val.get("region")
            if not code:
                self.error(members[0], "region", "导入系统时必填")
            elif code not in allowed:
                self.error(members[0], "region", "不是您可以登记的社区/村")
            for r in members:
                if r.val.get("id_number") in known_ids:
                    self.error(r, "id_number", "该身份证号已登记在其他家庭户")
        return groups

    def write(self, pending: dict[str, list[Row]]) -> ImportResult:
        households = Household.objects.bulk_create([
            Household(number=number, region_id=val(m[0], "region"), area=val(m[0], "area"),
                      address=val(m[0], "address"),
                      was_registered_poor=val(m[0], "was_registered_poor"))
            for number, m in pending.items()])
        by_number = {h.number: h for h in households}
        people, supporters = [], []
        for number, members in pending.items():
            h = by_number[number]
            for r in members:
                p = Person(household=h, region_id=h.region_id, relationship=val(r, "relationship"),
                           name=val(r, "name"), id_number=val(r, "id_number"),
                           sex=val(r, "sex"), birth_date=val(r, "birth_date"),
                           phone=val(r, "phone"), labour_capacity=val(r, "labour_capacity"),
                           disability_grade=val(r, "disability_grade"),
                           parents_deceased_or_missing=val(r, "orphan"),
                           self_care=val(r, "self_care"))
                people.append(p)
                if val(r, "supporter") not in NO_SUPPORTER:
                    supporters.append((p, val(r, "supporter"), val(r, "supporter_able")))
        Person.objects.bulk_create(people)
        Supporter.objects.bulk_create([Supporter(person=p, name=name, relationship="",
                                                 able_to_support=able)
                                       for p, name, able in supporters])
        self.write_assessments(pending, by_number, people)
        return ImportResult(created=len(households), updated=0)

    def write_assessments(self, pending: dict[str, list[Row]], by_number: dict[str, Household],
                          people: list[Person]) -> None:
        """The file's 月收入 as each household's first economic assessment (12 months to today,
        one 其他收入 item per member: the template asks for counted income only)."""
        on = timezone.localdate()
        person_of = {p.id_number: p for p in people}
        assessments, rows_of = [], []
        for number, members in pending.items():
            monthly = sum((val(r, "monthly_income") for r in members), Decimal(0))
            assessments.append(Assessment(
                household=by_number[number], assessed_on=on,
                window_start=el.window_start(on, 12),
                window_end=on, months=12, members_counted=len(members),
                income_total=monthly * 12, income_counted=monthly * 12,
                rigid_spending=sum((val(r, "rigid_spending") for r in members), Decimal(0)),
                per_capita_monthly=(monthly / len(members)).quantize(Decimal("0.01"), ROUND_HALF_UP),
                assets_within_rules=val(members[0], "assets_ok"),
                emergency="；".join(val(r, "emergency") for r in members
                                   if val(r, "emergency"))[:100],
                note="导入", created_by=self.user))
            rows_of.append(members)
        Assessment.objects.bulk_create(assessments)
        IncomeItem.objects.bulk_create([
            IncomeItem(assessment=a, person=person_of[val(r, "id_number")],
                       kind=IncomeKind.OTHER, amount=val(r, "monthly_income") * 12)
            for a, members in zip(assessments, rows_of, strict=True) for r in members
            if val(r, "monthly_income")])

    def audit(self, result: ImportResult, pending: Any) -> None:
        masking.log(self.user, AuditLog.Action.IMPORT, object_type="assistance.household",
                    detail=f"导入家庭户 {result.created} 户", request=self.request)


def import_households(user, file: bytes | IO[bytes] | Path, filename: str,
                      request=None) -> ImportResult:
    with transaction.atomic():
        return HouseholdImport(user, request).run(file, filename)
