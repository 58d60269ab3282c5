"""Issue 12 §1, figures that count the right thing: new catalogue rows (hazards fixed …) and the
corrected definitions of existing ones (hazards found is what was found, not 排查整治)."""

from django.db import migrations

NAMES = ("DataSet", "DataElement", "ValidationRule", "Indicator")
ELEMENTS = ("hazards_found",)
INDICATORS = ("hazards_found",)


def forward(apps, schema_editor):
    from minsheng.indicators.catalogue import load, redefine

    models = {name: apps.get_model("indicators", name) for name in NAMES}
    load(models)
    redefine(models, elements=ELEMENTS, indicators=INDICATORS)


class Migration(migrations.Migration):
    dependencies = [("indicators", "0002_catalogue")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
