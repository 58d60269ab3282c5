"""The case's region on every mediation and administrative review (a copy: a case never changes
region), so the indicator sources count them by region without joining back to every case."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_regions(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    region = Subquery(Case.objects.filter(pk=OuterRef("case_id")).values("region_id")[:1])
    for name in ("Mediation", "AdminReview"):
        apps.get_model("cases", name).objects.update(region_id=region)


def field(null):
    return models.ForeignKey(editable=False, null=null,
                             on_delete=django.db.models.deletion.PROTECT, related_name="+",
                             to="places.region", verbose_name="所在区划")


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0008_outcome_kind"),
    ]

    operations = [
        migrations.AddField(model_name="mediation", name="region", field=field(True)),
        migrations.AddField(model_name="adminreview", name="region", field=field(True)),
        migrations.RunPython(copy_regions, migrations.RunPython.noop),
        migrations.AlterField(model_name="mediation", name="region", field=field(False)),
        migrations.AlterField(model_name="adminreview", name="region", field=field(False)),
        migrations.AddIndex(
            model_name="mediation",
            index=models.Index(fields=["region", "concluded_at"], name="mediation_region_concl",
                               opclasses=["varchar_pattern_ops", "timestamptz_ops"]),
        ),
        migrations.AddIndex(
            model_name="adminreview",
            index=models.Index(fields=["region", "concluded_at"], name="review_region_concl",
                               opclasses=["varchar_pattern_ops", "timestamptz_ops"]),
        ),
    ]
