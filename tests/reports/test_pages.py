"""The report page: who may read, download and edit it, and edited narratives in every export."""

from __future__ import annotations

import io
from urllib.parse import unquote

import docx
import pytest
from django.urls import reverse

from minsheng.accounts.models import AuditLog
from minsheng.reports.models import ReportDraft
from tests.reports.conftest import DISTRICT, OTHER_DISTRICT, YEAR

pytestmark = pytest.mark.django_db

PAGE = reverse("reports:annual")
DOWNLOAD = reverse("reports:download")
NARRATIVE = reverse("reports:narrative")


def page(client, region: str = DISTRICT, year: int = YEAR):
    return client.get(PAGE, {"region": region, "year": year})


def docx_text(content: bytes) -> str:
    d = docx.Document(io.BytesIO(content))
    return "\n".join(p.text for p in d.paragraphs)


def test_the_district_admin_previews_and_may_edit(client_for, year_of_cases):
    r = page(client_for("district"))
    assert r.status_code == 200
    html = r.content.decode()
    assert "安次区2023年民生工作报告" in html
    assert "srcdoc=" in html and "全年受理群众诉求6件" in html  # the preview, escaped inside
    assert f'action="{NARRATIVE}"' in html and 'name="text"' in html
    assert "正在生成" in html  # the downloads say they are working
    for fmt in ("docx", "pdf", "html", "xlsx"):
        assert f"format={fmt}" in html


def test_a_viewer_reads_and_downloads_but_cannot_edit(client_for, year_of_cases):
    c = client_for("viewer1")
    r = page(c)
    assert r.status_code == 200
    assert 'name="text"' not in r.content.decode()
    assert "需要区级管理员权限" in r.content.decode()
    r = c.post(NARRATIVE, {"region": DISTRICT, "year": YEAR, "key": "governance",
                           "text": "改写", "action": "save"})
    assert r.status_code == 403
    assert not ReportDraft.objects.exists()
    r = c.get(DOWNLOAD, {"region": DISTRICT, "year": YEAR, "format": "docx"})
    assert r.status_code == 200
    assert "attachment" in r["Content-Disposition"]
    assert unquote(r["Content-Disposition"]).endswith("安次区2023年民生工作报告.docx")
    assert "全年受理群众诉求6件" in docx_text(r.content)
    assert AuditLog.objects.filter(action="export", object_type="reports.annual",
                                   region_code=DISTRICT).exists()


def test_another_district_is_not_found(client_for):
    c = client_for("district")
    assert page(c, OTHER_DISTRICT).status_code == 404
    assert c.get(DOWNLOAD, {"region": OTHER_DISTRICT, "year": YEAR, "format": "xlsx"}
                 ).status_code == 404
    assert c.post(NARRATIVE, {"region": OTHER_DISTRICT, "year": YEAR, "key": "intro",
                              "text": "x"}).status_code == 404
    # a street officer reads their street's report, not the district's
    street = client_for("street1")
    assert page(street).status_code == 404


def test_residents_and_anonymous_users_are_refused(client, client_for):
    assert page(client_for("resident1")).status_code == 403
    assert client_for("resident1").get(DOWNLOAD, {"region": DISTRICT, "year": YEAR,
                                                  "format": "html"}).status_code == 403
    r = page(client)
    assert r.status_code == 302 and "login" in r["Location"]


def test_bad_download_requests_say_why(client_for):
    c = client_for("district")
    r = c.get(DOWNLOAD, {"region": DISTRICT, "year": YEAR, "format": "odt"})
    assert r.status_code == 400 and "不支持的格式" in r.content.decode()
    r = c.get(DOWNLOAD, {"region": DISTRICT, "year": 1990, "format": "docx"})
    assert r.status_code == 400 and "超出范围" in r.content.decode()


def test_an_edited_narrative_is_used_by_every_export_until_reset(client_for, year_of_cases):
    c = client_for("district")
    text = "全年受理群众诉求6件，群众反映最集中的是物业维修。\n\n下一步将完善网格巡查。"
    r = c.post(NARRATIVE, {"region": DISTRICT, "year": YEAR, "key": "governance",
                           "text": text, "action": "save"})
    assert r.status_code == 302 and r["Location"].endswith("#edit-governance")
    draft = ReportDraft.objects.get(region_id=DISTRICT, year=YEAR)
    assert draft.narratives["governance"] == text and draft.updated_by.username == "district"

    body = docx_text(c.get(DOWNLOAD, {"region": DISTRICT, "year": YEAR,
                                      "format": "docx"}).content)
    assert "群众反映最集中的是物业维修。" in body and "下一步将完善网格巡查。" in body
    assert "调解矛盾纠纷2件" not in body  # the generated paragraphs of that section are replaced
    assert "民生支出" in body  # other sections are untouched
    html = c.get(DOWNLOAD, {"region": DISTRICT, "year": YEAR, "format": "html"}).content.decode()
    assert '<p class="edited">下一步将完善网格巡查。</p>' in html
    assert "已改写" in page(c).content.decode()

    c.post(NARRATIVE, {"region": DISTRICT, "year": YEAR, "key": "governance",
                       "action": "reset"})
    assert ReportDraft.objects.get(region_id=DISTRICT, year=YEAR).narratives == {}
    body = docx_text(c.get(DOWNLOAD, {"region": DISTRICT, "year": YEAR,
                                      "format": "docx"}).content)
    assert "下一步将完善网格巡查" not in body and "调解矛盾纠纷2件" in body


def test_saving_the_generated_text_keeps_following_the_data(client_for, year_of_cases):
    c = client_for("district")
    r = page(c)
    generated = next(s for s in r.context["report"].sections if s.key == "legal").generated
    c.post(NARRATIVE, {"region": DISTRICT, "year": YEAR, "key": "legal", "text": generated,
                       "action": "save"})
    draft = ReportDraft.objects.filter(region_id=DISTRICT, year=YEAR).first()
    assert draft is None or "legal" not in draft.narratives
