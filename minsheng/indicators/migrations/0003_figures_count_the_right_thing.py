"""Issue 12 §1, figures that count the right thing: new catalogue rows (hazards fixed, compounds
with a signed service point in reach …) and the corrected definitions of existing ones (hazards
found is what was found, not 排查整治; the life-circle coverage names the 9 categories it checks)."""

from django.db import migrations

NAMES = ("DataSet", "DataElement", "ValidationRule", "Indicator")
ELEMENTS = ("hazards_found", "lc_compounds_covered")
INDICATORS = ("hazards_found", "lifecircle_compound_coverage", "lifecircle_population_coverage")


def forward(apps, schema_editor):
    from minsheng.indicators.catalogue import load, redefine

    models = {name: apps.get_model("indicators", name) for name in NAMES}
    load(models)
    redefine(models, elements=ELEMENTS, indicators=INDICATORS)


class Migration(migrations.Migration):
    dependencies = [("indicators", "0002_catalogue")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
