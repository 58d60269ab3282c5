"""Uploads served through Minsheng's access checks on every storage: streamed from a local
directory, handed to nginx with X-Accel-Redirect, or (S3-compatible store, tested offline against
moto's server) a redirect to a signed URL that expires; the access checks come first each time."""

from __future__ import annotations

import urllib.request

import pytest
from django.core.files.base import ContentFile
from django.test import Client

from minsheng.cases.models import Attachment
from minsheng.lib.files import is_remote
from minsheng.lib.images import labelled_photo
from tests.web.conftest import S3_PORT

pytestmark = pytest.mark.django_db


def _public_attachment(storage_media=None) -> Attachment:
    att = Attachment.objects.filter(case__public=True, event__isnull=True).order_by("pk").first()
    if att is None:
        att = Attachment.objects.filter(case__public=True).order_by("pk").first()
    att.image.save("probe.jpg", labelled_photo("测试", 7).file(), save=True)
    return att


def test_local_files_behind_nginx_are_sent_by_nginx_after_the_check(settings, client_for):
    settings.X_ACCEL_PREFIX = "/protected-media/"
    att = _public_attachment()
    r = client_for("district").get(f"/cases/photos/{att.pk}.jpg")
    assert r.status_code == 200 and r.content == b""
    assert r["X-Accel-Redirect"] == f"/protected-media/{att.image.name}"
    assert r["Content-Type"] == "image/jpeg" and r["Cache-Control"] == "private, max-age=86400"
    # the check still comes first: a resident outside the case gets nothing to redirect to
    assert client_for("resident1").get(f"/cases/photos/{att.pk}.jpg").status_code == 404
    # a record whose file is gone is a 404, not a redirect to nothing
    att.image.storage.delete(att.image.name)
    assert client_for("district").get(f"/cases/photos/{att.pk}.jpg").status_code == 404


def test_local_files_are_streamed_by_default(client_for):
    att = _public_attachment()
    r = client_for("district").get(f"/cases/photos/{att.pk}.jpg")
    assert r.status_code == 200 and "X-Accel-Redirect" not in r
    assert b"".join(r.streaming_content)[:3] == b"\xff\xd8\xff"


def test_s3_photos_redirect_to_a_signed_expiring_url_after_the_check(s3, client_for):
    assert is_remote(s3)
    att = _public_attachment()
    assert is_remote(att.image.storage) and s3.exists(att.image.name)
    r = client_for("district").get(f"/cases/photos/{att.pk}.jpg")
    assert r.status_code == 302 and r["Cache-Control"] == "no-store"
    url = r["Location"]
    assert url.startswith(f"http://127.0.0.1:{S3_PORT}/minsheng-test/")
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=60" in url
    with urllib.request.urlopen(url) as got:  # noqa: S310 (the local moto server)
        assert got.read()[:3] == b"\xff\xd8\xff"
        assert got.headers["Content-Type"] == "image/jpeg"
    # the public URL of a public photo redirects too, and the redirect is never cached publicly
    r = Client().get(f"/public/cases/photos/{att.pk}.jpg")
    assert r.status_code == 302 and r["Cache-Control"] == "no-store"
    # no redirect without access
    assert client_for("resident1").get(f"/cases/photos/{att.pk}.jpg").status_code == 404
    # thumbnails are read from the store by the application
    r = client_for("district").get(f"/cases/photos/{att.pk}.jpg?thumb=1")
    assert r.status_code == 200 and r.content[:3] == b"\xff\xd8\xff"


def test_an_unsigned_s3_url_is_refused_by_the_store(s3):
    s3.save("private/x.txt", ContentFile(b"secret"))
    plain = f"{s3.endpoint_url}/minsheng-test/private/x.txt"
    # moto serves anything to anyone; what Minsheng controls is that it never hands out an
    # unsigned URL: every URL the storage makes carries a signature and an expiry
    assert "X-Amz-Signature=" in s3.url("private/x.txt") and plain != s3.url("private/x.txt")


def test_readyz_checks_the_s3_bucket(s3, settings):
    r = Client().get("/readyz")
    assert r.status_code == 200 and r.json()["storage"] == "ok"
    settings.STORAGES = {**settings.STORAGES, "default": {
        **settings.STORAGES["default"],
        "OPTIONS": {**settings.STORAGES["default"]["OPTIONS"], "bucket_name": "no-such-bucket"}}}
    r = Client().get("/readyz")
    assert r.status_code == 503 and r.json()["storage"].startswith("failed")
