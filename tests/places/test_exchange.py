"""Import and export of places: what a street or district worker relies on when they fill in the
Excel template, upload it, and download their lists.

Files are built here as a user would make them: real .xlsx with openpyxl, UTF-8 CSV and the GBK CSV
that Chinese Excel saves."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from minsheng.accounts.models import AuditLog
from minsheng.places import coords, exchange
from minsheng.places.exchange import ImportRejected
from minsheng.places.models import Compound, Facility, Grid, Organisation, Region

pytestmark = pytest.mark.django_db

STREET1 = "131002001"
STREET2 = "131002002"

COMPOUND_HEADERS = [
    "小区名称", "所属社区/村区划代码", "地址", "经度", "纬度", "建成年份", "楼栋数", "户数", "人口",
    "物业管理状态", "物业服务企业", "业委会/物管会", "主任", "主任联系电话", "主任由党支部书记担任",
    "老旧小区", "改造类别", "智慧安防小区",
]
FACILITY_HEADERS = ["名称", "类别", "区划代码", "地址", "经度", "纬度", "服务容量", "营业时间",
                    "签约生活圈服务网点"]
ORGANISATION_HEADERS = ["名称", "类型", "区划代码", "统一社会信用代码", "地址", "联系人", "联系电话"]


# --- helpers ---------------------------------------------------------------------------------


def xlsx(rows: list[list]) -> bytes:
    wb = openpyxl.Workbook()
    for r in rows:
        wb.active.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_bytes(rows: list[list], encoding: str = "utf-8-sig") -> bytes:
    buf = io.StringIO(newline="")
    csv.writer(buf).writerows(rows)
    return buf.getvalue().encode(encoding)


def compound_row(name: str, code: str, lng, lat, **cells) -> list:
    values = {"小区名称": name, "所属社区/村区划代码": code, "经度": lng, "纬度": lat, **cells}
    return [values.get(h) for h in COMPOUND_HEADERS]


def sheet_rows(content: bytes) -> tuple[list, list[list]]:
    ws = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    return rows[0], rows[1:]


def csv_rows(content: bytes) -> list[dict[str, str]]:
    assert content.startswith(b"\xef\xbb\xbf"), "CSV must carry a BOM so Excel reads it as UTF-8"
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def snapshot(qs) -> list[dict]:
    return list(qs.order_by("pk").values())


@pytest.fixture
def comm1() -> Region:
    return Region.objects.filter(code__startswith=STREET1, level="community").order_by("code").first()


@pytest.fixture
def comm2() -> Region:
    return Region.objects.filter(code__startswith=STREET2, level="community").order_by("code").first()


@pytest.fixture
def company() -> Organisation:
    return Organisation.objects.filter(kind="property_company", region_id="131002000000").order_by(
        "name").first()


# --- templates -------------------------------------------------------------------------------


def test_templates_have_the_chinese_headers_and_an_explanation_sheet():
    content, ctype, filename = exchange.template("compounds", "xlsx")
    assert ctype == exchange.XLSX_TYPE and filename.endswith(".xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(content))
    header, data = sheet_rows(content)
    assert header == COMPOUND_HEADERS
    assert data == []  # no example row to import by accident
    notes = wb["说明"]
    listed = {r[0]: r[1] for r in notes.iter_rows(values_only=True) if r[0] in COMPOUND_HEADERS}
    assert set(listed) == set(COMPOUND_HEADERS)
    assert listed["小区名称"] == "必填" and listed["地址"] == "选填"
    text = "\n".join(str(c) for r in notes.iter_rows(values_only=True) for c in r if c)
    assert "GCJ-02" in text and "WGS-84" in text and "BD-09" in text

    for kind, headers in (("facilities", FACILITY_HEADERS), ("organisations", ORGANISATION_HEADERS)):
        assert sheet_rows(exchange.template(kind, "xlsx")[0])[0] == headers
        content, ctype, filename = exchange.template(kind, "csv")
        assert ctype.startswith("text/csv") and filename.endswith(".csv")
        assert content.startswith(b"\xef\xbb\xbf")
        assert content[3:].decode("utf-8").splitlines() == [",".join(headers)]

    # The facility category list is in the explanation, by name and code.
    notes = openpyxl.load_workbook(io.BytesIO(exchange.template("facilities", "xlsx")[0]))["说明"]
    cells = {c for r in notes.iter_rows(values_only=True) for c in r if c}
    assert {"便利店", "convenience"} <= cells


def test_filled_in_template_imports(comm1):
    content = exchange.template("compounds", "xlsx")[0]
    wb = openpyxl.load_workbook(io.BytesIO(content))
    wb.worksheets[0].append(compound_row("模板新苑", comm1.code, comm1.lng, comm1.lat, 户数=120,
                                         物业管理状态="无物业", 老旧小区="是"))
    buf = io.BytesIO()
    wb.save(buf)
    result = exchange.import_file(_u("district"), "compounds", buf.getvalue(), "小区.xlsx", "wgs84")
    assert (result.created, result.updated) == (1, 0)
    c = Compound.objects.get(region=comm1, name="模板新苑")
    assert c.households == 120 and c.is_old and c.property_status == "none"


def _u(username: str):
    return get_user_model().objects.get(username=username)


# --- round trip ------------------------------------------------------------------------------


def test_export_reimports_unchanged_as_district():
    district = _u("district")
    qs = Compound.objects.filter(region__code__startswith="131002")
    before = snapshot(qs)
    content, ctype, filename = exchange.export(district, "compounds", "xlsx")
    assert ctype == exchange.XLSX_TYPE and filename.endswith(".xlsx")
    header, rows = sheet_rows(content)
    assert header == COMPOUND_HEADERS
    assert len(rows) == len(before)
    # Phones are masked in the file (no unmask asked) …
    assert any(r[13] and "*" in r[13] for r in rows)

    result = exchange.import_file(district, "compounds", content, filename, "wgs84")
    assert (result.created, result.updated) == (0, len(before))
    # … and importing the file back changes nothing, not even the masked phone numbers.
    assert snapshot(qs) == before
    log = AuditLog.objects.filter(action="import", user=district).latest("at")
    assert f"更新 {len(before)} 条" in log.detail


@pytest.mark.parametrize("kind", ["facilities", "organisations"])
def test_csv_export_reimports_unchanged(kind):
    district = _u("district")
    model = {"facilities": Facility, "organisations": Organisation}[kind]
    qs = model.objects.filter(region__code__startswith=STREET1)
    before = snapshot(qs)
    content, _, filename = exchange.export(district, kind, "csv", region_prefix=STREET1)
    assert len(csv_rows(content)) == len(before) > 0
    result = exchange.import_file(district, kind, content, filename, "wgs84")
    assert (result.created, result.updated) == (0, len(before))
    assert snapshot(qs) == before


FORMULA_NAMES = ["=1+2", "+86 138 0000 0000", "-5", "@SUM(A1)", '=HYPERLINK("http://x","点我")']


def _formula_named(model) -> list[int]:
    """Give some records of street 1 names a spreadsheet would take for formulas."""
    pks = list(model.objects.filter(region__code__startswith=STREET1).order_by("pk")
               .values_list("pk", flat=True)[:len(FORMULA_NAMES)])
    assert len(pks) == len(FORMULA_NAMES)
    for pk, name in zip(pks, FORMULA_NAMES, strict=True):
        model.objects.filter(pk=pk).update(name=name)
    return pks


@pytest.mark.parametrize("kind", ["compounds", "facilities", "organisations"])
def test_xlsx_export_writes_formula_like_names_as_quoted_text_and_reimports_them(kind):
    district = _u("district")
    model = {"compounds": Compound, "facilities": Facility, "organisations": Organisation}[kind]
    _formula_named(model)
    qs = model.objects.filter(region__code__startswith=STREET1)
    before = snapshot(qs)
    content, _, filename = exchange.export(district, kind, "xlsx", region_prefix=STREET1)
    ws = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    names = {c.value: c for c in ws["A"][1:]}
    for name in FORMULA_NAMES:
        cell = names["'" + name]  # OWASP: a quote in front, so it is shown as text …
        assert cell.data_type == "s"  # … and never a formula
    assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)
    header = [c.value for c in ws[1]]
    if "经度" in header:  # numbers stay numbers
        lng = [r[header.index("经度")] for r in ws.iter_rows(min_row=2, values_only=True)]
        assert lng and all(isinstance(v, float) for v in lng if v is not None)
    result = exchange.import_file(district, kind, content, filename, "wgs84")
    assert (result.created, result.updated) == (0, len(before))
    assert snapshot(qs) == before  # the importer took the quote off again


@pytest.mark.parametrize("kind", ["compounds", "facilities", "organisations"])
def test_csv_export_quotes_formula_like_names_and_reimports_them(kind):
    district = _u("district")
    model = {"compounds": Compound, "facilities": Facility, "organisations": Organisation}[kind]
    _formula_named(model)
    qs = model.objects.filter(region__code__startswith=STREET1)
    before = snapshot(qs)
    content, _, filename = exchange.export(district, kind, "csv", region_prefix=STREET1)
    first = next(iter(csv_rows(content)[0]))
    names = {r[first] for r in csv_rows(content)}
    assert {"'" + n for n in FORMULA_NAMES} <= names
    assert not names & set(FORMULA_NAMES)
    result = exchange.import_file(district, kind, content, filename, "wgs84")
    assert (result.created, result.updated) == (0, len(before))
    assert snapshot(qs) == before


def test_an_old_control_character_in_a_name_exports_as_a_replacement_character():
    pk = _formula_named(Compound)[0]
    Compound.objects.filter(pk=pk).update(name="银河\x07苑", address="第一行\n第二行")
    content, _, _ = exchange.export(_u("district"), "compounds", "xlsx", region_prefix=STREET1)
    header, rows = sheet_rows(content)
    row = next(r for r in rows if r[0] == "银河\ufffd苑")
    assert row[header.index("地址")] == "第一行\n第二行"


def test_import_updates_by_region_and_name(comm1):
    existing = Compound.objects.filter(region=comm1).exclude(address="").order_by("pk").first()
    address = existing.address
    # A file with only some columns changes only those columns.
    partial = xlsx([["小区名称", "所属社区/村区划代码", "经度", "纬度", "人口"],
                    [existing.name, comm1.code, existing.lng, existing.lat, 4321]])
    exchange.import_file(_u("street1"), "compounds", partial, "p.xlsx", "wgs84")
    existing.refresh_from_db()
    assert existing.population == 4321 and existing.address == address
    content = xlsx([COMPOUND_HEADERS,
                    compound_row(existing.name, comm1.code, existing.lng, existing.lat, 户数=777,
                                 楼栋数=9, 物业管理状态="物管会", 业委会="物业管理委员会")])
    n = Compound.objects.count()
    result = exchange.import_file(_u("street1"), "compounds", content, "a.xlsx", "wgs84")
    assert (result.created, result.updated) == (0, 1)
    assert Compound.objects.count() == n
    existing.refresh_from_db()
    assert (existing.households, existing.buildings) == (777, 9)
    assert existing.property_status == "management_committee"
    assert existing.property_company is None


# --- rejected files --------------------------------------------------------------------------


def test_malformed_file_lists_every_problem_and_writes_nothing(comm1, company):
    lng, lat = comm1.lng, comm1.lat
    content = xlsx([
        COMPOUND_HEADERS,
        compound_row("好好家园", comm1.code, lng, lat, 户数=100,
                     物业管理状态="物业公司", 物业服务企业=company.name),  # 2: valid
        compound_row("数字错苑", comm1.code, lng, lat, 户数="十二"),  # 3
        compound_row("无码小区", "131002999999", lng, lat),  # 4: no such region
        compound_row("无物业苑", comm1.code, lng, lat, 物业管理状态="物业公司",
                     物业服务企业="不存在的物业公司"),  # 5
        compound_row("颠倒花园", comm1.code, lat, lng),  # 6: latitude and longitude swapped
        compound_row("海外小区", comm1.code, 10.5, lat),  # 7: not in China
        compound_row(None, comm1.code, lng, lat),  # 8: name missing
        compound_row("好好家园", comm1.code, lng, lat),  # 9: same name as row 2
        compound_row("远方小区", comm1.code, lng + 1.5, lat),  # 10: ~130 km away
    ])
    counts = (Compound.objects.count(), AuditLog.objects.filter(action="import").count())
    with pytest.raises(ImportRejected) as exc:
        exchange.import_file(_u("district"), "compounds", content, "小区.xlsx", "wgs84")
    errors = exc.value.errors
    assert [(e.row, e.column) for e in errors] == [
        (3, "户数"), (4, "所属社区/村区划代码"), (5, "物业服务企业"), (6, "经度"), (7, "经度"),
        (8, "小区名称"), (9, "小区名称"), (10, "经度"),
    ]
    by_row = {e.row: e for e in errors}
    assert str(by_row[3]) == "第3行 第8列（户数）：应为非负整数，收到“十二”"
    assert by_row[3].value == "十二"
    assert "不存在" in by_row[4].message
    assert "不存在的物业公司" in by_row[5].message
    assert "填反" in by_row[6].message
    assert "必填" in by_row[8].message
    assert "第2行" in by_row[9].message
    assert "坐标系是否选对" in by_row[10].message
    # All or nothing: the valid row 2 was not written either, nor anything logged.
    assert (Compound.objects.count(),
            AuditLog.objects.filter(action="import").count()) == counts
    assert not Compound.objects.filter(name="好好家园").exists()

    report = openpyxl.load_workbook(io.BytesIO(exchange.error_report(errors))).worksheets[0]
    rows = list(report.iter_rows(values_only=True))
    assert rows[0] == ("行", "列", "值", "问题")
    assert rows[1][:3] == (3, "户数", "十二") and len(rows) == len(errors) + 1


def test_missing_and_unknown_columns_are_reported_for_the_file(comm1):
    content = csv_bytes([["小区名称", "经度", "纬度", "户数（户）"],
                         ["甲小区", comm1.lng, comm1.lat, 3]])
    with pytest.raises(ImportRejected) as exc:
        exchange.import_file(_u("district"), "compounds", content, "a.csv", "wgs84")
    found = {(e.row, e.column) for e in exc.value.errors}
    assert (0, "所属社区/村区划代码") in found  # required column missing
    assert (1, "户数（户）") in found  # a column the import would silently ignore


def test_unreadable_files_are_rejected_not_crashed():
    for content, name in ((b"\xd0\xcf\x11\xe0" + b"\0" * 100, "old.xls"),
                          (b"PK\x03\x04garbage", "broken.xlsx"), (b"", "empty.csv")):
        with pytest.raises(ImportRejected) as exc:
            exchange.import_file(_u("district"), "compounds", content, name, "wgs84")
        assert exc.value.errors[0].row == 0 and exc.value.errors[0].message


def test_masked_phone_that_is_not_the_stored_one_is_refused(comm1):
    content = xlsx([COMPOUND_HEADERS,
                    compound_row("新打码苑", comm1.code, comm1.lng, comm1.lat,
                                 主任联系电话="138****5678")])
    with pytest.raises(ImportRejected) as exc:
        exchange.import_file(_u("district"), "compounds", content, "a.xlsx", "wgs84")
    assert [(e.row, e.column) for e in exc.value.errors] == [(2, "主任联系电话")]


# --- encodings and cell types ----------------------------------------------------------------


def test_gbk_csv_from_chinese_excel_imports(comm1):
    rows = [FACILITY_HEADERS,
            ["惠民便利店", "便利店", comm1.code, "银河南路1号", comm1.lng, comm1.lat, "", "7:00-22:00", "是"],
            ["社区药房", "pharmacy", comm1.code, "", comm1.lng, comm1.lat, 30, "", "否"]]
    content = csv_bytes(rows, encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")  # really GBK
    result = exchange.import_file(_u("street1"), "facilities", content, "设施.csv", "wgs84")
    assert (result.created, result.updated) == (2, 0)
    f = Facility.objects.get(region=comm1, name="惠民便利店")
    assert f.category_id == "convenience" and f.signed_service_point and f.address == "银河南路1号"
    assert Facility.objects.get(region=comm1, name="社区药房").capacity == 30


def test_region_code_typed_as_a_number_in_excel_is_accepted(comm1):
    content = xlsx([ORGANISATION_HEADERS,
                    ["银河物业", "物业服务企业", int(comm1.code), "91131002MA0000000X", "", "张三",
                     13812345678]])
    exchange.import_file(_u("street1"), "organisations", content, "机构.xlsx", "wgs84")
    o = Organisation.objects.get(name="银河物业", region=comm1)
    assert o.kind == "property_company" and o.contact_phone == "13812345678"


# --- scope -----------------------------------------------------------------------------------


def test_street_user_cannot_import_into_another_street(comm1, comm2):
    n = Compound.objects.count()
    content = xlsx([COMPOUND_HEADERS,
                    compound_row("本街道苑", comm1.code, comm1.lng, comm1.lat),
                    compound_row("越界小区", comm2.code, comm2.lng, comm2.lat)])
    with pytest.raises(ImportRejected) as exc:
        exchange.import_file(_u("street1"), "compounds", content, "a.xlsx", "wgs84")
    assert [(e.row, e.column) for e in exc.value.errors] == [(3, "所属社区/村区划代码")]
    assert "无权" in exc.value.errors[0].message
    assert Compound.objects.count() == n

    # Their own street alone goes in; street2 can register in its own street.
    exchange.import_file(_u("street1"), "compounds", xlsx([COMPOUND_HEADERS, content_row(comm1)]),
                         "b.xlsx", "wgs84")
    exchange.import_file(_u("street2"), "compounds", xlsx([COMPOUND_HEADERS, content_row(comm2)]),
                         "c.xlsx", "wgs84")
    assert Compound.objects.count() == n + 2


def content_row(region: Region) -> list:
    return compound_row(f"{region.code}新苑", region.code, region.lng, region.lat)


def test_street_user_may_name_the_districts_property_company(comm1, company):
    """Companies are registered at district level; street staff still link their compounds."""
    content = xlsx([COMPOUND_HEADERS,
                    compound_row("物业苑", comm1.code, comm1.lng, comm1.lat,
                                 物业管理状态="物业公司", 物业服务企业=company.name)])
    exchange.import_file(_u("street1"), "compounds", content, "a.xlsx", "wgs84")
    assert Compound.objects.get(region=comm1, name="物业苑").property_company == company


def test_street_export_contains_only_their_street():
    header, rows = sheet_rows(exchange.export(_u("street1"), "compounds", "xlsx")[0])
    codes = [str(r[1]) for r in rows]
    assert codes and all(c.startswith(STREET1) for c in codes)
    assert len(codes) == Compound.objects.filter(region__code__startswith=STREET1).count()
    # Asking for street2's region gives nothing rather than street2's rows.
    assert sheet_rows(exchange.export(_u("street1"), "compounds", "xlsx",
                                      region_prefix=STREET2)[0])[1] == []
    fc = json.loads(exchange.export(_u("street1"), "facilities", "geojson")[0])
    assert fc["features"] and all(f["properties"]["区划代码"].startswith(STREET1)
                                  for f in fc["features"])
    assert AuditLog.objects.filter(action="export", user__username="street1").exists()


def test_users_without_export_right_get_permission_error():
    for username in ("resident1", "grid1", "property1"):
        with pytest.raises(PermissionError):
            exchange.export(_u(username), "compounds", "xlsx")


# --- personal data ---------------------------------------------------------------------------


@pytest.fixture
def with_phone() -> Compound:
    return Compound.objects.filter(region__code__startswith="131002").exclude(
        committee_head_phone="").order_by("pk").first()


def test_phone_masked_for_role_without_view_personal(with_phone):
    for username in ("viewer1", "dept1"):  # may export, may not see personal data
        rows = csv_rows(exchange.export(_u(username), "compounds", "csv", unmask=True)[0])
        row = next(r for r in rows if r["小区名称"] == with_phone.name
                   and r["所属社区/村区划代码"] == with_phone.region_id)
        assert row["主任联系电话"] != with_phone.committee_head_phone
        assert row["主任联系电话"].endswith(with_phone.committee_head_phone[-4:])
        assert "*" in row["主任联系电话"]
        assert not AuditLog.objects.filter(action="unmask", user__username=username).exists()


def test_district_unmasks_on_request_and_it_is_audited(with_phone):
    district = _u("district")
    rows = csv_rows(exchange.export(district, "compounds", "csv")[0])
    assert with_phone.committee_head_phone not in {r["主任联系电话"] for r in rows}
    assert not AuditLog.objects.filter(action="unmask", user=district).exists()

    rows = csv_rows(exchange.export(district, "compounds", "csv", unmask=True)[0])
    assert with_phone.committee_head_phone in {r["主任联系电话"] for r in rows}
    log = AuditLog.objects.get(action="unmask", user=district)
    assert log.fields == "committee_head_phone" and log.object_type == "places.compound"


# --- coordinates -----------------------------------------------------------------------------


def test_gcj02_coordinates_are_converted_once(comm1):
    glng, glat = coords.from_wgs84(comm1.lng, comm1.lat, "gcj02")  # as read off 高德
    content = xlsx([FACILITY_HEADERS, ["高德便利店", "便利店", comm1.code, "", glng, glat]])
    exchange.import_file(_u("district"), "facilities", content, "a.xlsx", "gcj02")
    f = Facility.objects.get(name="高德便利店")
    want = coords.to_wgs84(glng, glat, "gcj02")
    assert f.lng == pytest.approx(want[0], abs=1e-6) and f.lat == pytest.approx(want[1], abs=1e-6)
    assert 100 < coords.haversine_m(f.lng, f.lat, glng, glat) < 1000


# --- GeoJSON ---------------------------------------------------------------------------------


def square(lng: float, lat: float, d: float = 0.002) -> dict:
    ring = [[lng - d, lat - d], [lng + d, lat - d], [lng + d, lat + d], [lng - d, lat + d],
            [lng - d, lat - d]]
    return {"type": "Polygon", "coordinates": [ring]}


def feature_collection(*features: tuple[dict, dict]) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": p, "geometry": g} for p, g in features]},
        ensure_ascii=False).encode()


def test_geojson_grid_import_creates_and_updates(comm1):
    existing = Grid.objects.filter(region=comm1).order_by("name").first()
    content = feature_collection(
        ({"网格名称": "新第9网格", "区划代码": comm1.code}, square(comm1.lng, comm1.lat)),
        ({"name": existing.name, "region": comm1.code}, square(comm1.lng, comm1.lat, 0.001)))
    result = exchange.import_geojson(_u("street1"), "grids", content, "wgs84")
    assert (result.created, result.updated) == (1, 1)
    assert Grid.objects.get(region=comm1, name="新第9网格").boundary["type"] == "Polygon"
    existing.refresh_from_db()
    assert existing.boundary["coordinates"][0][0] == pytest.approx(
        [comm1.lng - 0.001, comm1.lat - 0.001], abs=1e-7)


def test_geojson_invalid_polygon_rejects_the_whole_file(comm1, comm2):
    lng, lat, d = comm1.lng, comm1.lat, 0.002
    bowtie = {"type": "Polygon", "coordinates": [[[lng - d, lat - d], [lng + d, lat + d],
                                                  [lng + d, lat - d], [lng - d, lat + d],
                                                  [lng - d, lat - d]]]}
    content = feature_collection(
        ({"网格名称": "好网格", "区划代码": comm1.code}, square(lng, lat)),
        ({"网格名称": "蝴蝶网格", "区划代码": comm1.code}, bowtie),
        ({"网格名称": "点网格", "区划代码": comm1.code}, {"type": "Point", "coordinates": [lng, lat]}),
        ({"网格名称": "越界网格", "区划代码": comm2.code}, square(comm2.lng, comm2.lat)),
    )
    n = Grid.objects.count()
    with pytest.raises(ImportRejected) as exc:
        exchange.import_geojson(_u("street1"), "grids", content, "wgs84")
    assert [(e.row, e.column) for e in exc.value.errors] == [
        (2, "geometry"), (3, "geometry"), (4, "区划代码")]
    assert "自相交" in exc.value.errors[0].message
    assert str(exc.value.errors[0]).startswith("第2个要素（geometry）：")
    assert Grid.objects.count() == n and not Grid.objects.filter(name="好网格").exists()


def test_compound_boundaries_round_trip_through_geojson_export(comm1):
    district = _u("district")
    target = Compound.objects.filter(region=comm1).order_by("pk").first()
    fc = json.loads(exchange.export(district, "compounds", "geojson", region_prefix=comm1.code)[0])
    feature = next(f for f in fc["features"] if f["properties"]["id"] == target.pk)
    assert feature["properties"]["小区名称"] == target.name
    new = square(target.lng, target.lat, 0.0005)
    content = feature_collection(({"区划代码": comm1.code, "小区名称": target.name}, new))
    result = exchange.import_geojson(_u("street1"), "compound_boundaries", content, "wgs84")
    assert (result.created, result.updated) == (0, 1)
    target.refresh_from_db()
    assert target.boundary["coordinates"][0][0] == pytest.approx(new["coordinates"][0][0])
    # street2 cannot even find street1's compound.
    with pytest.raises(ImportRejected) as exc:
        exchange.import_geojson(_u("street2"), "compound_boundaries",
                                feature_collection(({"id": target.pk}, new)), "wgs84")
    assert exc.value.errors[0].column == "id" and "找不到" in exc.value.errors[0].message


def test_regions_and_grids_export_as_geojson():
    fc = json.loads(exchange.export(_u("street1"), "regions", "geojson")[0])
    codes = {f["properties"]["区划代码"] for f in fc["features"]}
    assert f"{STREET1}000" in codes and not any(c.startswith(STREET2) for c in codes)
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in fc["features"])
    grids = json.loads(exchange.export(_u("street1"), "grids", "geojson")[0])["features"]
    assert grids and all(f["properties"]["区划代码"].startswith(STREET1) for f in grids)
    with pytest.raises(ValueError):
        exchange.export(_u("street1"), "organisations", "geojson")


# --- command line ----------------------------------------------------------------------------


def test_cli_template_import_and_export(tmp_path: Path, comm1):
    out = tmp_path / "模板.xlsx"
    call_command("places", "template", "compounds", "--format", "xlsx", "--out", str(out))
    assert sheet_rows(out.read_bytes())[0] == COMPOUND_HEADERS

    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes([COMPOUND_HEADERS, compound_row("命令行苑", comm1.code, comm1.lng,
                                                               comm1.lat, 户数=5)]))
    stdout = io.StringIO()
    call_command("places", "import", "compounds", str(good), "--crs", "wgs84", "--user", "street1",
                 stdout=stdout)
    assert "新增 1 条" in stdout.getvalue()
    assert Compound.objects.get(region=comm1, name="命令行苑").households == 5

    exported = tmp_path / "out.csv"
    call_command("places", "export", "compounds", "--format", "csv", "--user", "street1",
                 "--out", str(exported), stdout=io.StringIO())
    assert "命令行苑" in {r["小区名称"] for r in csv_rows(exported.read_bytes())}


def test_cli_import_with_errors_exits_nonzero_and_writes_nothing(tmp_path: Path, comm1):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx([COMPOUND_HEADERS,
                          compound_row("命令行好苑", comm1.code, comm1.lng, comm1.lat),
                          compound_row("命令行坏苑", comm1.code, comm1.lng, comm1.lat, 户数="十二")]))
    stderr = io.StringIO()
    n = Compound.objects.count()
    with pytest.raises(CommandError):
        call_command("places", "import", "compounds", str(bad), "--crs", "wgs84",
                     "--user", "district", stderr=stderr)
    assert "第3行 第8列（户数）：应为非负整数，收到“十二”" in stderr.getvalue()
    assert Compound.objects.count() == n
    with pytest.raises(CommandError):
        call_command("places", "export", "compounds", "--user", "resident1",
                     "--out", str(tmp_path / "x.xlsx"))
    assert not (tmp_path / "x.xlsx").exists()


def test_cli_places_osm_is_the_osm_sample_command(tmp_path: Path):
    with pytest.raises(CommandError, match="OSM"):
        call_command("places", "osm", str(tmp_path / "missing.osm"))



