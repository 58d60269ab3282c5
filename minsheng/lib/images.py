"""Uploaded images, the one owner: every photo a user uploads (case photos, project progress
photos) goes through `clean_image` before anything is written.

The file's *content* decides, never its name or its declared type: only real JPEG, PNG or WebP
images are accepted (HTML, PHP, SVG, GIF … named .jpg are refused). The size in pixels is read
from the header and checked before anything is decoded (a 200 KB PNG may declare 30000×30000
pixels and need gigabytes once decoded), then the picture is decoded with Pillow and re-encoded
as a JPEG of at most `max_side` px on its long side, which drops all metadata (EXIF with the GPS
position, XMP, comments, ICC profiles) and anything hidden after the image data.

    photo = clean_image(request.FILES.get("photo"))   # ValidationError, nothing written
    att.image.save(photo.name(), photo.file(), save=False)
"""

from __future__ import annotations

import functools
import io
import uuid
import warnings
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

__all__ = ["ACCEPT", "FORMATS", "MAX_BYTES", "MAX_PIXELS", "MAX_SIDE", "Photo", "clean_image",
           "validate_image"]

MAX_BYTES = 8 * 1024 * 1024
MAX_SIDE = 1600
QUALITY = 80
MAX_PIXELS = 40_000_000  # 40 megapixels (~ 7700 × 5200); larger images are refused undecoded
FORMATS = {"JPEG", "PNG", "WEBP"}
ACCEPT = "image/jpeg,image/png,image/webp"


@dataclass(frozen=True)
class Photo:
    """A checked, re-encoded photo (JPEG), ready to store."""

    content: bytes
    width: int
    height: int

    def name(self) -> str:
        """A fresh file name: never the uploader's."""
        return f"{uuid.uuid4().hex}.jpg"

    def file(self) -> ContentFile:
        return ContentFile(self.content, name=self.name())


def _refuse(message: str) -> ValidationError:
    return ValidationError(message, code="bad_photo")


def _too_big(max_bytes: int) -> ValidationError:
    return _refuse(_("照片不能超过 %(mb)s MB，请压缩后再上传。") % {"mb": f"{max_bytes / 1024 / 1024:g}"})


def _read(upload, max_bytes: int) -> bytes:
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise _too_big(max_bytes)
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _too_big(max_bytes)
    if not data:
        raise _refuse(_("上传的文件是空的。"))
    return data


def _open(data: bytes, *, decode: bool) -> Image.Image:
    """The image of `data`, checked by content and size in pixels; decoded only if `decode`."""
    not_image = _("上传的文件不是有效的图片，请上传 JPEG、PNG 或 WebP 格式的照片。")
    too_many = _("照片像素过大（最多 %(mp)d 百万像素），请缩小后再上传。") % {
        "mp": MAX_PIXELS // 1_000_000}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data), formats=sorted(FORMATS))
            if img.format not in FORMATS:
                raise _refuse(_("只接受 JPEG、PNG 或 WebP 格式的照片。"))
            # the header's size, before a single pixel is decoded
            if img.width * img.height > MAX_PIXELS:
                raise _refuse(too_many)
            if decode:
                img.load()
                img = ImageOps.exif_transpose(img)  # keep the picture upright before EXIF goes
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse(too_many) from None
    except UnidentifiedImageError:
        # not one of FORMATS: say so when it is another image (a GIF, a BMP), else "not an image"
        try:
            other = Image.open(io.BytesIO(data)).format
        except Exception:  # Pillow raises many kinds for what is no image at all
            other = None
        raise _refuse(_("只接受 JPEG、PNG 或 WebP 格式的照片。") if other else not_image) from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise _refuse(not_image) from None
    return img


def clean_image(upload, *, max_bytes: int = MAX_BYTES, max_side: int = MAX_SIDE) -> Photo | None:
    """Check an uploaded file by its content and re-encode it; None when nothing was uploaded.

    Raises ValidationError (code "bad_photo") with a Chinese message for a file that is too big,
    empty, not an image, an image of another format, larger than MAX_PIXELS, or undecodable.
    """
    if upload is None:
        return None
    img = _open(_read(upload, max_bytes), decode=True)
    img = _flatten(img)
    img.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    # No exif=, no icc_profile=: the new file carries no metadata of the original.
    img.save(out, "JPEG", quality=QUALITY, optimize=True, progressive=True)
    return Photo(out.getvalue(), img.width, img.height)


def validate_image(file) -> None:
    """A model field validator (for the back office, which stores what it is given): the file
    must be a JPEG, PNG or WebP image within the limits; it is not decoded here."""
    if file is None or not getattr(file, "name", ""):
        return
    _open(_read(file, MAX_BYTES), decode=False)
    if hasattr(file, "seek"):
        file.seek(0)


def _flatten(img: Image.Image) -> Image.Image:
    """RGB on a white background (PNG/WebP transparency would turn black in a JPEG)."""
    if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        bg = Image.new("RGB", rgba.size, (255, 255, 255))
        bg.paste(rgba, mask=rgba.getchannel("A"))
        return bg
    return img.convert("RGB")


# Fonts that draw Chinese, tried in turn for the demo's labelled photos (Debian's fonts-noto-cjk,
# fonts-wqy-microhei); without any, the label is drawn in Latin letters with Pillow's own font.
CJK_FONTS = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
             "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
             "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


@functools.cache
def _label_font():
    from PIL import ImageFont  # noqa: PLC0415 - demo only

    for path in CJK_FONTS:
        try:
            return ImageFont.truetype(path, 22)
        except OSError:
            continue
    return None


def labelled_photo(title: str, seed: int, *, latin: str = "DEMO PHOTO (generated)") -> Photo:
    """A small generated JPEG (480×320) that says it is a demo picture: a coloured ground, a
    'building' and the label. For demo data only, so that pages with photos show some."""
    from PIL import ImageDraw  # noqa: PLC0415 - demo only

    hue = (seed * 47) % 360
    ground = Image.new("HSV", (480, 320), (hue * 255 // 360, 70, 215)).convert("RGB")
    draw = ImageDraw.Draw(ground)
    draw.rectangle((40 + seed % 60, 90, 260 + seed % 80, 280), fill=(236, 232, 224),
                   outline=(90, 90, 90), width=3)
    for row in range(3):
        for col in range(4):
            x = 60 + seed % 60 + col * 48
            draw.rectangle((x, 110 + row * 52, x + 28, 140 + row * 52), fill=(120, 160, 200))
    draw.rectangle((0, 0, 480, 70), fill=(20, 20, 20))
    font = _label_font()
    if font is not None:
        draw.text((14, 8), "演示照片（生成）", fill=(255, 210, 0), font=font)
        draw.text((14, 38), title[:18], fill=(255, 255, 255), font=font)
    else:
        draw.text((14, 14), latin, fill=(255, 210, 0))
        draw.text((14, 40), f"#{seed}", fill=(255, 255, 255))
    out = io.BytesIO()
    ground.save(out, "JPEG", quality=70)
    return Photo(out.getvalue(), 480, 320)
