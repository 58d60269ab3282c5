"""Import and export of places: Excel/CSV tables and GeoJSON boundaries.

Tables use Chinese column headers (English aliases are accepted on import); an export has the same
headers as the template, so an exported file can be corrected and imported again.

Every import is all-or-nothing (the machinery is minsheng/lib/tabular.py): every row is checked
first and *all* problems are collected, each with the row and column the user sees in the
spreadsheet and the column header; if there is any, the import raises `ImportRejected` and nothing
is written. Otherwise the rows are written in one
transaction and an audit entry records the counts. Rows are matched to existing records by region
and name (plus category for facilities, type for organisations): a match is updated, anything else
is created.

Coordinates: the caller names the file's coordinate system; each point is converted once with
coords.to_wgs84 (geometries with coords.geometry_to_wgs84) and stored as WGS-84.

Scope: an import may only touch regions where scope.can_edit holds; an export contains only what the
scope functions return, within the regions where the user holds the export right, with personal
fields masked unless unmasking is asked for and allowed (and then audited).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone
from shapely.geometry import Point

from minsheng.accounts import masking
from minsheng.accounts.models import AuditLog
from minsheng.accounts.roles import EXPORT
from minsheng.lib import tabular
from minsheng.lib.tabular import (
    CONFLICT,
    CSV_TYPE,
    XLSX_TYPE,
    CellError,
    Column,
    ImportRejected,
    ImportResult,
    Row,
    RowError,
    TableImport,
    cell_text,
    error_report,
    file_error,
    norm,
    read_bytes,
)
from minsheng.places import coords, geometry, hooks, scope
from minsheng.places.locate import grid_in, invalidate
from minsheng.places.models import (
    Compound,
    Facility,
    FacilityCategory,
    Grid,
    Organisation,
    Region,
    code_prefix,
)

KINDS = ("compounds", "facilities", "organisations")  # tabular kinds
GEO_KINDS = ("grids", "compound_boundaries")  # GeoJSON import kinds
EXPORT_KINDS = (*KINDS, "grids", "regions")

KIND_LABELS = {
    "compounds": "小区",
    "facilities": "服务设施",
    "organisations": "组织机构",
    "grids": "网格",
    "regions": "行政区划",
    "compound_boundaries": "小区边界",
}

GEOJSON_TYPE = "application/geo+json"

NEAR_M = geometry.NEAR_M  # a point farther than this from its region's outline is almost surely wrong
MAX_FEATURES = 20_000

# ImportRejected and error_report are also imported from here by projects/views.py and
# cases/stats_views.py (they may import them from minsheng.lib.tabular instead).
__all__ = [
    "CSV_TYPE", "EXPORT_KINDS", "GEOJSON_TYPE", "GEO_KINDS", "KINDS", "KIND_LABELS", "SPECS",
    "XLSX_TYPE", "ImportRejected", "ImportResult", "RowError", "common_region", "error_report",
    "export", "import_file", "import_geojson", "template",
]



# --- column specifications -------------------------------------------------------------------


YES_NO = ("是", "否")
_NAME_NOTE = "同一区划内不可重复；与已有记录同名的将被更新"
_LNG_NOTE = "十进制度数，如 116.6839（中国境内约 73–135）"
_LAT_NOTE = "十进制度数，如 39.5066（中国境内约 4–54）"


def _code_note(level: str) -> str:
    return f"12位统计用区划代码（{level}），如 131002001001；请把该列设为“文本”格式"


PS = Compound.PropertyStatus
CM = Compound.Committee
OK = Organisation.Kind


def _bool_col(key: str, header: str, note: str = "", aliases: tuple[str, ...] = ()) -> Column:
    return Column(key, header, tabular.boolean, note=note or "是/否，留空为“否”", choices=YES_NO,
                  aliases=(key, *aliases), default=False, width=10)


# Shared by every kind with a location: the address and the point (converted from the chosen CRS).
ADDRESS_AND_POINT = (
    Column("address", "地址", tabular.text(200), aliases=("address",), default="", width=28),
    Column("lng", "经度", tabular.degrees, required=True, note=_LNG_NOTE,
           aliases=("lng", "lon", "longitude", "x"), width=12),
    Column("lat", "纬度", tabular.degrees, required=True, note=_LAT_NOTE,
           aliases=("lat", "latitude", "y"), width=12),
)

COMPOUND_COLUMNS = (
    Column("name", "小区名称", tabular.text(100), required=True, note=_NAME_NOTE,
           aliases=("name", "名称", "小区"), width=20),
    Column("region", "所属社区/村区划代码", tabular.code, required=True,
           note=_code_note("社区/村一级"),
           aliases=("region", "region_code", "区划代码", "社区区划代码", "所属社区区划代码"),
           width=20, text=True),
    *ADDRESS_AND_POINT,
    Column("year_built", "建成年份", tabular.year, note="四位年份，如 1998",
           aliases=("year_built", "建成年代", "建成时间"), width=10),
    Column("buildings", "楼栋数", tabular.uint, note="非负整数，留空为 0", aliases=("buildings", "楼栋"),
           default=0, width=8),
    Column("households", "户数", tabular.uint, note="非负整数，留空为 0", aliases=("households",),
           default=0, width=8),
    Column("population", "人口", tabular.uint, note="非负整数，留空为 0",
           aliases=("population", "人口数", "常住人口"), default=0, width=8),
    Column("property_status", "物业管理状态", tabular.choice(tabular.labels(PS), [str(c.label) for c in PS]),
           note="留空为“无物业”", choices=tuple(str(c.label) for c in PS),
           aliases=("property_status",), default=PS.NONE, width=14),
    Column("property_company", "物业服务企业", tabular.text(200),
           note="须是已登记的组织机构（类型为“物业服务企业”）的名称；物业管理状态应为“物业公司”",
           aliases=("property_company", "物业公司", "物业企业"), default="", width=28),
    Column("committee", "业委会/物管会",
           tabular.choice({**tabular.labels(CM), "无": "", "业委会": CM.OWNERS, "物管会": CM.MANAGEMENT},
                   [str(c.label) for c in CM]),
           note="留空为“无”", choices=tuple(str(c.label) for c in CM),
           aliases=("committee", "业委会", "物管会"), default="", width=14),
    Column("committee_head", "主任", tabular.text(50), aliases=("committee_head", "业委会/物管会主任"),
           default="", width=10),
    Column("committee_head_phone", "主任联系电话", tabular.phone,
           note="个人信息，导出时打码；打码的号码（含*）导入时保持原值不变",
           aliases=("committee_head_phone", "联系电话"), default="", width=16, text=True),
    _bool_col("head_is_party_secretary", "主任由党支部书记担任",
              aliases=("主任由小区党支部书记担任",)),
    _bool_col("is_old", "老旧小区"),
    Column("renovation_class", "改造类别",
           tabular.choice({"A": "A", "B": "B", "C": "C", "A类": "A", "B类": "B", "C类": "C",
                    **{str(c.label): c.value for c in Compound.Renovation}, "无": ""},
                   ["A", "B", "C"], "（未改造请留空）"),
           note="A（精品）、B（特色）、C（达标），未改造留空", choices=("A", "B", "C"),
           aliases=("renovation_class",), default="", width=10),
    _bool_col("smart_safety", "智慧安防小区"),
)

FACILITY_COLUMNS = (
    Column("name", "名称", tabular.text(100), required=True,
           note="同一区划、同一类别内不可重复；已有同名记录的将被更新", aliases=("name", "设施名称"),
           width=24),
    Column("category", "类别", tabular.text(50), required=True,
           note="设施类别的名称或代码，见下方“设施类别”表", aliases=("category", "设施类别"),
           width=16),
    Column("region", "区划代码", tabular.code, required=True, note=_code_note("街道/乡镇或社区/村"),
           aliases=("region", "region_code", "所属社区/村区划代码", "所属区划代码"), width=20,
           text=True),
    *ADDRESS_AND_POINT,
    Column("capacity", "服务容量", tabular.uint, note="非负整数（如床位数、座位数），可留空",
           aliases=("capacity",), width=10),
    Column("opening_hours", "营业时间", tabular.text(100), note="如 8:00-20:00",
           aliases=("opening_hours",), default="", width=14),
    _bool_col("signed_service_point", "签约生活圈服务网点", aliases=("签约网点",)),
)

ORGANISATION_COLUMNS = (
    Column("name", "名称", tabular.text(200), required=True,
           note="同一区划、同一类型内不可重复；已有同名记录的将被更新", aliases=("name", "机构名称"),
           width=30),
    Column("kind", "类型", tabular.choice(tabular.labels(OK), [str(c.label) for c in OK]), required=True,
           choices=tuple(str(c.label) for c in OK), aliases=("kind", "机构类型"), width=20),
    Column("region", "区划代码", tabular.code, required=True, note=_code_note("任一级"),
           aliases=("region", "region_code", "所属区划代码"), width=20, text=True),
    Column("credit_code", "统一社会信用代码", tabular.credit_code, note="18位数字或大写字母，可留空",
           aliases=("credit_code",), default="", width=22, text=True),
    Column("address", "地址", tabular.text(200), aliases=("address",), default="", width=28),
    Column("contact_person", "联系人", tabular.text(50), aliases=("contact_person",), default="",
           width=10),
    Column("contact_phone", "联系电话", tabular.phone,
           note="个人信息，导出时打码；打码的号码（含*）导入时保持原值不变",
           aliases=("contact_phone", "phone", "电话"), default="", width=16, text=True),
)


@dataclass(frozen=True)
class _Spec:
    kind: str
    model: type[models.Model]
    columns: tuple[Column, ...]
    region_levels: tuple[str, ...]  # levels a row's region may be at (empty: any)

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


SPECS = {
    "compounds": _Spec("compounds", Compound, COMPOUND_COLUMNS, (Region.Level.COMMUNITY,)),
    "facilities": _Spec("facilities", Facility, FACILITY_COLUMNS,
                        (Region.Level.STREET, Region.Level.COMMUNITY)),
    "organisations": _Spec("organisations", Organisation, ORGANISATION_COLUMNS, ()),
}


def _spec(kind: str) -> _Spec:
    try:
        return SPECS[kind]
    except KeyError:
        raise ValueError(f"未知的导入导出类型：{kind}（应为 {'、'.join(KINDS)} 之一）") from None


# --- geography helpers -----------------------------------------------------------------------


class _Geo:
    """Region outlines (own, else the nearest ancestor's) and grid cells, loaded once each."""

    def __init__(self) -> None:
        self._outline: dict[str, Any] = {}
        self._grid_ids: dict[str, set[int]] = {}

    def outline(self, code: str):
        if code not in self._outline:
            self._outline[code] = geometry.region_outline(code)
        return self._outline[code]

    def distance_m(self, code: str, geom) -> float | None:
        """Metres from a point (or shape) to the region's outline; None if it has none."""
        return geometry.distance_m(self.outline(code), geom)

    def grid_at(self, code: str, lng: float, lat: float) -> tuple[Grid | None, set[int]]:
        """The grid of region `code` containing the point (places.locate, the one owner of
        point → grid), and the ids of all the region's grids."""
        if code not in self._grid_ids:
            self._grid_ids[code] = set(Grid.objects.filter(region_id=code).values_list(
                "pk", flat=True))
        return grid_in(code, lng, lat), self._grid_ids[code]


def _far_message(d: float) -> str:
    return (f"坐标距该区划约 {d / 1000:.0f} 公里，不在该区划附近，请检查经纬度是否填反或坐标系是否选对")


def _level_message(spec: _Spec, region: Region) -> str:
    allowed = "或".join(str(Region.Level(v).label) for v in spec.region_levels)
    return (f"{spec.label}应登记在{allowed}一级，“{region.name}”是{region.get_level_display()}；"
            "请填写所属的12位代码")


# --- tabular import --------------------------------------------------------------------------


class _PlaceImport(TableImport):
    """Compounds, facilities or organisations from a table (see SPECS)."""

    def __init__(self, user, spec: _Spec, crs: coords.CRS, filename: str, request=None) -> None:
        super().__init__()
        self.label, self.columns = spec.label, spec.columns
        self.user = user
        self.spec = spec
        self.crs = crs
        self.filename = filename
        self.request = request
        self.geo = _Geo()
        self.located = any(c.key == "lng" for c in spec.columns)  # rows carry a point

    # Phase 2: lookups, scope, coordinates, duplicates; builds the objects to save.
    def resolve(self, rows: list[Row]) -> list[tuple[models.Model, bool]]:
        spec = self.spec
        codes = {r.val["region"] for r in rows if "region" in r.val}
        regions = Region.objects.in_bulk(list(codes))
        resolvers = {"compounds": self._compound_links, "facilities": self._facility_links,
                     "organisations": lambda rows: None}
        resolvers[spec.kind](rows)

        region_ok: dict[int, Region] = {}
        for r in rows:
            region = self._region(r, regions)
            if region is not None:
                region_ok[r.num] = region
            self._point(r, region)

        keys: dict[tuple, int] = {}
        row_keys: dict[int, tuple] = {}
        for r in rows:
            key = self._key(r)
            if key is None:
                continue
            if key in keys:
                same = {"compounds": "同一社区/村内", "facilities": "同一区划、同一类别内",
                        "organisations": "同一区划、同一类型内"}[spec.kind]
                self.error(r, "name", f"与第{keys[key]}行重复：{same}名称不能相同")
            else:
                keys[key] = r.num
                row_keys[r.num] = key

        existing = self._existing(rows)
        pending: list[tuple[models.Model, bool]] = []
        for r in rows:
            region = region_ok.get(r.num)
            key = row_keys.get(r.num)
            if region is None or key is None or (self.located and "_point" not in r.val):
                continue
            obj = existing.get(key)
            is_new = obj is None
            if is_new:
                obj = spec.model()
            self._personal(r, obj if not is_new else None)
            self._assign(r, obj, region)
            self._clean(r, obj)
            if spec.kind == "compounds" and not is_new:
                self._governed(r, obj)
            pending.append((obj, is_new))
        return pending

    def _region(self, r: Row, regions: dict[str, Region]) -> Region | None:
        """The row's region, if it exists, is at an allowed level and the user may edit it."""
        if "region" not in r.val:
            return None
        region = regions.get(r.val["region"])
        if region is None:
            self.error(r, "region", f"区划代码“{r.val['region']}”不存在，请核对（应为统计用区划代码）")
        elif self.spec.region_levels and region.level not in self.spec.region_levels:
            self.error(r, "region", _level_message(self.spec, region))
        elif not scope.can_edit(self.user, region.code):
            self.error(r, "region", f"无权在该区划登记（{region.name} {region.code}）")
        else:
            return region
        return None

    def _point(self, r: Row, region: Region | None) -> None:
        if "lng" not in r.val or "lat" not in r.val:
            return
        lng, lat = r.val["lng"], r.val["lat"]
        if coords.out_of_china(lng, lat):
            if not coords.out_of_china(lat, lng):
                self.error(r, "lng", "经纬度似乎填反了：经度应在 73–135 之间、纬度应在 4–54 之间"
                           f"（收到 经度 {r.raw['lng']}、纬度 {r.raw['lat']}）")
                return
            if not 72.004 <= lng <= 137.8347:
                self.error(r, "lng", f"经度应在 73–135 之间（中国境内），收到“{r.raw['lng']}”")
            if not 0.8293 <= lat <= 55.8271:
                self.error(r, "lat", f"纬度应在 4–54 之间（中国境内），收到“{r.raw['lat']}”")
            return
        wlng, wlat = coords.to_wgs84(lng, lat, self.crs)
        wlng, wlat = round(wlng, 7), round(wlat, 7)
        if region is not None:
            d = self.geo.distance_m(region.code, Point(wlng, wlat))
            if d is not None and d > NEAR_M:
                self.error(r, "lng", _far_message(d), value=f"{r.raw['lng']}, {r.raw['lat']}")
                return
        r.val["_point"] = (wlng, wlat)

    def _key(self, r: Row) -> tuple | None:
        need = {"compounds": ("region", "name"), "facilities": ("region", "_category", "name"),
                "organisations": ("region", "kind", "name")}[self.spec.kind]
        if not all(k in r.val for k in need):
            return None
        return tuple(r.val[k].pk if k == "_category" else r.val[k] for k in need)

    def _existing(self, rows: list[Row]) -> dict[tuple, models.Model]:
        codes = {r.val["region"] for r in rows if "region" in r.val}
        names = {r.val["name"] for r in rows if "name" in r.val}
        if not codes or not names:
            return {}
        qs = self.spec.model.objects.filter(region_id__in=codes, name__in=names)
        if self.spec.kind == "compounds":
            return {(o.region_id, o.name): o for o in qs}
        if self.spec.kind == "facilities":
            return {(o.region_id, o.category_id, o.name): o for o in qs}
        return {(o.region_id, o.kind, o.name): o for o in qs}

    def _compound_links(self, rows: list[Row]) -> None:
        """The property company named in each row: one the user can see, or registered in a
        region above the compound (a district's companies serve all its streets)."""
        names = {r.val["property_company"] for r in rows if r.val.get("property_company")}
        if not names:
            for r in rows:
                self._status_check(r)
            return
        kind = Organisation.Kind.PROPERTY_COMPANY
        candidates: dict[str, list[Organisation]] = {}
        for o in Organisation.objects.filter(kind=kind, name__in=names):
            candidates.setdefault(o.name, []).append(o)
        visible = set(scope.organisations_for(self.user).filter(kind=kind, name__in=names)
                      .values_list("pk", flat=True))
        for r in rows:
            name = r.val.get("property_company")
            if name:
                code = r.val.get("region", "")
                ranked = []
                for o in candidates.get(name, []):
                    above = bool(code) and code.startswith(code_prefix(o.region_id))
                    if above or o.pk in visible:
                        ranked.append((len(code_prefix(o.region_id)) if above else -1, o))
                if not ranked:
                    self.error(r, "property_company",
                               f"找不到名为“{name}”的物业服务企业：请先在组织机构中登记"
                               "（类型为“物业服务企业”），或核对名称")
                    del r.val["property_company"]
                else:
                    top = max(rank for rank, _ in ranked)
                    best = [o for rank, o in ranked if rank == top]
                    if len(best) > 1:
                        self.error(r, "property_company",
                                   f"有 {len(best)} 家同名的物业服务企业“{name}”，无法确定是哪一家")
                        del r.val["property_company"]
                    else:
                        r.val["property_company"] = best[0]
            self._status_check(r)

    def _status_check(self, r: Row) -> None:
        status = r.val.get("property_status")
        if r.val.get("property_company") and status is not None and status != PS.COMPANY:
            label = PS(status).label
            self.error(r, "property_company",
                       f"填写了物业服务企业，物业管理状态应为“物业公司”，收到“{label}”")

    def _facility_links(self, rows: list[Row]) -> None:
        cats = list(FacilityCategory.objects.all())
        by = {c.code.lower(): c for c in cats} | {norm(c.name).lower(): c for c in cats}
        for r in rows:
            if "category" not in r.val:
                continue
            cat = by.get(norm(r.val["category"]).lower())
            if cat is None:
                self.error(r, "category",
                           f"未知的设施类别“{r.val['category']}”：请填写类别名称（如“便利店”）"
                           "或代码（如 convenience），全部类别见模板“说明”页")
            else:
                r.val["_category"] = cat

    def _personal(self, r: Row, existing: models.Model | None) -> None:
        for key in masking.PERSONAL_FIELDS.get(self.spec.model._meta.label_lower, ()):
            value = r.val.get(key)
            if not value or "*" not in value:
                continue
            stored = getattr(existing, key, "") if existing is not None else ""
            if stored and masking.mask(stored) == value:
                r.val[key] = stored  # an exported, masked number: keep the real one
            else:
                self.error(r, key, "这是打码后的号码（含*），无法导入：请填写完整号码，或留空")
                del r.val[key]

    def _assign(self, r: Row, obj: models.Model, region: Region) -> None:
        special = {"region", "lng", "lat", "property_company", "category"}
        for key, value in r.val.items():
            if key.startswith("_") or key in special:
                continue
            setattr(obj, key, value)
        obj.region = region
        if self.located:
            obj.lng, obj.lat = r.val["_point"]
        if self.spec.kind == "facilities":
            obj.category = r.val["_category"]
        if self.spec.kind == "compounds":
            if "property_company" in r.val:
                company = r.val["property_company"]
                obj.property_company = company or None
            if obj.property_status != PS.COMPANY:
                obj.property_company = None
            grid, ids = self.geo.grid_at(region.code, obj.lng, obj.lat)
            if grid is not None:
                obj.grid = grid
            elif obj.grid_id and obj.grid_id not in ids:
                obj.grid = None

    def _governed(self, r: Row, obj: Compound) -> None:
        """What other apps' records hold over an existing compound (governance: the registry,
        the approved committee; places.hooks), on the row's cells: the whole file is refused."""
        values = {f.name: getattr(obj, f.name) for f in Compound._meta.concrete_fields
                  if f.name in {c.key for c in self.spec.columns}}
        for field, problems in hooks.compound_problems(obj, values).items():
            # a company dropped by a status other than 物业公司: the status's cell says why
            key = field if field in r.raw or field != "property_company" else "property_status"
            for message in problems:
                self.error(r, key, message)

    def _clean(self, r: Row, obj: models.Model) -> None:
        try:
            obj.clean_fields(exclude=["region", "grid", "property_company", "category"])
            obj.clean()  # the rules between fields (a party-secretary head needs a committee)
        except ValidationError as e:
            headers = {c.key: c.header for c in self.spec.columns}
            for name, messages in e.message_dict.items():
                header = headers.get(name) or str(obj._meta.get_field(name).verbose_name)
                self.errors.append(RowError(r.num, header, r.raw.get(name, ""), "；".join(messages),
                                            column_no=self.positions.get(name, 0)))

    def write(self, pending: list[tuple[models.Model, bool]]) -> ImportResult:
        return _save(pending)

    def audit(self, result: ImportResult, pending: list[tuple[models.Model, bool]]) -> None:
        masking.log(
            self.user, AuditLog.Action.IMPORT, object_type=self.spec.model._meta.label_lower,
            region_code=common_region(obj.region_id for obj, _ in pending),
            detail=f"导入{self.spec.label}：新增 {result.created} 条，更新 {result.updated} 条"
                   f"（文件 {self.filename or '未命名'}，坐标系 {self.crs.value}）",
            request=self.request)


def common_region(codes: Iterable[str]) -> str:
    codes = list(codes)
    if not codes:
        return ""
    p = os.path.commonprefix(codes)
    for n in (12, 9, 6, 4, 2):
        if len(p) >= n:
            return p[:n].ljust(12, "0")
    return ""


def _save(pending: list[tuple[models.Model, bool]]) -> ImportResult:
    try:
        for obj, _is_new in pending:
            obj.save()
    except IntegrityError:
        raise ImportRejected([file_error(CONFLICT)]) from None
    created = sum(1 for _, is_new in pending if is_new)
    return ImportResult(created=created, updated=len(pending) - created)


def import_file(user, kind: str, content: bytes, filename: str, crs: str, *,
                request=None) -> ImportResult:
    """Import an .xlsx or .csv file of `kind` (see KINDS); coordinates in `crs`.

    Raises ImportRejected (nothing written) listing every problem, or returns the counts."""
    return _PlaceImport(user, _spec(kind), coords.CRS(crs), filename, request).run(content, filename)


# --- GeoJSON import --------------------------------------------------------------------------

_GRID_NAME_KEYS = ("网格名称", "name", "名称")
_REGION_KEYS = ("区划代码", "所属社区/村区划代码", "region", "region_code", "code")
_COMPOUND_ID_KEYS = ("id", "小区编号", "compound_id")
_COMPOUND_NAME_KEYS = ("小区名称", "name", "名称")


def _features(content: bytes) -> list[dict]:
    content = read_bytes(content)  # refuses a file over lib.tabular's MAX_BYTES
    try:
        data = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        raise ImportRejected([file_error("无法读取 GeoJSON 文件：不是有效的 JSON（应为 UTF-8 编码）")]) from None
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = {"type": "FeatureCollection", "features": [data]}
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" \
            or not isinstance(data.get("features"), list):
        raise ImportRejected([file_error("GeoJSON 文件应为一个 FeatureCollection（要素集合）")])
    crs_block = data.get("crs")
    crs_props = crs_block.get("properties") if isinstance(crs_block, dict) else None
    crs_name = str(crs_props.get("name", "")) if isinstance(crs_props, dict) else ""
    if crs_name and not re.search(r"(CRS84|4326|4490)$", crs_name):
        raise ImportRejected([file_error(
            f"文件使用投影坐标系“{crs_name}”：请在 GIS 软件中导出为经纬度坐标（EPSG:4326）后再上传")])
    if not data["features"]:
        raise ImportRejected([file_error("GeoJSON 文件中没有要素")])
    if len(data["features"]) > MAX_FEATURES:
        raise ImportRejected([file_error(f"一次最多导入 {MAX_FEATURES} 个要素，请拆分文件")])
    return data["features"]


def _prop(props: dict, keys: tuple[str, ...]) -> tuple[str, str]:
    """The first of `keys` present with a value: (key, value as text); else (keys[0], "")."""
    for k in keys:
        if k in props and cell_text(props[k]) != "":
            return k, cell_text(props[k])
    return keys[0], ""


class _GeoImport:
    def __init__(self, user, crs: coords.CRS) -> None:
        self.user = user
        self.crs = crs
        self.errors: list[RowError] = []
        self.geo = _Geo()

    def error(self, n: int, column: str, value: str, message: str) -> None:
        self.errors.append(RowError(n, column, value, message, unit="个要素"))

    def geometry(self, n: int, feature: dict, region_code: str | None) -> dict | None:
        """The feature's outline as stored (places.geometry, the one outline validator), or
        None with the problem recorded."""
        raw = feature.get("geometry")
        parent = self.geo.outline(region_code) if region_code is not None else None
        try:
            converted, _geom = geometry.check_outline(raw, self.crs, parent=parent)
        except geometry.GeometryError as e:
            gtype = str(raw.get("type", "")) if isinstance(raw, dict) else ""
            self.error(n, "geometry", gtype, str(e))
            return None
        return converted

    def region(self, n: int, props: dict, *, community: bool) -> Region | None:
        key, text = _prop(props, _REGION_KEYS)
        if not text:
            self.error(n, key, "", "缺少区划代码（属性“区划代码”或 region）")
            return None
        try:
            code = tabular.code(text)
        except CellError as e:
            self.error(n, key, text, str(e))
            return None
        region = Region.objects.filter(code=code).first()
        if region is None:
            self.error(n, key, text, f"区划代码“{code}”不存在，请核对")
        elif community and region.level != Region.Level.COMMUNITY:
            self.error(n, key, text, f"网格应属于社区/村，“{region.name}”是{region.get_level_display()}")
        elif not scope.can_edit(self.user, code):
            self.error(n, key, text, f"无权在该区划登记（{region.name} {code}）")
        else:
            return region
        return None

    def grids(self, features: list[dict]) -> list[tuple[models.Model, bool]]:
        seen: dict[tuple[str, str], int] = {}
        pending = []
        for n, f in enumerate(features, start=1):
            props = (f.get("properties") or {}) if isinstance(f, dict) else {}
            if not isinstance(f, dict) or not isinstance(props, dict):
                self.error(n, "", "", "不是有效的 GeoJSON 要素（Feature）")
                continue
            key, name = _prop(props, _GRID_NAME_KEYS)
            if not name:
                self.error(n, key, "", "缺少网格名称（属性“网格名称”或 name）")
            elif len(name) > 100:
                self.error(n, key, name, f"不能超过 100 个字，收到 {len(name)} 个字")
                name = ""
            region = self.region(n, props, community=True)
            boundary = self.geometry(n, f, region.code if region else None)
            if not name or region is None or boundary is None:
                continue
            if (region.code, name) in seen:
                self.error(n, key, name, f"与第{seen[region.code, name]}个要素重复：同一社区/村内网格名称不能相同")
                continue
            seen[region.code, name] = n
            grid = Grid.objects.filter(region=region, name=name).first()
            is_new = grid is None
            if is_new:
                grid = Grid(region=region, name=name)
            grid.boundary = boundary
            pending.append((grid, is_new))
        return pending

    def compound_boundaries(self, features: list[dict]) -> list[tuple[models.Model, bool]]:
        visible = scope.compounds_for(self.user)
        seen: dict[int, int] = {}
        pending = []
        for n, f in enumerate(features, start=1):
            props = (f.get("properties") or {}) if isinstance(f, dict) else {}
            if not isinstance(f, dict) or not isinstance(props, dict):
                self.error(n, "", "", "不是有效的 GeoJSON 要素（Feature）")
                continue
            compound, key, text = None, "", ""
            id_key, id_text = _prop(props, _COMPOUND_ID_KEYS)
            if id_text:
                key, text = id_key, id_text
                try:
                    compound = visible.filter(pk=tabular.uint(id_text)).first()
                except CellError as e:
                    self.error(n, key, text, str(e))
                    continue
                missing = f"找不到编号为 {id_text} 的小区"
            else:
                rkey, rtext = _prop(props, _REGION_KEYS)
                key, text = _prop(props, _COMPOUND_NAME_KEYS)
                if not rtext or not text:
                    self.error(n, key if rtext else rkey, "",
                               "缺少小区编号（id），或“区划代码”加“小区名称”")
                    continue
                try:
                    code = tabular.code(rtext)
                except CellError as e:
                    self.error(n, rkey, rtext, str(e))
                    continue
                compound = visible.filter(region_id=code, name=text).first()
                missing = f"在区划 {code} 中找不到名为“{text}”的小区"
            if compound is None:
                self.error(n, key, text, missing)
                self.geometry(n, f, None)
                continue
            boundary = self.geometry(n, f, compound.region_id)
            if not scope.can_edit(self.user, compound.region_id):
                self.error(n, key, text, "无权修改该小区的边界")
                continue
            if boundary is None:
                continue
            if compound.pk in seen:
                self.error(n, key, text, f"与第{seen[compound.pk]}个要素是同一个小区")
                continue
            seen[compound.pk] = n
            compound.boundary = boundary
            pending.append((compound, False))
        return pending


def import_geojson(user, kind: str, content: bytes, crs: str, *, request=None) -> ImportResult:
    """Import grid outlines or compound boundaries (see GEO_KINDS) from a GeoJSON file in `crs`.

    Raises ImportRejected (nothing written) listing every problem by feature, or returns counts."""
    if kind not in GEO_KINDS:
        raise ValueError(f"未知的 GeoJSON 导入类型：{kind}（应为 {'、'.join(GEO_KINDS)} 之一）")
    crs = coords.CRS(crs)
    features = _features(content)
    with transaction.atomic():
        imp = _GeoImport(user, crs)
        pending = imp.grids(features) if kind == "grids" else imp.compound_boundaries(features)
        if imp.errors:
            raise ImportRejected(imp.errors)
        if kind == "compound_boundaries":
            for obj, _ in pending:
                obj.save(update_fields=["boundary"])
            result = ImportResult(created=0, updated=len(pending))
        else:
            result = _save(pending)
            invalidate()  # new outlines: point → grid must see them, now and once committed
            transaction.on_commit(invalidate)
        model = Grid if kind == "grids" else Compound
        masking.log(
            user, AuditLog.Action.IMPORT, object_type=model._meta.label_lower,
            region_code=common_region(obj.region_id for obj, _ in pending),
            detail=f"导入{KIND_LABELS[kind]}（GeoJSON）：新增 {result.created} 条，"
                   f"更新 {result.updated} 条（坐标系 {crs.value}）",
            request=request)
    return result


# --- writing spreadsheets --------------------------------------------------------------------

def _category_rows() -> list[list[str]]:
    return [[c.name, c.code, c.get_level_display()] for c in FacilityCategory.objects.all()]


def _notes(spec: _Spec, *, export: bool) -> list[str]:
    crs = "；".join(coords.CRS_LABELS.values())
    lines = [
        "第1行为表头（深色为必填列），请勿修改列名；从第2行起每行一条记录，空行会被跳过。",
        f"坐标系：上传时需选择文件中经纬度所用的坐标系——{crs}。选错会使位置偏移数百米。"
        "系统统一按 WGS-84 保存。",
        "经纬度请填十进制度数（如 经度 116.6839、纬度 39.5066），注意不要填反。",
        "区划代码为12位统计用区划代码；在 Excel 中请把该列设为“文本”格式，以免显示成科学计数法。",
        "同一区划内同名的记录会被更新，其余新增。文件中只要有一处问题，整个文件都不会导入，并会列出所有问题。",
        "只能导入本人有权登记的区划内的数据。",
    ]
    if export:
        lines.insert(0, "本文件由系统导出，坐标为 WGS-84：修改后重新导入时请选择 WGS-84。"
                        "打码的电话号码（含*）重新导入时保持原值不变。")
    return lines


def _workbook(spec: _Spec, rows: list[list[Any]], *, export: bool) -> bytes:
    categories = _category_rows() if spec.kind == "facilities" else []
    return tabular.template_xlsx(
        spec.label, spec.columns, _notes(spec, export=export), rows=rows,
        help_title=f"{spec.label}{'导出' if export else '导入'}说明",
        choices={"category": [name for name, *_ in categories]} if categories else None,
        allowed={"category": "见下方“设施类别”表"},
        tables=[(("设施类别", "代码", "生活圈层级"), categories)] if categories else ())


def template(kind: str, fmt: str) -> tuple[bytes, str, str]:
    """An empty import template: (content, content_type, filename). fmt "xlsx" or "csv"."""
    spec = _spec(kind)
    if fmt == "xlsx":
        return _workbook(spec, [], export=False), XLSX_TYPE, f"{spec.label}导入模板.xlsx"
    if fmt == "csv":
        return (tabular.csv_bytes([c.header for c in spec.columns], []), CSV_TYPE,
                f"{spec.label}导入模板.csv")
    raise ValueError(f"模板格式应为 xlsx 或 csv，收到 {fmt}")


# --- export ----------------------------------------------------------------------------------


def _yn(v: bool) -> str:
    return "是" if v else "否"


def _compound_values(c: Compound) -> dict[str, Any]:
    return {
        "name": c.name, "region": c.region_id, "address": c.address, "lng": c.lng, "lat": c.lat,
        "year_built": c.year_built, "buildings": c.buildings, "households": c.households,
        "population": c.population, "property_status": str(c.get_property_status_display()),
        "property_company": c.property_company.name if c.property_company_id else "",
        "committee": str(c.get_committee_display()), "committee_head": c.committee_head,
        "committee_head_phone": c.committee_head_phone,
        "head_is_party_secretary": _yn(c.head_is_party_secretary), "is_old": _yn(c.is_old),
        "renovation_class": c.renovation_class, "smart_safety": _yn(c.smart_safety),
    }


def _facility_values(f: Facility) -> dict[str, Any]:
    return {
        "name": f.name, "category": f.category.name, "region": f.region_id, "address": f.address,
        "lng": f.lng, "lat": f.lat, "capacity": f.capacity, "opening_hours": f.opening_hours,
        "signed_service_point": _yn(f.signed_service_point),
    }


def _organisation_values(o: Organisation) -> dict[str, Any]:
    return {
        "name": o.name, "kind": str(o.get_kind_display()), "region": o.region_id,
        "credit_code": o.credit_code, "address": o.address, "contact_person": o.contact_person,
        "contact_phone": o.contact_phone,
    }


_VALUES = {"compounds": _compound_values, "facilities": _facility_values,
           "organisations": _organisation_values}
_QUERYSETS = {"compounds": scope.compounds_for, "facilities": scope.facilities_for,
              "organisations": scope.organisations_for, "grids": scope.grids_for,
              "regions": scope.regions_for}


def _export_q(sc: scope.Scope, field_name: str) -> Q:
    """Rows inside a region where one of the user's memberships grants the export right."""
    if sc.everything:
        return Q()
    prefixes = sorted({g.prefix for g in sc.grants if EXPORT in g.rights})
    if not prefixes:
        return Q(pk__in=[])
    return reduce(or_, (Q(**{f"{field_name}__startswith": p}) for p in prefixes))


def _narrow(region_prefix: str | None) -> str:
    if not region_prefix:
        return ""
    p = str(region_prefix).strip()
    if not p.isdigit() or len(p) > 12:
        raise ValueError(f"区划代码应为不超过12位的数字，收到 {region_prefix}")
    return code_prefix(p) if len(p) == 12 else p


def _feature(geometry: dict | None, properties: dict[str, Any]) -> dict:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def _geojson_bytes(features: list[dict]) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": features},
                      ensure_ascii=False).encode("utf-8")


def export(user, kind: str, fmt: str, *, region_prefix: str | None = None, unmask: bool = False,
           request=None) -> tuple[bytes, str, str]:
    """Export `kind` (KINDS, or "grids"/"regions" as GeoJSON) as (content, content_type, filename).

    Only rows the scope functions return, in regions where the user has the export right,
    optionally narrowed to `region_prefix`. Personal fields are masked unless `unmask` and the user
    may unmask in that row's region. Raises PermissionError without the export right, ValueError
    for an unknown kind or format."""
    if kind not in EXPORT_KINDS:
        raise ValueError(f"未知的导出类型：{kind}")
    formats = {"organisations": ("xlsx", "csv"), "grids": ("geojson",),
               "regions": ("geojson",)}.get(kind, ("xlsx", "csv", "geojson"))
    if fmt not in formats:
        raise ValueError(f"{KIND_LABELS[kind]}只能导出为 {'、'.join(formats)}")
    sc = scope.scope_of(user)
    if not sc.has_right(EXPORT):
        raise PermissionError("没有导出数据的权限")
    prefix = _narrow(region_prefix)
    field_name = "code" if kind == "regions" else "region__code"
    qs = _QUERYSETS[kind](user)
    if kind != "regions":
        qs = qs.filter(_export_q(sc, field_name))
    if prefix:
        qs = qs.filter(**{f"{field_name}__startswith": prefix})
    label = KIND_LABELS[kind]
    model = qs.model
    personal = masking.PERSONAL_FIELDS.get(model._meta.label_lower, ())
    unmasked = 0
    allowed: dict[str, bool] = {}
    records: list[tuple[models.Model, dict[str, Any]]] = []

    if kind == "regions":
        qs = qs.exclude(boundary__isnull=True).order_by("code")
    for obj in qs.order_by(*(["code"] if kind == "regions" else ["region_id", "name"])):
        values = _VALUES[kind](obj) if kind in _VALUES else {}
        shown = False
        for key in personal:
            raw = values.get(key) or ""
            if not raw:
                continue
            code = obj.region_id
            if code not in allowed:
                allowed[code] = unmask and masking.can_unmask(user, code)
            if allowed[code]:
                shown = True
            else:
                values[key] = masking.mask(raw)
        unmasked += shown
        records.append((obj, values))

    stamp = timezone.localdate().strftime("%Y%m%d")
    base = f"{label}_{prefix}_{stamp}" if prefix else f"{label}_{stamp}"
    if fmt in ("xlsx", "csv"):
        spec = _spec(kind)
        rows = [[values.get(c.key) for c in spec.columns] for _, values in records]
        if fmt == "xlsx":
            content, ctype = _workbook(spec, rows, export=True), XLSX_TYPE
        else:
            content, ctype = tabular.csv_bytes([c.header for c in spec.columns], rows), CSV_TYPE
    else:
        content, ctype = _geojson_bytes(_export_features(kind, records)), GEOJSON_TYPE
    filename = f"{base}.{fmt}"

    region_code = prefix.ljust(12, "0") if prefix else ""
    masking.log(user, AuditLog.Action.EXPORT, object_type=model._meta.label_lower,
                region_code=region_code,
                detail=f"导出{label} {len(records)} 条（{fmt}）", request=request)
    if unmasked:
        masking.log(user, AuditLog.Action.UNMASK, object_type=model._meta.label_lower,
                    fields=",".join(personal), region_code=region_code,
                    detail=f"导出{label}时查看 {unmasked} 条记录的个人信息（未打码）", request=request)
    return content, ctype, filename


def _export_features(kind: str, records: list[tuple[models.Model, dict[str, Any]]]) -> list[dict]:
    out = []
    if kind in ("compounds", "facilities"):
        spec = _spec(kind)
        for obj, values in records:
            props = {"id": obj.pk, **{c.header: values.get(c.key) for c in spec.columns}}
            point = {"type": "Point", "coordinates": [obj.lng, obj.lat]}
            geometry = (obj.boundary or point) if kind == "compounds" else point
            out.append(_feature(geometry, props))
    elif kind == "grids":
        for g, _ in records:
            out.append(_feature(g.boundary, {"id": g.pk, "网格名称": g.name, "区划代码": g.region_id,
                                             "社区/村": g.region.name}))
    else:
        for r, _ in records:
            out.append(_feature(r.boundary, {
                "区划代码": r.code, "名称": r.name, "层级": str(r.get_level_display()),
                "上级区划代码": r.parent_id or "", "边界为生成数据": _yn(r.geometry_generated)}))
    return out
