"""连续零发案 becomes an indicator: the police-incident returns' figures (cases/incidents.py)
as data/catalogue.json now lists them (three computed elements, three indicators). load() only adds
what is missing, so a district's edits stay. Idempotent."""

from django.db import migrations


def forwards(apps, schema_editor):
    from minsheng.indicators.catalogue import load

    load({n: apps.get_model("indicators", n)
          for n in ("DataSet", "DataElement", "ValidationRule", "Indicator")})


class Migration(migrations.Migration):
    dependencies = [("indicators", "0007_assistance_stock_as_of")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
