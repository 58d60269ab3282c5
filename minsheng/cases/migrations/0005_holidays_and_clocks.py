import math

from django.db import migrations


def load(apps, schema_editor):
    """The national holidays and 调休 days of the shipped years; a date the district already has
    (edited or deleted-and-re-added) is left alone: only missing dates are inserted."""
    import datetime as dt
    import json
    from pathlib import Path

    Holiday = apps.get_model("cases", "Holiday")
    have = set(Holiday.objects.values_list("date", flat=True))
    new = []
    for path in sorted((Path(__file__).resolve().parent.parent / "data").glob("holidays-*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for day in data["days"]:
            d = dt.date.fromisoformat(day["date"])
            if d not in have:
                have.add(d)
                new.append(Holiday(date=d, kind=day["kind"], year=data["year"],
                                   name=day.get("name", ""), source=data["source"][:300]))
    Holiday.objects.bulk_create(new)


def clocks(apps, schema_editor):
    """Working clocks from the calendar ones: a day of 24 hours holds 7 working hours, a week of 7
    days 5 working days."""
    CaseType = apps.get_model("cases", "CaseType")
    for t in CaseType.objects.all():
        t.accept_work_hours = max(1, math.ceil(t.accept_hours * 7 / 24))
        t.resolve_work_days = max(1, math.ceil(t.resolve_hours / 24 * 5 / 7))
        t.priority = 1 if t.code == "safety_hazard" else 3
        t.save(update_fields=["accept_work_hours", "resolve_work_days", "priority"])


class Migration(migrations.Migration):
    dependencies = [("cases", "0004_working_day_clocks")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop),
                  migrations.RunPython(clocks, migrations.RunPython.noop)]
