"""The monthly real-name registers (实名制就业失业登记月报) in and out, on minsheng/lib/tabular.py.

One row is one registration: 失业登记 (a person registered unemployed on a date, with the reason,
desired work and priority groups) or 就业登记 (a person in work from a date, which ends that
person's open unemployment registration). People are found in the shared registry by ID number
and added (without a household) when new. Rows are applied in date order, so a register may
hold a person's unemployment and, later that month, the job that ended it.

All or nothing like every import: every row is checked (cells by lib.tabular, the rules of
registration by employment/actions.py's register_* functions, the same the pages use), every
problem is reported as “第N行 第M列（列名）：问题”, and nothing is written unless the whole file is
right. Imported into a region the importer serves (MANAGE_EMPLOYMENT there); the command line acts
as the operator (no user) and is audited as such.
"""

from __future__ import annotations

import io
from typing import Any

import openpyxl
from django.core.exceptions import ValidationError
from django.utils import timezone

from minsheng.accounts import masking
from minsheng.accounts.models import AuditLog
from minsheng.assistance.models import Person
from minsheng.employment import actions, rules
from minsheng.employment.access import can_export, can_manage, unemployments_for
from minsheng.employment.models import Employment, Unemployment
from minsheng.lib import tabular
from minsheng.lib.tabular import (
    DATE_HINT,
    XLSX_TYPE,
    CellError,
    Column,
    ImportResult,
    Row,
    TableImport,
    append_row,
    style_header,
)
from minsheng.places.models import Region

XLSX = XLSX_TYPE
SHEET = "就业失业登记"
UNEMPLOYED, EMPLOYED = "unemployment", "employment"


def id_number(t: str) -> str:
    s = tabular.norm(t).replace(" ", "").upper()
    if not rules.id_valid(s):
        raise CellError(f"应为18位身份证号且校验码正确，收到“{t}”")
    if rules.birth_of_id(s) is None:
        raise CellError(f"身份证号中的出生日期无效，收到“{t}”")
    return s


def _date(t: str):
    d = tabular.date()(t)
    if not 1950 <= d.year <= 2100:
        raise CellError(f"日期不合理（{DATE_HINT}），收到“{t}”")
    return d


def _bool(key: str, header: str) -> Column:
    return Column(key, header, tabular.boolean, default=False, choices=("是", "否"), width=10,
                  note="填“是”或“否”，空白为否")


KINDS = {"失业登记": UNEMPLOYED, "失业": UNEMPLOYED, "就业登记": EMPLOYED, "就业": EMPLOYED}
COLUMNS = (
    Column("name", "姓名", tabular.text(50), required=True, width=10),
    Column("id_number", "身份证号", id_number, required=True, width=22, text=True,
           format="18位身份证号（文本格式）", note="18位，最后一位可为X"),
    Column("phone", "联系电话", tabular.phone, width=16, text=True),
    Column("region", "社区区划代码", tabular.code, required=True, width=16, text=True,
           note="12位统计用区划代码，须在导入的区划之内"),
    Column("kind", "登记类型", tabular.choice(KINDS, ("失业登记", "就业登记")), required=True,
           choices=("失业登记", "就业登记"), width=12),
    Column("date", "登记日期", _date, required=True, width=14, format=f"日期，{DATE_HINT}",
           note="1950—2100 年之间"),
    Column("reason", "失业原因", tabular.choice(tabular.labels(Unemployment.Reason),
                                            map(str, Unemployment.Reason.labels)),
           choices=tuple(map(str, Unemployment.Reason.labels)), default="", width=16, note="失业登记必填"),
    Column("desired_work", "求职意向", tabular.text(100), default="", width=16),
    Column("graduate_year", "离校年份", tabular.year, width=10, note="高校毕业生填离校年份"),
    _bool("veteran", "退役军人"),
    _bool("hard_to_employ", "就业困难人员"),
    _bool("out_of_poverty", "脱贫劳动力"),
    _bool("disabled", "残疾人"),
    _bool("zero_employment_household", "零就业家庭"),
    Column("job_kind", "就业形式", tabular.choice(tabular.labels(Employment.Kind),
                                              map(str, Employment.Kind.labels)),
           choices=tuple(map(str, Employment.Kind.labels)), default=Employment.Kind.UNIT, width=16,
           note="就业登记填写，空白为单位就业"),
    Column("employer_name", "用人单位", tabular.text(200), default="", width=22),
)


class RegisterImport(TableImport):
    label = SHEET
    columns = COLUMNS

    def __init__(self, user, region_code: str, request=None) -> None:
        super().__init__()
        self.user, self.region_code, self.request = user, region_code, request

    def resolve(self, rows: list[Row]) -> Any:
        prefix = _prefix(self.region_code)
        codes = {r.val["region"] for r in rows if r.val.get("region")}
        communities = {r.code: r for r in Region.objects.filter(
            code__in=codes, level=Region.Level.COMMUNITY)}
        seen: dict[tuple[str, str, Any], int] = {}
        today = timezone.localdate()
        ok = []
        for r in rows:
            v = r.val
            code = v.get("region")
            if code and code not in communities:
                self.error(r, "region", "不是已登记的社区/村区划代码")
            elif code and not code.startswith(prefix):
                self.error(r, "region", f"不在导入的区划（{self.region_code}）之内")
            if v.get("date") and v["date"] > today:
                self.error(r, "date", "登记日期不能晚于今天")
            if v.get("kind") == UNEMPLOYED and "reason" in v and not v["reason"]:
                self.error(r, "reason", "失业登记须填写失业原因")
            birth = rules.birth_of_id(v["id_number"]) if v.get("id_number") else None
            if birth and v.get("date") and v.get("kind") == UNEMPLOYED and \
                    rules.age_on(birth, v["date"]) < 16:
                self.error(r, "id_number", "未满16周岁，不能办理失业登记")
            key = (v.get("id_number"), v.get("kind"), v.get("date"))
            if None not in key:
                if key in seen:
                    self.error(r, "id_number", f"与第{seen[key]}行重复")
                seen[key] = r.num
            if all(v.get(k) for k in ("name", "id_number", "kind", "date")) and \
                    code in communities:
                v["region_obj"] = communities[code]
                ok.append(r)
        # the dates decide the order: a person's unemployment before the job that ends it
        return sorted(ok, key=lambda r: (r.val["date"], r.val["kind"] != UNEMPLOYED, r.num))

    def write(self, pending: list[Row]) -> ImportResult:
        created = 0
        people: dict[str, Person] = {}
        for r in pending:
            v = r.val
            try:
                person = people.get(v["id_number"])
                if person is None:
                    person = people[v["id_number"]] = actions.person_for(
                        self.user, v["region_obj"], name=v["name"], id_number=v["id_number"],
                        phone=v.get("phone") or "")
            except ValidationError as e:
                self.error(r, "id_number" if "身份证" in e.messages[0] else "name",
                           "；".join(e.messages))
                continue
            try:
                if v["kind"] == UNEMPLOYED:
                    actions.register_unemployment(
                        person, region=v["region_obj"], registered_on=v["date"],
                        reason=v["reason"], registered_by=self._by(),
                        desired_work=v.get("desired_work") or "",
                        graduate_year=v.get("graduate_year"),
                        **{k: bool(v.get(k)) for k in ("veteran", "hard_to_employ",
                                                       "out_of_poverty", "disabled",
                                                       "zero_employment_household")})
                else:
                    actions.register_employment(
                        person, region=v["region_obj"], employed_on=v["date"],
                        kind=v.get("job_kind") or Employment.Kind.UNIT,
                        employer_name=v.get("employer_name") or "", registered_by=self._by())
            except ValidationError as e:
                self.error(r, "kind", "；".join(e.messages))
                continue
            created += 1
        return ImportResult(created=created, updated=0)

    def _by(self):
        return self.user if self.user is not None and self.user.is_authenticated else None

    def audit(self, result: ImportResult, pending: Any) -> None:
        masking.log(self._by(), AuditLog.Action.IMPORT, object_type="employment.register",
                    region_code=self.region_code, request=self.request,
                    detail=f"导入就业失业登记 {result.created} 条")


def _prefix(code: str) -> str:
    if code.endswith("000000"):
        return code[:6]
    if code.endswith("000"):
        return code[:9]
    return code


def import_registers(user, region_code: str, content: bytes, filename: str, *, request=None
                     ) -> ImportResult:
    """Import a register into `region_code` (a district, street or community). `user` None is
    the operator at the command line; a user needs MANAGE_EMPLOYMENT over the region."""
    region = Region.objects.filter(code=region_code).first()
    if region is None:
        raise ValueError(f"没有区划代码为 {region_code} 的区划")
    if user is not None and not can_manage(user, region_code):
        raise PermissionError("您无权向该区划导入就业失业登记。")
    return RegisterImport(user, region_code, request).run(content, filename)


def template() -> bytes:
    """The empty register with drop-downs for the fixed values and its 说明 sheet."""
    return tabular.template_xlsx(SHEET, COLUMNS, (
        "第1行为表头（深色为必填列），请勿修改列名；从第2行起每行一条登记：失业登记，或结束失业的就业登记。",
        "人员按身份证号在人员库中查找，没有的新增；同一人的登记按登记日期先后办理。",
        "整个文件全部正确才会导入；有问题时列出所有问题（第几行第几列）。",
    ))


EXPORT_HEADER = ["姓名", "身份证号", "联系电话", "社区", "社区区划代码", "登记日期", "失业原因",
                 "求职意向", "离校年份", "退役军人", "就业困难人员", "脱贫劳动力", "残疾人", "零就业家庭",
                 "注销日期", "注销原因"]


def export_registrations(user, *, open_only: bool = False, unmask: bool = False, request=None
                         ) -> bytes:
    """The user's registrations as .xlsx: ID and phone numbers masked unless `unmask` and the
    user may unmask in the person's region (each such export audited as an unmasking). Needs
    the export right where the user reads employment records; raises PermissionError."""
    if not can_export(user):
        raise PermissionError("您无权导出就业失业登记。")
    qs = unemployments_for(user).order_by("region_id", "-registered_on", "pk")
    if open_only:
        qs = qs.filter(ended_on__isnull=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "失业登记"
    append_row(ws, EXPORT_HEADER)
    style_header(ws, [10, 22, 16, 16, 16, 12, 14, 14, 10, 8, 10, 10, 8, 10, 12, 12])
    allowed: dict[str, bool] = {}
    n = unmasked = 0
    yes = {True: "是", False: ""}
    for u in qs.iterator(chunk_size=2000):
        p = u.person
        if u.region_id not in allowed:
            allowed[u.region_id] = unmask and masking.can_unmask(user, u.region_id)
        ident, phone = (p.id_number, p.phone) if allowed[u.region_id] else (
            masking.mask(p.id_number), masking.mask(p.phone))
        unmasked += allowed[u.region_id]
        append_row(ws, [p.name, ident, phone, u.region.name, u.region_id, u.registered_on,
                        u.get_reason_display(), u.desired_work, u.graduate_year,
                        yes[u.veteran], yes[u.hard_to_employ], yes[u.out_of_poverty],
                        yes[u.disabled], yes[u.zero_employment_household], u.ended_on,
                        u.get_end_reason_display()])
        n += 1
    masking.log(user, AuditLog.Action.EXPORT, object_type="employment.unemployment",
                detail=f"导出失业登记 {n} 条", request=request)
    if unmasked:
        masking.log(user, AuditLog.Action.UNMASK, object_type="assistance.person",
                    fields="id_number,phone", request=request,
                    detail=f"导出失业登记时查看 {unmasked} 人的个人信息（未打码）")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
