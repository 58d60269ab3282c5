"""Uploaded photos are served through views that check who may see them: public photos of
public projects and public cases for anyone (cached publicly), the others for staff within scope
(cached privately), nothing else; nothing under MEDIA_ROOT is served or listed directly. The
demo's public projects and some public cases carry generated, labelled photos."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from minsheng.cases.models import Attachment
from minsheng.lib.images import labelled_photo
from minsheng.projects.models import ProgressPhoto, Project

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, demo_media):
    settings.MEDIA_ROOT = demo_media
    return demo_media


def test_the_public_page_shows_the_demos_project_photos_and_they_answer_200(media):
    c = Client()
    html = c.get("/public/projects/").content.decode()
    srcs = re.findall(r'<img src="(/projects/photos/\d+\.jpg)"', html)
    assert len(srcs) >= 5
    r = c.get(srcs[0])
    assert r.status_code == 200 and r["Content-Type"] == "image/jpeg"
    assert r["Cache-Control"] == "public, max-age=86400"
    assert b"".join(r.streaming_content)[:3] == b"\xff\xd8\xff"


def test_a_photo_of_a_project_that_is_not_public_is_for_staff_in_scope_only(media, client_for):
    ph = ProgressPhoto.objects.order_by("pk").first()
    Project.objects.filter(pk=ph.report.project_id).update(is_public=False)
    url = f"/projects/photos/{ph.pk}.jpg"
    assert Client().get(url).status_code == 404
    assert client_for("resident1").get(url).status_code == 404
    r = client_for("district").get(url)
    assert r.status_code == 200 and r["Cache-Control"] == "private, max-age=86400"


def test_open311_media_url_answers_200_for_a_public_case_with_a_photo(media):
    c = Client()
    rows = c.get("/open311/v2/requests.json").json()  # the last 90 days
    withphoto = [r for r in rows if r["media_url"]]
    assert withphoto, "the demo's recent public cases carry photos"
    url = withphoto[0]["media_url"].replace("http://testserver", "")
    assert url.startswith("/public/cases/photos/")
    r = c.get(url)
    assert r.status_code == 200 and r["Cache-Control"] == "public, max-age=86400"
    assert b"".join(r.streaming_content)[:3] == b"\xff\xd8\xff"


def test_a_photo_of_a_case_that_is_not_public_is_not_served_publicly(media, client_for):
    att = Attachment.objects.filter(case__public=True).order_by("pk").first()
    att.case.public = False
    att.case.save(update_fields=["public"])
    url = f"/public/cases/photos/{att.pk}.jpg"
    assert Client().get(url).status_code == 404
    assert client_for("district").get(url).status_code == 200


def test_nothing_under_media_root_is_served_or_listed(media):
    photo = labelled_photo("x", 1)
    (media / "probe.jpg").write_bytes(photo.content)
    c = Client()
    for url in ("/media/", "/media/probe.jpg", "/media/progress/", "/media/cases/"):
        assert c.get(url).status_code == 404, url
    ph = ProgressPhoto.objects.order_by("pk").first()
    assert c.get("/media/" + ph.image.name).status_code == 404
