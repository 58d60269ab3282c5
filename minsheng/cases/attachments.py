"""Case photos: only real JPEG, PNG or WebP images up to 8 MB are accepted; every photo is decoded
with Pillow and re-encoded as a JPEG of at most 1600 px on its long side, which drops all metadata
(EXIF, including the GPS position, XMP, comments). Nothing is written until the photo has passed.

    photo = clean_photo(request.FILES.get("photo"))   # ValidationError, nothing written
    with transaction.atomic():
        case = workflow.do_file(...)
        save_photo(case, photo, user=request.user)
"""

from __future__ import annotations

import io
import uuid
import warnings
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from minsheng.cases.models import Attachment, Case, CaseEvent

MAX_BYTES = 8 * 1024 * 1024
MAX_SIDE = 1600
QUALITY = 80
MAX_PIXELS = 50_000_000  # ~ 8K × 6K; larger "images" are refused before they are decoded
FORMATS = {"JPEG", "PNG", "WEBP"}
ACCEPT = "image/jpeg,image/png,image/webp"
THUMB_SIDE = 320


@dataclass(frozen=True)
class Photo:
    """A checked, re-encoded photo, ready to store."""

    content: bytes
    width: int
    height: int


def _refuse(message: str) -> ValidationError:
    return ValidationError(message, code="bad_photo")


def clean_photo(upload) -> Photo | None:
    """Check an uploaded file and re-encode it; None when nothing was uploaded.

    Raises ValidationError (code "bad_photo") with a Chinese message for a file that is too big, is
    not an image, is an image of another format, or cannot be decoded.
    """
    if upload is None:
        return None
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_BYTES:
        raise _refuse(_("照片不能超过 8 MB，请压缩后再上传。"))
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise _refuse(_("照片不能超过 8 MB，请压缩后再上传。"))
    if not data:
        raise _refuse(_("上传的文件是空的。"))
    not_image = _("上传的文件不是有效的图片，请上传 JPEG、PNG 或 WebP 格式的照片。")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            if img.format not in FORMATS:
                raise _refuse(_("只接受 JPEG、PNG 或 WebP 格式的照片。"))
            if img.width * img.height > MAX_PIXELS:
                raise _refuse(_("照片像素过大，请缩小后再上传。"))
            img.load()
            img = ImageOps.exif_transpose(img)  # keep the picture upright before EXIF goes
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse(_("照片像素过大，请缩小后再上传。")) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise _refuse(not_image) from None
    img = _flatten(img)
    img.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    # No exif=, no icc_profile=: the new file carries no metadata of the original.
    img.save(out, "JPEG", quality=QUALITY, optimize=True, progressive=True)
    return Photo(out.getvalue(), img.width, img.height)


def _flatten(img: Image.Image) -> Image.Image:
    """RGB on a white background (PNG/WebP transparency would turn black in a JPEG)."""
    if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        bg = Image.new("RGB", rgba.size, (255, 255, 255))
        bg.paste(rgba, mask=rgba.getchannel("A"))
        return bg
    return img.convert("RGB")


def save_photo(case: Case, photo: Photo | None, *, user=None,
               event: CaseEvent | None = None) -> Attachment | None:
    """Store a photo cleaned by clean_photo() as an Attachment of the case."""
    if photo is None:
        return None
    att = Attachment(case=case, event=event, width=photo.width, height=photo.height,
                     uploaded_by=user if getattr(user, "is_authenticated", False) else None)
    att.image.save(f"{uuid.uuid4().hex}.jpg", ContentFile(photo.content), save=False)
    att.save()
    return att


def thumbnail(att: Attachment, side: int = THUMB_SIDE) -> bytes:
    """A small JPEG of a stored photo for lists and timelines (made on request)."""
    with att.image.open("rb") as f:
        img = Image.open(f)
        img.draft("RGB", (side, side))  # fast JPEG decoding at a reduced scale
        img = img.convert("RGB")
        img.thumbnail((side, side), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        img.save(out, "JPEG", quality=75, optimize=True)
    return out.getvalue()
