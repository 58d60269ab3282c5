from django.db import migrations


def load(apps, schema_editor):
    import json
    from pathlib import Path

    CaseType = apps.get_model("cases", "CaseType")
    rows = json.loads((Path(__file__).resolve().parent.parent / "fixtures" / "case_types.json")
                      .read_text(encoding="utf-8"))
    for row in rows:  # the catalogue is configuration: never overwrite a district's edits
        CaseType.objects.get_or_create(pk=row["pk"], defaults=row["fields"])


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
