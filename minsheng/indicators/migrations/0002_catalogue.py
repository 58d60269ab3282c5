from django.db import migrations


def load(apps, schema_editor):
    from minsheng.indicators.catalogue import load as load_catalogue

    load_catalogue({name: apps.get_model("indicators", name)
                    for name in ("DataSet", "DataElement", "ValidationRule", "Indicator")})


class Migration(migrations.Migration):
    dependencies = [("indicators", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
