"""Files in and out of the life circle: an uploaded OpenStreetMap extract kept for the worker."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.conf import settings

from minsheng.places.models import Region


def store_osm_upload(district: Region, upload) -> Path:
    """Write an uploaded OSM file under MEDIA_ROOT/osm with a name the engine can read
    (the district's code, a random part and the upload's OSM suffix)."""
    folder = Path(settings.MEDIA_ROOT) / "osm"
    folder.mkdir(parents=True, exist_ok=True)
    name = upload.name.lower()
    suffix = ".osm.pbf" if name.endswith("pbf") else Path(upload.name).suffix or ".osm"
    if name.endswith((".osm.bz2", ".osm.gz")):
        suffix = ".osm." + upload.name.rsplit(".", 1)[-1]
    path = folder / f"{district.code}-{uuid.uuid4().hex[:8]}{suffix}"
    with path.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return path
