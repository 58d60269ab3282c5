"""防返贫 monitoring's indicators: the new elements and indicators of the catalogue (loading adds
what is missing), and 返贫致贫户 turned from a typed-in return into a figure computed from
assistance's monitoring records (its manual values, if any, stay as history)."""

from django.db import migrations

from minsheng.indicators.catalogue import catalogue


def forwards(apps, schema_editor):
    from minsheng.indicators.catalogue import load as load_catalogue

    load_catalogue({name: apps.get_model("indicators", name)
                    for name in ("DataSet", "DataElement", "ValidationRule", "Indicator")})
    data = catalogue()
    element = next(e for e in data["elements"] if e["code"] == "relapse_households")
    indicator = next(i for i in data["indicators"] if i["code"] == "relapse_households")
    apps.get_model("indicators", "DataElement").objects.filter(code="relapse_households").update(
        source="computed", dataset=None, definition=element["definition"], min_value=None,
        source_document=element["source_document"])
    apps.get_model("indicators", "Indicator").objects.filter(code="relapse_households").update(
        status="available", definition=indicator["definition"])


class Migration(migrations.Migration):
    dependencies = [("indicators", "0002_catalogue")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
