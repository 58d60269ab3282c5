from __future__ import annotations

import io
import re

import docx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from minsheng.projects import access as project_access
from minsheng.projects import actions
from minsheng.projects.exchange import may_export
from minsheng.projects.models import ExpenditureLine, ProgressReport, Project
from minsheng.projects.services import status_of

pytestmark = pytest.mark.django_db


def test_demo_check_budget_page_shows_the_seed_share_computed_from_lines(client_for):
    """A demo check, not an independent proof: the demo's 2020 budget lines are made so that
    they give the seed's stated 24.7亿元 and 83.03%; this checks the page computes them."""
    html = client_for("district").get("/budget/?year=2020").content.decode()
    assert "24.70亿元" in html and "83.03%" in html and "3.67%" in html


def test_budget_import_rejects_bad_rows_and_keeps_old_lines(client_for):
    before = list(ExpenditureLine.objects.filter(year=2020).values_list("code", "amount"))
    bad = "科目编码,科目名称,金额\n205,教育,abc\n208,社保,100\n".encode()
    r = client_for("district").post("/budget/", {
        "year": 2020, "file": SimpleUploadedFile("b.csv", bad)})
    html = r.content.decode()
    assert "第2行" in html and "不是数字" in html
    assert list(ExpenditureLine.objects.filter(year=2020).values_list("code", "amount")) == before


def test_budget_page_denied_to_street_and_resident(client_for):
    assert client_for("street1").get("/budget/").status_code == 403
    assert client_for("resident1").post("/budget/", {"year": 2020}).status_code == 403


def test_department_sees_only_its_projects_on_the_list(client_for):
    html = client_for("dept1").get("/projects/").content.decode()
    ids = {int(x) for x in re.findall(r'href="/projects/(\d+)/"', html)}
    assert ids
    assert set(Project.objects.filter(pk__in=ids).values_list(
        "lead_department__name", flat=True)) == {"区民政局"}
    other = Project.objects.exclude(lead_department__name="区民政局").first()
    assert client_for("dept1").get(f"/projects/{other.pk}/").status_code == 404
    assert client_for("dept1").get(f"/projects/{other.pk}/report/").status_code == 404


def test_review_through_the_page(client_for):
    pending = ProgressReport.objects.filter(state="submitted").exclude(
        submitted_by__username="district").first()
    assert pending is not None
    c = client_for("district")
    assert "name=\"decision\"" in c.get(f"/projects/{pending.project_id}/").content.decode()
    c.post(f"/projects/reports/{pending.pk}/review/", {"decision": "approve"})
    pending.refresh_from_db()
    assert pending.state == "approved"
    # a viewer cannot approve
    other = ProgressReport.objects.filter(state="submitted").first()
    if other:
        client_for("viewer1").post(f"/projects/reports/{other.pk}/review/",
                                   {"decision": "approve"})
        other.refresh_from_db()
        assert other.state == "submitted"


def test_public_page_shows_progress_without_internal_fields():
    html = Client().get("/public/projects/").content.decode()
    p = Project.objects.filter(plan__published=True, is_public=True).order_by("-plan__year").first()
    assert p.name in html and p.target in html
    assert p.responsible_person not in html
    assert p.lead_department.name not in html
    assert "万元" not in html and "亿元" not in html  # no money
    assert "csrfmiddlewaretoken" not in html and "退出" not in html


def test_lagging_list_for_leaders(client_for):
    """The attention filter lists the plan's lagging, at-risk and overdue projects and nothing else
    (asked of a plan that has some: on 1 January this year's plan has not started)."""
    attention = {"lagging", "at_risk", "overdue"}
    year = next(p.plan.year for p in Project.objects.order_by("-plan__year", "pk")
                if status_of(p).flag in attention)
    html = client_for("district").get(f"/projects/?flag=attention&year={year}").content.decode()
    flags = set(re.findall(r'class="flag flag-(\w+)"', html))
    assert flags and flags <= attention


def test_back_office_is_scoped_for_projects(client_for):
    other = Project.objects.exclude(sub_items__region__code__startswith="131002001").first()
    c = client_for("street1")
    assert c.get(f"/admin/projects/project/{other.pk}/change/").status_code == 302  # not found
    r = c.post(f"/admin/projects/project/{other.pk}/delete/", {"post": "yes"})
    assert r.status_code in (302, 403)
    assert Project.objects.filter(pk=other.pk).exists()
    assert "2020" not in c.get("/admin/projects/expenditureline/").content.decode()
    mine = Project.objects.filter(sub_items__region__code__startswith="131002001").first()
    if mine is not None:  # visible, but only the office may change it
        page = c.get(f"/admin/projects/project/{mine.pk}/change/").content.decode()
        assert 'name="_save"' not in page


def test_checklist_is_ticked_with_evidence_only(client_for):
    # the demo ticks checklists as its renovations progress: an open sub-item of its own
    project = Project.objects.filter(name="老旧小区改造提升").order_by("-plan__year").first()
    sub = actions.do_add_sub_item(project, name="测试小区改造", region=project.plan.region,
                                  renovation_class="C")
    item = sub.checklist.first()
    c = client_for("district")
    c.post(f"/projects/checklist/{item.pk}/", {"evidence": ""})
    item.refresh_from_db()
    assert not item.done
    c.post(f"/projects/checklist/{item.pk}/", {"evidence": "验收单 2026-031"})
    item.refresh_from_db()
    assert item.done and item.evidence == "验收单 2026-031" and item.done_by.username == "district"
    other = sub.checklist.filter(done=False).first()
    client_for("viewer1").post(f"/projects/checklist/{other.pk}/", {"evidence": "x"})
    other.refresh_from_db()
    assert not other.done


def test_the_progress_briefing_downloads_as_word_from_the_page(client_for):
    resp = client_for("district").get("/projects/briefing.docx")
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml")
    assert "filename*=UTF-8''" in resp["Content-Disposition"]
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(resp.content)).paragraphs)
    assert "民心工程" in text
    assert client_for("resident1").get("/projects/briefing.docx").status_code == 404


def test_a_user_who_sees_the_plan_without_the_export_right_is_refused_not_failed(client_for, user):
    """grid1 sees the plan (a project has a sub-item in its community) but may not export: a
    403 page, not the exchange's PermissionError as a 500."""
    assert project_access.plans_for(user("grid1")).exists() and not may_export(user("grid1"))
    c = client_for("grid1")
    for url in ("/projects/export.xlsx", "/projects/briefing.docx"):
        assert c.get(url).status_code == 403, url
