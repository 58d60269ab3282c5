"""Dated enrolment history: every EnrolmentEvent gets the day it takes effect and the members it
covered, so the programme counts "as of" a day read the history, not the current state.

The back-fill derives the days from what the records hold: applied → the application day;
publicised → the 公示's first day; enrolled (the first) and refused → the decision day; paused
and exited → the day of the review that paused or ended it; what the records do not date (a
step with no such field) → the day the event was written. An enrolment in benefit, paused or
ended without an "enrolled" event gets one on its decision day; one without any event gets its
steps from its fields. Days never go backwards within an enrolment."""

from django.conf import settings
from django.db import migrations, models


def backfill(apps, schema_editor):
    Enrolment = apps.get_model("assistance", "Enrolment")
    Event = apps.get_model("assistance", "EnrolmentEvent")
    Review = apps.get_model("assistance", "Review")
    ended = {}
    for r in Review.objects.filter(done_on__isnull=False, outcome__in=("pause", "end")).order_by(
            "done_on", "id"):
        ended.setdefault((r.enrolment_id, "paused" if r.outcome == "pause" else "exited"),
                         []).append(r.done_on)
    updates, creates = [], []
    for e in Enrolment.objects.order_by("id").iterator(chunk_size=2000):
        events = list(Event.objects.filter(enrolment_id=e.pk).order_by("at", "id"))
        fallback = events[-1].at.date() if events else e.created_at.date()
        actor = events[0].actor_id if events else None
        if not events:
            events = [Event(enrolment_id=e.pk, state="applied", actor_id=None, note="据申请记录补记")]
            if e.state in ("reviewed", "publicised", "enrolled", "refused", "paused", "exited"):
                events.append(Event(enrolment_id=e.pk, state=e.state, actor_id=None,
                                    note="据申请记录补记"))
        states = [x.state for x in events]
        if e.state in ("enrolled", "paused", "exited") and e.decided_on and "enrolled" not in states:
            at = next((i for i, s in enumerate(states) if s in ("paused", "exited")), len(events))
            events.insert(at, Event(enrolment_id=e.pk, state="enrolled", actor_id=actor,
                                    note="据认定日期补记"))
        day = None
        seen_enrolled = False
        for x in events:
            if x.state == "applied":
                when = e.applied_on
            elif x.state == "publicised":
                when = e.publicity_start
            elif x.state == "refused" or (x.state == "enrolled" and not seen_enrolled):
                when = e.decided_on
            elif x.state in ("paused", "exited"):
                days = ended.get((e.pk, x.state)) or []
                when = days.pop(0) if days else None
            else:
                when = None
            seen_enrolled = seen_enrolled or x.state == "enrolled"
            when = when or (x.at.date() if x.pk and x.at else fallback)
            day = max(day, when) if day else when
            x.effective_on, x.members_covered = day, e.members_covered
            (updates if x.pk else creates).append(x)
        if len(updates) >= 2000:
            Event.objects.bulk_update(updates, ["effective_on", "members_covered"])
            updates = []
    Event.objects.bulk_update(updates, ["effective_on", "members_covered"], batch_size=2000)
    Event.objects.bulk_create(creates, batch_size=2000)


class Migration(migrations.Migration):

    dependencies = [
        ("assistance", "0009_procedure_street_decides"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="enrolmentevent",
            options={"ordering": ["effective_on", "at", "id"], "verbose_name": "办理记录",
                     "verbose_name_plural": "办理记录"},
        ),
        migrations.AddField(
            model_name="enrolmentevent",
            name="effective_on",
            field=models.DateField(null=True, verbose_name="生效日期"),
        ),
        migrations.AddField(
            model_name="enrolmentevent",
            name="members_covered",
            field=models.PositiveSmallIntegerField(default=1, verbose_name="保障人数"),
        ),
        migrations.AlterField(
            model_name="enrolmentevent",
            name="actor",
            field=models.ForeignKey(blank=True, null=True, on_delete=models.deletion.PROTECT,
                                    related_name="+", to=settings.AUTH_USER_MODEL,
                                    verbose_name="操作人"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="enrolmentevent",
            name="effective_on",
            field=models.DateField(verbose_name="生效日期"),
        ),
        migrations.AddIndex(
            model_name="enrolmentevent",
            index=models.Index(fields=["enrolment", "effective_on"],
                               name="assist_event_enrolment_day"),
        ),
    ]
