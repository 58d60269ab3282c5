"""The two import pages of cases (12345 work orders, police-incident returns) are one template,
cases/import_base.html: each keeps its own heading, help and template link, and both list a
refused file's row errors with the Excel download."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.hostile import csv_with

pytestmark = pytest.mark.django_db

PAGES = [
    # url, who may import, posted fields besides the file, heading, template link
    ("/cases/import/", "district", {"crs": "wgs84"}, "导入 12345 工单", "/cases/import/template.xlsx"),
    ("/cases/incidents/import/", "dept1", {"district": "131002000000"}, "导入警情月报",
     "/cases/incidents/template.xlsx"),
]


@pytest.mark.parametrize("url, who, fields, heading, template", PAGES)
def test_both_pages_are_the_one_template_with_their_own_words(client_for, url, who, fields,
                                                              heading, template):
    r = client_for(who).get(url)
    assert r.status_code == 200
    assert "cases/import_base.html" in [t.name for t in r.templates]
    page = r.content.decode()
    assert f"<h1>{heading}</h1>" in page and f'href="{template}"' in page
    assert page.count('enctype="multipart/form-data"') == 1


@pytest.mark.parametrize("url, who, fields, heading, template", PAGES)
def test_a_refused_file_lists_its_rows_on_either_page(client_for, url, who, fields, heading,
                                                      template):
    content = csv_with(["月份", "工单编号"], [["<script>x</script>", "=cmd|' /C calc'!A0"]])
    r = client_for(who).post(url, {**fields, "file": SimpleUploadedFile("bad.csv", content,
                                                                        "text/csv")})
    assert r.status_code == 200
    page = r.content.decode()
    assert "处问题" in page and "下载问题清单 (Excel)" in page
    assert "<script>x</script>" not in page
