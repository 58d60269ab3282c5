"""Serving a stored upload after the view has checked access: the one way files leave storage.

    return serve(photo.image, "image/jpeg", cache="private, max-age=86400")

- an S3-compatible store (settings.S3_BUCKET): a redirect to a signed URL that expires after
  FILE_URL_SECONDS (the redirect itself is never cached, so nobody replays it later);
- local files behind nginx (settings.X_ACCEL_PREFIX): an empty answer whose X-Accel-Redirect
  header has nginx send the file from its `internal` location (never reachable directly);
- otherwise the application streams the file itself.

A record whose file is gone (a restore without media) is a 404, never a 500.
"""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect

__all__ = ["is_remote", "serve"]


def is_remote(storage) -> bool:
    """True for an object store that can sign URLs (django-storages' S3 backend)."""
    return hasattr(storage, "bucket_name") and hasattr(storage, "querystring_expire")


def serve(file: FieldFile, content_type: str, *, cache: str = "private, max-age=86400"
          ) -> HttpResponse:
    if not file:
        raise Http404
    storage, name = file.storage, file.name
    if is_remote(storage):
        url = storage.url(name, parameters={"ResponseContentType": content_type},
                          expire=settings.FILE_URL_SECONDS)
        resp = HttpResponseRedirect(url)
        resp["Cache-Control"] = "no-store"
    elif settings.X_ACCEL_PREFIX:
        if not storage.exists(name):
            raise Http404
        resp = HttpResponse(content_type=content_type)
        resp["X-Accel-Redirect"] = settings.X_ACCEL_PREFIX.rstrip("/") + "/" + quote(name)
        resp["Cache-Control"] = cache
    else:
        try:
            resp = FileResponse(file.open("rb"), content_type=content_type)
        except FileNotFoundError:
            raise Http404 from None
        resp["Cache-Control"] = cache
    resp["X-Content-Type-Options"] = "nosniff"
    return resp
