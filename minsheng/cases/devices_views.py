"""/cases/devices/: the smart devices a user's figures count (access.devices_for: the compounds of
the regions where they see every case, and the devices their organisations operate), narrowed by
the region switcher, offline ones first with since when (cases/devices.py: offline_q, the open
DeviceOutage). The statistics page and the offline notices link here."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import BooleanField, Case, Prefetch, When
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from minsheng.accounts.roles import HANDLE_CASES, VIEW_REGION_CASES
from minsheng.cases.access import devices_for
from minsheng.cases.devices import offline_q, silences
from minsheng.cases.models import Device, DeviceOutage
from minsheng.places.regionswitch import current_prefix
from minsheng.places.scope import scope_of


def can_see_devices(user) -> bool:
    """Who devices_for may give devices: region case readers and organisations' staff."""
    s = scope_of(user)
    return s.has_right(VIEW_REGION_CASES) or s.has_right(HANDLE_CASES)


@login_required
def devices_page(request):
    user = request.user
    if not can_see_devices(user):
        raise PermissionDenied(_("只有诉求工作人员和设备运维单位可以查看智能设备。"))
    now = timezone.now()
    qs = devices_for(user).select_related("compound", "organisation")
    prefix = current_prefix(request)
    if prefix:
        qs = qs.filter(compound__region__code__startswith=prefix)
    qs = qs.annotate(is_offline=Case(When(offline_q(now), active=True, then=True), default=False,
                                     output_field=BooleanField()))
    only_offline = request.GET.get("offline") == "1"
    total, n_offline = qs.count(), qs.filter(is_offline=True).count()
    if only_offline:
        qs = qs.filter(is_offline=True)
    qs = qs.order_by("-is_offline", "last_seen_at", "code", "pk").prefetch_related(Prefetch(
        "outages", queryset=DeviceOutage.objects.filter(ended_at__isnull=True),
        to_attr="open_outages"))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    limits = silences()
    for d in page.object_list:
        d.outage = d.open_outages[0] if d.open_outages else None
        d.silence_minutes = int(limits[d.kind].total_seconds() // 60)
    return render(request, "cases/devices.html", {
        "page": page, "total": total, "n_offline": n_offline, "only_offline": only_offline,
        "kinds": Device.Kind})
