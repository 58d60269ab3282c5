"""The background job that keeps computed indicator values fresh: every ten minutes, the current
year, quarter and month of every district that has records (django-q2 schedule "indicators")."""

from __future__ import annotations

from django.db.models.functions import Substr
from django.utils import timezone

from minsheng.indicators import services
from minsheng.indicators.periods import KINDS, current
from minsheng.places.models import Compound, Region


def refresh() -> int:
    today = timezone.localdate()
    n = 0
    prefixes = (Compound.objects.order_by().annotate(d=Substr("region_id", 1, 6))
                .values_list("d", flat=True).distinct())
    for district in Region.objects.filter(level="district", code__in=[
            p + "000000" for p in prefixes]):
        for kind in KINDS:
            n += services.compute(district.code, current(kind, today))
    return n
