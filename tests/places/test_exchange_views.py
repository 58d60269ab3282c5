from __future__ import annotations

import io
import re

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from minsheng.places import exchange
from minsheng.places.models import Compound, Region

pytestmark = pytest.mark.django_db


def workbook(rows) -> bytes:
    content, _, _ = exchange.template("compounds", "xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(content))
    ws = wb.worksheets[0]
    headers = [c.value for c in ws[1]]
    for r in rows:
        ws.append([r.get(h) for h in headers])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_bad_file_is_rejected_whole_with_row_errors_on_the_page(client_for):
    comm = Region.objects.filter(parent_id="131002001000").order_by("code").first()
    good = {"小区名称": "页面导入好小区", "所属社区/村区划代码": comm.code, "经度": 116.70,
            "纬度": 39.50, "物业管理状态": "无物业", "户数": 10}
    bad = {"小区名称": "页面导入坏小区", "所属社区/村区划代码": comm.code, "经度": 116.70,
           "纬度": 39.50, "物业管理状态": "无物业", "户数": "十二"}
    before = Compound.objects.count()
    r = client_for("street1").post("/import/", {
        "kind": "compounds", "crs": "wgs84",
        "file": SimpleUploadedFile("小区.xlsx", workbook([good, bad])),
    })
    html = r.content.decode()
    assert r.status_code == 200
    assert "数据库没有任何改动" in html
    assert re.search(r'<td class="num">3</td><td>户数</td>', html)
    assert Compound.objects.count() == before
    assert not Compound.objects.filter(name="页面导入好小区").exists()
    report = re.search(r'name="report" value="([^"]+)"', html).group(1)
    xlsx = client_for("street1").post("/import/errors.xlsx", {"report": report})
    rows = list(openpyxl.load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert any("户数" in [str(v) for v in row] for row in rows)


def test_good_file_imports_and_says_how_many(client_for):
    comm = Region.objects.filter(parent_id="131002001000").order_by("code").first()
    r = client_for("street1").post("/import/", {
        "kind": "compounds", "crs": "gcj02",
        "file": SimpleUploadedFile("小区.xlsx", workbook([{
            "小区名称": "页面导入新小区", "所属社区/村区划代码": comm.code, "经度": 116.706,
            "纬度": 39.501, "物业管理状态": "无物业", "户数": 10}])),
    }, follow=True)
    assert "导入成功：新增 1 条" in r.content.decode()
    c = Compound.objects.get(name="页面导入新小区")
    assert c.lng != 116.706 and abs(c.lng - 116.706) < 0.01  # converted from GCJ-02


def test_crs_must_be_chosen(client_for):
    r = client_for("street1").post("/import/", {
        "kind": "compounds", "file": SimpleUploadedFile("a.xlsx", workbook([]))})
    assert r.status_code == 200
    assert 'class="error"' in r.content.decode()


def test_roles_without_edit_right_cannot_open_import(client_for):
    for username in ("viewer1", "resident1", "grid1", "property1"):
        assert client_for(username).get("/import/").status_code == 403, username


def test_template_download_has_chinese_headers(client_for):
    r = client_for("street1").get("/templates/compounds.xlsx")
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).worksheets[0]
    assert "小区名称" in [c.value for c in ws[1]]
    assert "filename*=UTF-8''" in r["Content-Disposition"]
