"""The employment figures are computed from employment/'s records from now on: the typed slots
(新增城镇就业, 城镇登记失业率 typed as a rate, 招聘会, 培训人数) become computed elements and
indicators, as data/catalogue.json now says; the registered rate divides the computed registered
unemployed by the approved manual 城镇从业人员 plus them. Idempotent: a database built from the new
catalogue (0002) is already in this state."""

from django.db import migrations

from minsheng.indicators.catalogue import catalogue

REMOVED = ("urban_new_jobs", "registered_unemployment_rate")  # typed elements, now computed
ELEMENTS = ("job_fairs", "trainees", "urban_employed")
INDICATORS = ("urban_new_jobs", "registered_unemployment_rate", "job_fairs", "trainees")
FIELDS = ("source", "definition", "source_document", "dataset")
IND_FIELDS = ("numerator", "denominator", "factor", "status", "definition", "source_document")


def forwards(apps, schema_editor):
    from decimal import Decimal

    from minsheng.indicators.catalogue import load

    models = {n: apps.get_model("indicators", n)
              for n in ("DataSet", "DataElement", "ValidationRule", "Indicator")}
    data = catalogue()
    models["DataElement"].objects.filter(code__in=REMOVED, source="manual").delete()  # + values
    for row in data["datasets"]:
        if row["code"] == "employment":
            models["DataSet"].objects.filter(code="employment").update(
                name=row["name"], name_en=row["name_en"], owner=row["owner"])
    for row in data["elements"]:
        if row["code"] in ELEMENTS:
            models["DataElement"].objects.filter(code=row["code"]).update(
                **{("dataset_id" if f == "dataset" else f): row[f] for f in FIELDS})
    for row in data["indicators"]:
        if row["code"] in INDICATORS:
            values = {f: row[f] for f in IND_FIELDS}
            values["factor"] = Decimal(str(values["factor"]))
            models["Indicator"].objects.filter(code=row["code"]).update(**values)
    load(models)  # the new elements and indicators


class Migration(migrations.Migration):
    dependencies = [("indicators", "0002_catalogue")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
