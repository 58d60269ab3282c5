"""The facility-category catalogue (fixtures/facility_categories.json), loaded once per database.

The catalogue is configuration: a district edits it in the admin, so loading never overwrites a row
that already exists.
"""

from __future__ import annotations

import json
from pathlib import Path

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "facility_categories.json"


def catalogue_rows() -> list[dict]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def load_catalogue(model) -> int:
    created = 0
    for row in catalogue_rows():
        _, was_created = model.objects.get_or_create(pk=row["pk"], defaults=row["fields"])
        created += was_created
    return created
