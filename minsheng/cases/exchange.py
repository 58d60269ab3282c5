"""Excel import of the day's 12345 hotline work orders, and Excel export of any filtered case list.

Import (district admins and street staff): the same all-or-nothing discipline as every import,
on the same machinery (minsheng/lib/tabular.py: reading .xlsx/.csv, header mapping, cell
parsers, RowError / ImportRejected / ImportResult, the error report). Every row is checked first —
call time, category (by name or code; if blank, by the catalogue's keywords found in the
description), location (converted from the chosen coordinate system with coords.to_wgs84; inside
the district and the importer's own region), duplicate work-order numbers within the file or
already imported — and if anything is wrong, `ImportRejected` lists every problem by row and
column and nothing is written. Otherwise each row is filed through workflow.do_file
(channel hotline, created at the call time, external_id = the work-order number) in one
transaction, so routing, SLA clocks, events and notifications are exactly those of any case.

Export: whatever the list page shows (its own filter function — status, type, channel, overdue,
start, end — over access.cases_for(user) and the region switcher); reporters' phones masked unless the user may
unmask in the case's region and asks for it (then audited).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import openpyxl
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from openpyxl.utils.datetime import from_excel

from minsheng.accounts import masking
from minsheng.accounts.models import AuditLog
from minsheng.accounts.roles import EXPORT, IMPORT_CASES
from minsheng.cases import workflow
from minsheng.cases.access import cases_for
from minsheng.cases.models import Case, CaseType
from minsheng.lib import tabular
from minsheng.lib.tabular import (
    XLSX_TYPE,
    CellError,
    Column,
    ImportRejected,
    ImportResult,
    Row,
    RowError,
    TableImport,
    append_row,
    norm,
    style_header,
)
from minsheng.places import coords
from minsheng.places.exchange import common_region
from minsheng.places.locate import locate
from minsheng.places.models import Compound
from minsheng.places.scope import compounds_for, scope_of

LABEL = "12345工单"
EARLIEST = dt.date(2000, 1, 1)
FUTURE_SLACK = dt.timedelta(minutes=10)

__all__ = ["ImportRejected", "ImportResult", "RowError", "can_import", "import_hotline",
           "hotline_template", "classify", "export_cases", "XLSX_TYPE"]


# --- cells -----------------------------------------------------------------------------------

_TIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M",
    "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y.%m.%d %H:%M:%S", "%Y.%m.%d %H:%M",
    "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日 %H:%M", "%Y年%m月%d日%H:%M", "%Y年%m月%d日%H时%M分",
    "%Y年%m月%d日 %H时%M分", "%Y%m%d%H%M%S", "%Y%m%d %H:%M", "%Y-%m-%d", "%Y/%m/%d",
    "%Y年%m月%d日",
)
_SERIAL_RE = re.compile(r"^\d{5}(?:\.\d+)?$")


def _when(t: str) -> dt.datetime:
    """A call time: 2030-03-01 09:30 (and the usual variants), or an Excel date serial; local
    time (Asia/Shanghai) unless the text says otherwise."""
    s = re.sub(r"\s+", " ", norm(t))
    tz = timezone.get_current_timezone()
    value = None
    if _SERIAL_RE.match(s):
        try:
            value = from_excel(float(s)).replace(tzinfo=tz)
        except (ValueError, OverflowError):
            value = None
    if value is None:
        try:
            value = dt.datetime.fromisoformat(s)
            value = value.replace(tzinfo=tz) if value.tzinfo is None else value
        except ValueError:
            value = None
    if value is None:
        for fmt in _TIME_FORMATS:
            try:
                value = dt.datetime.strptime(s, fmt).replace(tzinfo=tz)
                break
            except ValueError:
                continue
    if value is None:
        raise CellError(f"应为日期和时间（如 2030-03-01 09:30），收到“{t}”")
    if value.date() < EARLIEST:
        raise CellError(f"来电时间早于 {EARLIEST:%Y年}，请核对，收到“{t}”")
    if value > timezone.now() + FUTURE_SLACK:
        raise CellError(f"来电时间晚于当前时间，请核对，收到“{t}”")
    return value


def _full_phone(t: str) -> str:
    s = tabular.phone(t)
    if "*" in s:
        raise CellError(f"号码不完整（含 *），请填写完整号码，收到“{t}”")
    return s


def _work_order(t: str) -> str:
    s = norm(t).replace(" ", "")
    if s.startswith("'"):
        s = s[1:]
    if len(s) > 50:
        raise CellError(f"不能超过 50 个字符，收到“{t}”")
    if not re.fullmatch(r"[0-9A-Za-z_\-/#.]+", s):
        raise CellError(f"工单编号只能包含数字、字母和 - _ / # .，收到“{t}”")
    return s


HOTLINE_COLUMNS = (
    Column("external_id", "工单编号", _work_order, required=True, format="数字、字母和 - _ / # .，最多 50 个字符",
           note="12345 热线系统的工单编号；同一工单只能导入一次", width=20, text=True,
           aliases=("external_id", "工单号", "工单编码", "work_order")),
    Column("called_at", "来电时间", _when, required=True, format="日期和时间，如 2030-03-01 09:30",
           note="日期和时间，如 2030-03-01 09:30；作为诉求的提交时间，办理时限从此起算", width=18,
           aliases=("called_at", "来电日期", "受理时间", "时间")),
    Column("case_type", "诉求类别", tabular.text(50), default="",
           note="类别名称或代码，见下方“诉求类别”表；留空则按诉求内容中的关键词自动归类，"
                "无法归类的行会被列出", width=16, aliases=("case_type", "类别", "诉求分类", "service_code")),
    Column("description", "诉求内容", tabular.text(2000), required=True,
           note="来电人反映的问题", width=40, aliases=("description", "内容", "问题描述", "工单内容")),
    Column("address", "地址", tabular.text(200), default="", note="事发地址", width=28,
           aliases=("address", "事发地址", "详细地址")),
    Column("lng", "经度", tabular.degrees, note="十进制度数，如 116.6839；与纬度一起填写（所用坐标系在上传时选择）",
           width=12, aliases=("lng", "lon", "longitude", "x")),
    Column("lat", "纬度", tabular.degrees, note="十进制度数，如 39.5066", width=12,
           aliases=("lat", "latitude", "y")),
    Column("compound", "小区名称", tabular.text(100), default="",
           note="没有经纬度时按小区名称定位（须是本区已登记的小区，且名称唯一）", width=18,
           aliases=("compound", "小区")),
    Column("reporter_name", "来电人", tabular.text(50), default="", width=10,
           aliases=("reporter_name", "联系人", "姓名")),
    Column("reporter_phone", "联系电话", _full_phone, default="", note="个人信息，导出时打码",
           width=16, text=True, aliases=("reporter_phone", "电话", "手机", "来电号码")),
)


# --- who, and classification ---------------------------------------------------------------


def import_prefixes(user) -> list[str]:
    """Region prefixes in which the user may import hotline orders ([""] for everything)."""
    s = scope_of(user)
    if s.everything:
        return [""]
    return sorted({g.prefix for g in s.grants_with(IMPORT_CASES)}, key=len)


def can_import(user) -> bool:
    return bool(import_prefixes(user))


def _types() -> tuple[list[CaseType], dict[str, CaseType]]:
    # types that are not our remit (110/119/120) are never filed, so never guessed either
    types = list(CaseType.objects.filter(active=True, redirect_to=""))
    lookup: dict[str, CaseType] = {}
    for t in types:
        for key in (t.code, t.name, t.name_en):
            if key:
                lookup.setdefault(norm(key).lower().replace(" ", ""), t)
    return types, lookup


def classify(description: str, types: list[CaseType] | None = None) -> CaseType | None:
    """The category whose keywords occur in the description: most keywords found, then the
    longest text matched, then the catalogue order. None when no keyword occurs."""
    if types is None:
        types = list(CaseType.objects.filter(active=True, redirect_to=""))
    text = norm(description).lower()
    best, best_key = None, (0, 0)
    for t in types:
        hits = [k for k in norm(t.keywords).lower().split() if k and k in text]
        key = (len(hits), sum(len(k) for k in hits))
        if key > best_key:
            best, best_key = t, key
    return best


# --- import ----------------------------------------------------------------------------------


class _HotlineImport(TableImport):
    """Each good row is filed through workflow.do_file (in the import's one transaction)."""

    label = LABEL
    columns = HOTLINE_COLUMNS

    def __init__(self, user, crs: coords.CRS, filename: str, request=None) -> None:
        super().__init__()
        self.user = user
        self.crs = crs
        self.filename = filename
        self.request = request
        self.prefixes = import_prefixes(user)
        self.types, self.type_lookup = _types()

    def in_my_region(self, code: str) -> bool:
        return any(code.startswith(p) for p in self.prefixes)

    def resolve(self, rows: list[Row]) -> list[dict[str, Any]]:
        """Phase 2: categories, places, duplicates. Returns the do_file arguments per good row."""
        seen: dict[str, int] = {}
        for r in rows:
            eid = r.val.get("external_id")
            if not eid:
                continue
            if eid in seen:
                self.error(r, "external_id", f"与第{seen[eid]}行的工单编号重复")
                r.val.pop("external_id")
            else:
                seen[eid] = r.num
        done = set(Case.objects.filter(external_id__in=list(seen), channel=Case.Channel.HOTLINE)
                   .values_list("external_id", flat=True))
        for r in rows:
            eid = r.val.get("external_id")
            if eid in done:
                self.error(r, "external_id", "该工单编号已经导入过，不能重复导入")
                r.val.pop("external_id")
        compounds = self._compounds(rows)
        out = []
        for r in rows:
            kwargs = {"case_type": self._case_type(r), **self._place(r, compounds)}
            if all(k in r.val for k in ("external_id", "called_at", "description")) and \
                    kwargs["case_type"] is not None and kwargs.get("ok"):
                kwargs.pop("ok")
                out.append({"num": r.num, **kwargs, "description": r.val["description"],
                            "external_id": r.val["external_id"], "at": r.val["called_at"],
                            "address": r.val.get("address") or "",
                            "reporter_name": r.val.get("reporter_name") or "",
                            "reporter_phone": r.val.get("reporter_phone") or ""})
        return out

    def write(self, pending: list[dict[str, Any]]) -> ImportResult:
        created: list[Case] = []
        for g in pending:
            num = g.pop("num")
            try:
                created.append(workflow.do_file(channel=Case.Channel.HOTLINE, **g))
            except ValidationError as e:
                self.errors.append(RowError(num, "", g["external_id"], "；".join(e.messages)))
        self.created = created
        return ImportResult(created=len(created), updated=0)

    def audit(self, result: ImportResult, pending: list[dict[str, Any]]) -> None:
        masking.log(
            self.user, AuditLog.Action.IMPORT, object_type="cases.case",
            region_code=common_region(c.region_id for c in self.created),
            detail=f"导入{LABEL}：新增诉求 {result.created} 件（文件 {self.filename or '未命名'}，"
                   f"坐标系 {self.crs.value}）", request=self.request)

    def _case_type(self, r: Row) -> CaseType | None:
        given = r.val.get("case_type") or ""
        if given:
            t = self.type_lookup.get(norm(given).lower().replace(" ", ""))
            if t is None:
                self.error(r, "case_type", f"未知的诉求类别“{given}”：请填写诉求类别表中的名称或代码")
            return t
        if "description" not in r.val:
            return None
        t = classify(r.val["description"], self.types)
        if t is None:
            self.error(r, "case_type", "未填写诉求类别，且无法根据诉求内容中的关键词判断类别，请填写类别",
                       value="")
        return t

    def _compounds(self, rows: list[Row]) -> dict[str, list[Compound]]:
        names = {r.val["compound"] for r in rows if r.val.get("compound")}
        found: dict[str, list[Compound]] = {}
        if names:
            qs = compounds_for(self.user).filter(name__in=names)
            for c in qs:
                if self.in_my_region(c.region_id):
                    found.setdefault(c.name, []).append(c)
        return found

    def _place(self, r: Row, compounds: dict[str, list[Compound]]) -> dict[str, Any]:
        has_lng, has_lat = "lng" in r.val and r.val["lng"] is not None, \
            "lat" in r.val and r.val["lat"] is not None
        if r.raw.get("lng") and "lng" not in r.val or r.raw.get("lat") and "lat" not in r.val:
            return {}  # a coordinate did not parse (already reported)
        name = r.val.get("compound") or ""
        matches = compounds.get(name, []) if name else []
        if has_lng != has_lat:
            missing = "lat" if has_lng else "lng"
            self.error(r, missing, "经度和纬度要一起填写")
            return {}
        if has_lng:
            lng, lat = r.val["lng"], r.val["lat"]
            if coords.out_of_china(lng, lat):
                if not coords.out_of_china(lat, lng):
                    self.error(r, "lng", "经纬度似乎填反了：经度应在 73–135 之间、纬度应在 4–54 之间",
                               value=f"{r.raw['lng']}, {r.raw['lat']}")
                else:
                    self.error(r, "lng", "坐标不在中国境内，请核对经纬度",
                               value=f"{r.raw['lng']}, {r.raw['lat']}")
                return {}
            wlng, wlat = coords.to_wgs84(lng, lat, self.crs)
            wlng, wlat = round(wlng, 7), round(wlat, 7)
            loc = locate(wlng, wlat)
            if loc is None:
                self.error(r, "lng", "该位置不在本区范围内，请核对经纬度和所选坐标系",
                           value=f"{r.raw['lng']}, {r.raw['lat']}")
                return {}
            if not self.in_my_region(loc.region.code):
                self.error(r, "lng", f"该位置在{loc.region.full_name()}，不在您管辖的区划内",
                           value=f"{r.raw['lng']}, {r.raw['lat']}")
                return {}
            compound = matches[0] if len(matches) == 1 else None
            return {"ok": True, "lng": wlng, "lat": wlat, "compound": compound}
        if name:
            if not matches:
                self.error(r, "compound", f"找不到名为“{name}”的小区（或不在您管辖的区划内）：请核对名称，"
                           "或填写经纬度")
                return {}
            if len(matches) > 1:
                self.error(r, "compound", f"有 {len(matches)} 个名为“{name}”的小区，无法确定是哪一个："
                           "请填写经纬度")
                return {}
            return {"ok": True, "lng": None, "lat": None, "compound": matches[0]}
        self.error(r, "lng", "没有位置：请填写经纬度或小区名称，以便定位和派单", value="")
        return {}


def import_hotline(user, content: bytes, filename: str, crs: str, *,
                   request=None) -> ImportResult:
    """Import a hotline work-order file (.xlsx or .csv), coordinates in `crs`. Raises
    ImportRejected (nothing written) listing every problem, PermissionError for a user who may
    not import, or returns the count of cases created."""
    if not can_import(user):
        raise PermissionError("只有区级管理员和街道工作人员可以导入 12345 工单")
    return _HotlineImport(user, coords.CRS(crs), filename, request).run(content, filename)


# --- template --------------------------------------------------------------------------------


def template_headers() -> list[str]:
    """Headers as the template shows them: required columns marked with *."""
    return [f"{c.header}*" if c.required else c.header for c in HOTLINE_COLUMNS]


def hotline_template() -> tuple[bytes, str, str]:
    """An empty import template: (content, content_type, filename)."""
    types = list(CaseType.objects.filter(active=True))
    crs = "；".join(coords.CRS_LABELS.values())
    content = tabular.template_xlsx(LABEL, HOTLINE_COLUMNS, (
        "第1行为表头（带 * 的为必填列），请勿修改列名；从第2行起每行一张工单，空行会被跳过。",
        "每张工单导入后成为一件来源为“12345 热线”的诉求，按类别和位置自动派单，办理时限从来电时间起算。",
        f"坐标系：上传时需选择文件中经纬度所用的坐标系——{crs}。没有经纬度时，请填写本区已登记的小区名称。",
        "诉求类别可留空：系统按诉求内容中的关键词（见下表）自动归类；无法归类的行会被列出，请补填类别。",
        "文件中只要有一处问题（时间格式、类别、位置不在本区、工单编号重复或已导入），整个文件都不会导入，"
        "并会列出所有问题。",
    ), header=template_headers(), choices={"case_type": [t.name for t in types]},
        allowed={"case_type": "见下方“诉求类别”表（名称或代码）"},
        tables=[(("诉求类别", "代码", "关键词（自动归类用）"),
                 [(t.name, t.code, t.keywords) for t in types])])
    return content, XLSX_TYPE, f"{LABEL}导入模板.xlsx"


# --- export ----------------------------------------------------------------------------------


def _local(value: dt.datetime | None) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}" if value else ""


EXPORT_COLUMNS: tuple[tuple[str, int], ...] = (
    ("诉求编号", 22), ("工单编号", 18), ("提交时间", 17), ("类别", 14), ("来源", 12), ("状态", 12),
    ("诉求内容", 40), ("所在区划", 22), ("区划代码", 14), ("小区", 16), ("地址", 24), ("经度", 11),
    ("纬度", 11), ("联系人", 10), ("联系电话", 15), ("承办单位", 24), ("受理时限", 17),
    ("受理时间", 17), ("办结时限", 17), ("办结时间", 17), ("已超时", 8), ("升级次数", 8),
    ("办理结果", 30), ("居民评价", 14), ("满意度", 8), ("重新办理次数", 10),
)


def export_cases(user, cases: QuerySet[Case], *, unmask: bool = False, prefix: str = "",
                 note: str = "", request=None) -> tuple[bytes, str, str]:
    """A case list as .xlsx: (content, content_type, filename). `cases` is the list page's
    filtered queryset; it is always intersected with access.cases_for(user) here. Reporters'
    phones, and the phone and ID numbers typed into descriptions, addresses and outcomes, are
    masked unless `unmask` and the user may unmask in the case's region (audited).
    Raises PermissionError without the export right."""
    s = scope_of(user)
    if not s.has_right(EXPORT):
        raise PermissionError("没有导出数据的权限")
    qs = cases.filter(pk__in=cases_for(user).order_by().values("pk"))
    if prefix:
        qs = qs.filter(region__code__startswith=prefix)
    qs = qs.select_related("case_type", "region", "organisation", "compound").order_by(
        "-created_at", "-id")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "诉求"
    append_row(ws, [h for h, _ in EXPORT_COLUMNS])
    style_header(ws, [w for _, w in EXPORT_COLUMNS])
    allowed: dict[str, bool] = {}
    n = unmasked = 0
    for c in qs.iterator(chunk_size=2000):
        if c.region_id not in allowed:
            allowed[c.region_id] = unmask and masking.can_unmask(user, c.region_id)
        # the phone field and the numbers typed into free text: masked unless unmasked (audited)
        shown = (lambda t: t) if allowed[c.region_id] else masking.mask_text
        phone = c.reporter_phone
        if allowed[c.region_id]:
            unmasked += 1
        elif phone:
            phone = masking.mask(phone)
        append_row(ws, [
            c.number, c.external_id, _local(c.created_at), c.case_type.name,
            str(c.get_channel_display()), str(c.get_status_display()), shown(c.description),
            c.region.name, c.region_id, c.compound.name if c.compound_id else "",
            shown(c.address), c.lng, c.lat, c.reporter_name, phone, c.organisation.name,
            _local(c.accept_due), _local(c.accepted_at), _local(c.resolve_due),
            _local(c.resolved_at), "是" if c.overdue else "否", c.escalation_level, shown(c.outcome),
            str(c.get_verdict_display()) if c.verdict else "", c.rating, c.reopen_count,
        ])
        n += 1
    buf = io.BytesIO()
    wb.save(buf)
    region_code = prefix.ljust(12, "0") if prefix else ""
    masking.log(user, AuditLog.Action.EXPORT, object_type="cases.case", region_code=region_code,
                detail=f"导出诉求 {n} 件（xlsx）{('：' + note) if note else ''}", request=request)
    if unmasked:
        masking.log(user, AuditLog.Action.UNMASK, object_type="cases.case",
                    fields="reporter_phone,description,address,outcome", region_code=region_code,
                    detail=f"导出诉求时查看 {unmasked} 件的联系电话和内容（未打码）",
                    request=request)
    stamp = timezone.localdate().strftime("%Y%m%d")
    return buf.getvalue(), XLSX_TYPE, f"诉求清单_{stamp}.xlsx"

