"""Social assistance publishes its own figures (indicators/sources_assistance.py): on a database
made before, the typed-in slots give way to the computed elements (catalogue.load adds only
what is missing, so the changed rows are updated here). Typed-in values of 低保 recipients stay
as they were entered; the computed job overwrites them for periods it computes."""

from django.db import migrations

CHANGED_ELEMENTS = ("dibao_recipients",)
CHANGED_INDICATORS = ("dibao_recipients", "assistance_on_time_rate")
REMOVED_ELEMENTS = ("assistance_paid_on_time", "assistance_batches")


def forward(apps, schema_editor):
    from minsheng.indicators.catalogue import catalogue
    from minsheng.indicators.catalogue import load as load_catalogue

    models = {name: apps.get_model("indicators", name)
              for name in ("DataSet", "DataElement", "ValidationRule", "Indicator")}
    load_catalogue(models)
    data = catalogue()
    for row in data["elements"]:
        if row["code"] in CHANGED_ELEMENTS:
            models["DataElement"].objects.filter(code=row["code"]).update(
                source=row["source"], dataset_id=row["dataset"], definition=row["definition"],
                source_document=row["source_document"], aggregation=row["aggregation"])
    for row in data["indicators"]:
        if row["code"] in CHANGED_INDICATORS:
            models["Indicator"].objects.filter(code=row["code"]).update(
                numerator=row["numerator"], denominator=row["denominator"],
                status=row["status"], definition=row["definition"],
                source_document=row["source_document"])
    models["ValidationRule"].objects.filter(left__in=REMOVED_ELEMENTS).delete()
    models["DataElement"].objects.filter(code__in=REMOVED_ELEMENTS).delete()


class Migration(migrations.Migration):
    dependencies = [("indicators", "0002_catalogue")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
