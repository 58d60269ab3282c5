from django.db import migrations


def load(apps, schema_editor):
    from minsheng.places.catalogue import load_catalogue

    load_catalogue(apps.get_model("places", "FacilityCategory"))


class Migration(migrations.Migration):
    dependencies = [("places", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
