"""Progress photos go through lib.images: refused unless a real image, stored re-encoded."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal as D

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from PIL import ExifTags, Image

from minsheng.accounts.models import AuditLog
from minsheng.places.models import Organisation
from minsheng.projects.models import Milestone, Plan, ProgressPhoto, ProgressReport, Project
from tests.hostile import DISGUISED

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

    assert ph.state == ProgressPhoto.Check.CLEAN


# ── photos stored before uploads were checked ────────────────────────────────────────────────

def stored(project, name: str, data: bytes, *, public: bool = True) -> ProgressPhoto:
    """A photo stored as uploaded before the image check existed (state PENDING)."""
    report = ProgressReport.objects.create(
        project=project, as_of=dt.date(2026, 3, 31), percent=D(10), spent=D(0),
        narrative="旧数据", state=ProgressReport.State.APPROVED,
        submitted_by=get_user_model().objects.get(username="dept1"))
    ph = ProgressPhoto(report=report, public=public)
    ph.image.save(name, ContentFile(data), save=True)
    assert ph.state == ProgressPhoto.Check.PENDING
    return ph


@pytest.mark.parametrize("name", sorted(DISGUISED))
def test_a_stored_file_disguised_as_jpg_is_quarantined_never_served(client_for, project, name):
    ph = stored(project, name, DISGUISED[name])
    before = AuditLog.objects.filter(action="projects.photo_quarantined").count()
    for c in (Client(), client_for("dept1")):
        r = c.get(f"/projects/photos/{ph.pk}.jpg")
        assert r.status_code == 404
        body = b"".join(getattr(r, "streaming_content", [r.content]))
        assert not DISGUISED[name] or DISGUISED[name][:24] not in body
    ph.refresh_from_db()
    assert ph.state == ProgressPhoto.Check.QUARANTINED
    assert ph.image.storage.exists(ph.image.name)  # kept for inspection, not deleted
    assert AuditLog.objects.filter(action="projects.photo_quarantined").count() == before + 1


def test_a_stored_real_image_is_reencoded_on_first_serve(client_for, project,
                                                         django_capture_on_commit_callbacks):
    out = io.BytesIO()
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestPhone"
    Image.new("RGB", (400, 300), "blue").save(out, "PNG", exif=exif)
    ph = stored(project, "old.jpg", out.getvalue() + b"<?php echo 1; ?>")  # a PNG, trailing PHP
    old = ph.image.name
    with django_capture_on_commit_callbacks(execute=True):  # the old file goes once committed
        r = client_for("dept1").get(f"/projects/photos/{ph.pk}.jpg")
    assert r.status_code == 200 and r["Content-Type"] == "image/jpeg"
    body = b"".join(r.streaming_content)
    img = Image.open(io.BytesIO(body))
    assert img.format == "JPEG" and img.size == (400, 300) and len(img.getexif()) == 0
    assert b"<?php" not in body
    ph.refresh_from_db()
    assert ph.state == ProgressPhoto.Check.CLEAN and ph.image.name != old
    assert not ph.image.storage.exists(old)


def test_the_photos_command_checks_every_pending_photo(project):
    out = io.BytesIO()
    Image.new("RGB", (50, 50), "green").save(out, "JPEG")
    good = stored(project, "good.jpg", out.getvalue())
    bad = stored(project, "bad.jpg", DISGUISED["shell.jpg"])
    missing = stored(project, "gone.jpg", out.getvalue())
    missing.image.storage.delete(missing.image.name)
    printed = io.StringIO()
    call_command("photos", "check", stdout=printed)
    assert "重新编码 1 张，隔离 1 张，文件缺失 1 张" in printed.getvalue()
    states = {p.pk: p.state for p in ProgressPhoto.objects.filter(pk__in=[good.pk, bad.pk,
                                                                          missing.pk])}
    assert states == {good.pk: "clean", bad.pk: "quarantined", missing.pk: "pending"}
