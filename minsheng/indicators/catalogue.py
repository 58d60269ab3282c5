"""The indicator catalogue (data/catalogue.json): data sets, data elements, validation rules and
indicators, loaded by a migration. It is configuration a district edits in the back office, so
loading only adds what is missing and never overwrites an existing row."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

CATALOGUE = Path(__file__).resolve().parent / "data" / "catalogue.json"


def catalogue() -> dict:
    return json.loads(CATALOGUE.read_text(encoding="utf-8"))


def load(models) -> int:
    """`models` maps model names to classes (a migration's historical models or the real ones)."""
    data = catalogue()
    n = 0
    for row in data["datasets"]:
        row = dict(row)
        _o, c = models["DataSet"].objects.get_or_create(code=row.pop("code"), defaults=row)
        n += c
    for row in data["elements"]:
        row = dict(row)
        for k in ("min_value", "max_value"):
            if row.get(k) is not None:
                row[k] = Decimal(str(row[k]))
        row["dataset_id"] = row.pop("dataset")
        _o, c = models["DataElement"].objects.get_or_create(code=row.pop("code"), defaults=row)
        n += c
    rules = models["ValidationRule"].objects
    for row in data["rules"]:
        if not rules.filter(dataset_id=row["dataset"], left=row["left"],
                            right=row["right"]).exists():
            rules.create(dataset_id=row["dataset"], left=row["left"], operator=row["operator"],
                         right=row["right"], message=row["message"])
            n += 1
    for row in data["indicators"]:
        row = dict(row)
        row["factor"] = Decimal(str(row["factor"]))
        row["scale"] = Decimal(str(row["scale"]))
        _o, c = models["Indicator"].objects.get_or_create(code=row.pop("code"), defaults=row)
        n += c
    return n


def redefine(models, *, elements: tuple[str, ...] = (), indicators: tuple[str, ...] = (),
             fields: tuple[str, ...] = ("name", "name_en", "definition", "source_document")
             ) -> int:
    """Rewrite the descriptive fields of named rows from the catalogue: for a migration that
    corrects what a definition says (load() never overwrites). Returns the rows changed."""
    data = catalogue()
    n = 0
    for model, rows, codes in (("DataElement", data["elements"], elements),
                               ("Indicator", data["indicators"], indicators)):
        for row in rows:
            if row["code"] in codes:
                n += models[model].objects.filter(code=row["code"]).update(
                    **{f: row[f] for f in fields if f in row})
    return n
