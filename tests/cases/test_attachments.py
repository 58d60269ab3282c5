"""Case photos: only real images, at most 8 MB, re-encoded as JPEG ≤ 1600 px without EXIF (so
without the GPS position); a bad photo refuses the whole filing, and nothing is written."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import ExifTags, Image

from minsheng.cases import workflow
from minsheng.cases.attachments import MAX_BYTES, clean_photo
from minsheng.cases.models import Attachment, Case, CaseEvent, CaseType
from minsheng.places.models import Compound

pytestmark = pytest.mark.django_db

COMM1 = "131002001007"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def comp():
    return Compound.objects.filter(region_id=COMM1, property_company__isnull=True).order_by(
        "pk").first()


def jpeg_with_gps(size=(2400, 1200), orientation: int | None = None) -> bytes:
    img = Image.new("RGB", size, (200, 30, 30))
    for x in range(0, size[0], 50):  # some detail, so the JPEG is not trivial
        img.paste((30, 30, 200), (x, 0, x + 10, size[1]))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestPhone"
    exif[ExifTags.Base.Model] = "Model X"
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (39.0, 31.0, 12.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (116.0, 43.0, 40.2)
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif, quality=90)
    data = out.getvalue()
    # the original really carries the position
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    return data


def upload(data: bytes, name="photo.jpg", content_type="image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def form_data(comp, photo=None):
    data = {"district": "131002000000", "case_type": "roof_leak",
            "description": "顶楼漏水，墙皮脱落", "compound": comp.pk, "name": "刘先生",
            "phone": "13800001111", "file_anyway": "1"}
    if photo is not None:
        data["photo"] = photo
    return data


def assert_no_metadata(path: Path):
    img = Image.open(path)
    assert img.format == "JPEG"
    assert len(img.getexif()) == 0
    assert not img.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert "exif" not in img.info and "icc_profile" not in img.info
    raw = path.read_bytes()
    assert b"Exif" not in raw and b"TestPhone" not in raw
    return img


def media_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_clean_photo_reencodes_and_drops_exif():
    photo = clean_photo(upload(jpeg_with_gps()))
    assert (photo.width, photo.height) == (1600, 800)
    img = Image.open(io.BytesIO(photo.content))
    assert img.format == "JPEG" and img.size == (1600, 800)
    assert len(img.getexif()) == 0 and b"TestPhone" not in photo.content


def test_orientation_is_applied_before_exif_goes():
    photo = clean_photo(upload(jpeg_with_gps(size=(1200, 800), orientation=6)))
    assert (photo.width, photo.height) == (800, 1200)  # rotated upright


def test_small_png_and_webp_are_accepted_transparency_on_white():
    img = Image.new("RGBA", (40, 30), (0, 0, 0, 0))
    out = io.BytesIO()
    img.save(out, "PNG")
    photo = clean_photo(upload(out.getvalue(), "a.png", "image/png"))
    px = Image.open(io.BytesIO(photo.content)).convert("RGB").getpixel((5, 5))
    assert (photo.width, photo.height) == (40, 30) and min(px) > 240
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "green").save(out, "WEBP")
    assert clean_photo(upload(out.getvalue(), "a.webp", "image/webp")).width == 64


@pytest.mark.parametrize("data, name, message", [
    (b"this is not an image, whatever the name says\n" * 20, "photo.jpg", "不是有效的图片"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 100, "broken.jpg", "不是有效的图片"),
    (b"", "empty.jpg", "空的"),
])
def test_non_images_are_refused(data, name, message):
    with pytest.raises(ValidationError) as e:
        clean_photo(upload(data, name))
    assert message in e.value.messages[0]


def test_other_image_formats_are_refused():
    out = io.BytesIO()
    Image.new("RGB", (20, 20), "blue").save(out, "GIF")
    with pytest.raises(ValidationError) as e:
        clean_photo(upload(out.getvalue(), "a.jpg"))
    assert "JPEG、PNG 或 WebP" in e.value.messages[0]


def test_filing_with_a_gps_photo_stores_it_without_exif(client, comp):
    r = client.post("/cases/new/", form_data(comp, upload(jpeg_with_gps())))
    assert r.status_code == 302
    case = Case.objects.latest("pk")
    att = Attachment.objects.get(case=case)
    assert (att.width, att.height) == (1600, 800) and att.uploaded_by is None
    assert att.image.name.endswith(".jpg") and "photo" not in att.image.name
    img = assert_no_metadata(Path(att.image.path))
    assert img.size == (1600, 800)
    # shown on the private page through the token, as a thumbnail and in full
    html = client.get(f"/cases/t/{case.token}/").content.decode()
    assert f"/cases/t/{case.token}/photos/{att.pk}.jpg?thumb=1" in html
    thumb = client.get(f"/cases/t/{case.token}/photos/{att.pk}.jpg?thumb=1")
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    assert max(Image.open(io.BytesIO(thumb.content)).size) <= 320
    full = client.get(f"/cases/t/{case.token}/photos/{att.pk}.jpg")
    assert Image.open(io.BytesIO(b"".join(full.streaming_content))).size == (1600, 800)


def test_a_text_file_named_jpg_refuses_the_filing_and_writes_nothing(client, comp):
    n, e, a = Case.objects.count(), CaseEvent.objects.count(), Attachment.objects.count()
    bogus = upload(b"#!/bin/sh\necho not a photo\n" * 10, "photo.jpg")
    r = client.post("/cases/new/", form_data(comp, bogus))
    assert r.status_code == 200
    assert "不是有效的图片" in r.content.decode()
    assert (Case.objects.count(), CaseEvent.objects.count(), Attachment.objects.count()) == (
        n, e, a)
    assert media_files() == []


def test_a_photo_over_8_mb_is_refused_and_nothing_written(client, comp):
    n = Case.objects.count()
    huge = upload(b"\xff\xd8\xff\xe0" + b"\x00" * MAX_BYTES, "big.jpg")
    assert huge.size > MAX_BYTES
    r = client.post("/cases/new/", form_data(comp, huge))
    assert r.status_code == 200 and "8 MB" in r.content.decode()
    assert Case.objects.count() == n and media_files() == []


def test_a_bad_photo_on_a_note_writes_no_note(client_for, comp):
    case = workflow.do_file(case_type=CaseType.objects.get(code="street_order"),
                            description="乱停车", channel="resident", compound=comp)
    c = client_for("street1")
    events = case.events.count()
    r = c.post(f"/cases/{case.pk}/note/", {"note": "现场照片", "public": "1",
                                           "photo": upload(b"not an image", "x.png")})
    assert r.status_code == 200 and "不是有效的图片" in r.content.decode()
    assert case.events.count() == events and not case.attachments.exists()
    r = c.post(f"/cases/{case.pk}/note/", {"note": "现场照片", "public": "1",
                                           "photo": upload(jpeg_with_gps())})
    assert r.status_code == 302
    att = case.attachments.get()
    assert att.event.action == "note" and att.event.public and att.uploaded_by.username == "street1"
    assert_no_metadata(Path(att.image.path))
    # staff see it through the scoped photo URL; another street does not
    assert c.get(f"/cases/photos/{att.pk}.jpg?thumb=1").status_code == 200
    assert client_for("street2").get(f"/cases/photos/{att.pk}.jpg").status_code == 404
    # an internal note's photo is not on the resident's page
    r = c.post(f"/cases/{case.pk}/note/", {"note": "内部照片", "photo": upload(jpeg_with_gps())})
    internal = case.attachments.latest("pk")
    assert not internal.event.public
    html = Client().get(f"/cases/t/{case.token}/").content.decode()
    assert f"photos/{att.pk}.jpg" in html and f"photos/{internal.pk}.jpg" not in html
    assert Client().get(f"/cases/t/{case.token}/photos/{internal.pk}.jpg").status_code == 404


def test_patrol_photo_is_stored_without_exif(client_for, comp):
    c = client_for("grid1")
    r = c.post("/cases/patrol/", {"case_type": "safety_hazard", "description": "楼道电动车充电",
                                  "lat": f"{comp.lat:.6f}", "lng": f"{comp.lng:.6f}",
                                  "photo": upload(jpeg_with_gps())})
    assert r.status_code == 302
    case = Case.objects.latest("pk")
    assert case.channel == "patrol"
    assert_no_metadata(Path(case.attachments.get().image.path))



def test_a_resident_gets_only_the_public_photos_of_their_own_case(client_for, user, comp):
    case = workflow.do_file(case_type=CaseType.objects.get(code="street_order"),
                            description="乱停车", channel="resident", compound=comp,
                            reporter=user("resident1"))
    staff = client_for("street1")
    staff.post(f"/cases/{case.pk}/note/", {"note": "现场照片", "public": "1",
                                           "photo": upload(jpeg_with_gps())})
    public = case.attachments.latest("pk")
    staff.post(f"/cases/{case.pk}/note/", {"note": "内部照片", "photo": upload(jpeg_with_gps())})
    internal = case.attachments.latest("pk")
    assert public.event.public and not internal.event.public
    resident = client_for("resident1")
    assert resident.get(f"/cases/photos/{public.pk}.jpg").status_code == 200
    assert resident.get(f"/cases/photos/{internal.pk}.jpg").status_code == 404
    assert resident.get(f"/cases/photos/{internal.pk}.jpg?thumb=1").status_code == 404
    assert staff.get(f"/cases/photos/{internal.pk}.jpg").status_code == 200
