"""Uploaded images (lib.images, the one owner): checked by content, never by name; the size in
pixels refused before decoding; re-encoded as a JPEG without metadata."""

from __future__ import annotations

import io
import tracemalloc

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from minsheng.lib.images import MAX_PIXELS, clean_image, validate_image


def upload(data: bytes, name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def png(size: tuple[int, int], mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size).save(out, "PNG")
    return out.getvalue()


def test_a_png_declaring_30000_by_30000_pixels_is_refused_without_decoding_it():
    bomb = png((30000, 30000), "1")  # 900 megapixels in a few KB (it would need about 2.7 GB)
    assert len(bomb) < 200_000
    tracemalloc.start()
    try:
        with pytest.raises(ValidationError) as e:
            clean_image(upload(bomb, "bomb.png"))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "像素过大" in e.value.messages[0]
    assert peak < 20 * 1024 * 1024  # nothing of the 900 million pixels was allocated


def test_an_image_just_over_the_pixel_limit_is_refused_and_one_under_it_accepted():
    side = int(MAX_PIXELS ** 0.5) + 1
    with pytest.raises(ValidationError):
        clean_image(upload(png((side, side), "1"), "big.png"))
    photo = clean_image(upload(png((400, 300)), "ok.png"))
    assert Image.open(io.BytesIO(photo.content)).format == "JPEG"


@pytest.mark.parametrize("data, name", [
    (b"<html><body><script>alert(document.cookie)</script></body></html>", "photo.jpg"),
    (b"<?php system($_GET['c']); ?>", "photo.jpg"),
    (b"\xff\xd8\xff\xe0<?php system($_GET['c']); ?>", "shell.php.jpg"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="9"/></svg>',
     "photo.svg"),
    (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>', "photo.png"),
])
def test_html_php_and_svg_are_refused_whatever_their_name(data, name):
    with pytest.raises(ValidationError) as e:
        clean_image(upload(data, name))
    assert "不是有效的图片" in e.value.messages[0]
    with pytest.raises(ValidationError):
        validate_image(upload(data, name))


def test_php_appended_to_a_real_jpeg_does_not_survive_the_reencoding():
    out = io.BytesIO()
    Image.new("RGB", (50, 40), "red").save(out, "JPEG")
    photo = clean_image(upload(out.getvalue() + b"<?php system($_GET['c']); ?>"))
    assert b"<?php" not in photo.content and photo.name().endswith(".jpg")


def test_validate_image_passes_a_real_png_and_refuses_a_pixel_bomb():
    validate_image(upload(png((20, 10)), "a.png"))
    with pytest.raises(ValidationError):
        validate_image(upload(png((30000, 30000), "1"), "a.png"))
