"""The programme counts of social assistance are read as of the period's last day from the dated
enrolment history, and money paid includes the 低保边缘 allowance and 临时救助's one-off awards, as
data/catalogue.json now says: the definitions of those elements follow. Idempotent."""

from django.db import migrations

from minsheng.indicators.catalogue import catalogue

ELEMENTS = ("dibao_households", "dibao_recipients", "edge_households", "tekun_people",
            "orphan_people", "assistance_paid_amount")


def forwards(apps, schema_editor):
    DataElement = apps.get_model("indicators", "DataElement")
    for row in catalogue()["elements"]:
        if row["code"] in ELEMENTS:
            DataElement.objects.filter(code=row["code"]).update(definition=row["definition"])


class Migration(migrations.Migration):
    dependencies = [("indicators", "0006_merge_employment")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
