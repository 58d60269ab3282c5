"""Progress photos go through lib.images: refused unless a real image, stored re-encoded."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image

from minsheng.places.models import Organisation
from minsheng.projects.models import Milestone, Plan, ProgressPhoto, ProgressReport, Project

pytestmark = pytest.mark.django_db


@pytest.fixture
def project():
    plan = Plan.objects.create(region_id="131002000000", year=2033, name="2033年测试计划")
    dept = Organisation.objects.get(region_id="131002000000", name="区民政局")
    p = Project.objects.create(plan=plan, name="照片测试项目", area="elderly", lead_department=dept,
                               target="建设养老服务站1个", start_date=dt.date(2026, 1, 1),
                               end_date=dt.date(2026, 12, 31))
    Milestone.objects.create(project=p, name="完工", planned_date=dt.date(2026, 12, 31),
                             weight=D(100))
    return p


def post(client, project, photo: SimpleUploadedFile):
    return client.post(f"/projects/{project.pk}/report/", {
        "as_of": "2026-06-30", "percent": "40", "spent": "0", "narrative": "按计划推进",
        "photo": photo})


@pytest.mark.parametrize("data, name", [
    (b"<html><script>alert(document.cookie)</script></html>", "site.jpg"),
    (b"<?php system($_GET['c']); ?>", "shell.jpg"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "drawing.svg"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "drawing.png"),
])
def test_html_php_and_svg_are_refused_as_progress_photos_and_nothing_is_written(
        client_for, project, data, name):
    r = post(client_for("dept1"), project, SimpleUploadedFile(name, data))
    assert r.status_code == 200 and "不是有效的图片" in r.content.decode()
    assert not ProgressReport.objects.filter(project=project).exists()
    assert not ProgressPhoto.objects.filter(report__project=project).exists()


def test_a_pixel_bomb_png_is_refused_as_a_progress_photo(client_for, project):
    out = io.BytesIO()
    Image.new("1", (30000, 30000)).save(out, "PNG")
    r = post(client_for("dept1"), project, SimpleUploadedFile("site.png", out.getvalue()))
    assert r.status_code == 200 and "像素过大" in r.content.decode()
    assert not ProgressReport.objects.filter(project=project).exists()


def test_a_progress_photo_is_stored_as_a_reencoded_jpeg_without_metadata(client_for, project):
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestPhone"
    out = io.BytesIO()
    Image.new("RGB", (3200, 1600), "red").save(out, "JPEG", exif=exif)
    r = post(client_for("dept1"), project, SimpleUploadedFile("现场.jpeg", out.getvalue()))
    assert r.status_code == 302
    ph = ProgressPhoto.objects.get(report__project=project)
    assert ph.image.name.endswith(".jpg") and "现场" not in ph.image.name
    with ph.image.open("rb") as f:
        img = Image.open(f)
        assert img.format == "JPEG" and img.size == (1600, 800) and len(img.getexif()) == 0

