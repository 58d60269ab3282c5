"""Opening, moving or closing a facility updates the life circle for its category only."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django_q.tasks import async_task

from minsheng.lifecircle.models import Run
from minsheng.places.models import Facility, district_code


def _queue(facility: Facility) -> None:
    district = district_code(facility.region_id)
    if not Run.objects.filter(region_id=district, state=Run.State.DONE).exists():
        return
    category = facility.category_id
    transaction.on_commit(lambda: async_task(
        "minsheng.lifecircle.services.update_category", district, category,
        task_name=f"lifecircle-{district}-{category}"))


@receiver(post_save, sender=Facility)
def facility_saved(sender, instance, **kwargs):
    _queue(instance)


@receiver(post_delete, sender=Facility)
def facility_deleted(sender, instance, **kwargs):
    _queue(instance)
