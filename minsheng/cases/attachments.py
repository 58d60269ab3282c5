"""Case photos: checked and re-encoded by `minsheng.lib.images` (the one owner of uploaded
images: only real JPEG, PNG or WebP images up to 8 MB and 40 megapixels, stored as a JPEG of at
most 1600 px without any metadata, EXIF and GPS position included). Nothing is written until the
photo has passed.

    photo = clean_photo(request.FILES.get("photo"))   # ValidationError, nothing written
    with transaction.atomic():
        case = workflow.do_file(...)
        save_photo(case, photo, user=request.user)
"""

from __future__ import annotations

import io

from PIL import Image

from minsheng.cases.models import Attachment, Case, CaseEvent
from minsheng.lib.images import ACCEPT, MAX_BYTES, Photo, clean_image

__all__ = ["ACCEPT", "MAX_BYTES", "Photo", "clean_photo", "save_photo", "thumbnail"]

THUMB_SIDE = 320


def clean_photo(upload) -> Photo | None:
    """A case photo checked and re-encoded (lib.images.clean_image); None when none was sent."""
    return clean_image(upload, max_bytes=MAX_BYTES)


def save_photo(case: Case, photo: Photo | None, *, user=None,
               event: CaseEvent | None = None) -> Attachment | None:
    """Store a photo cleaned by clean_photo() as an Attachment of the case."""
    if photo is None:
        return None
    att = Attachment(case=case, event=event, width=photo.width, height=photo.height,
                     uploaded_by=user if getattr(user, "is_authenticated", False) else None)
    att.image.save(photo.name(), photo.file(), save=False)
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
