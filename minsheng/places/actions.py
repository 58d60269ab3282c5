"""The only writers of places: do_* functions, atomic and audited."""

from __future__ import annotations

from django.db import transaction

from minsheng.accounts import masking
from minsheng.accounts.models import AuditLog
from minsheng.places.models import Region, StreetNetwork


@transaction.atomic
def do_save_street_network(district: Region, lines: list, *, source: str, name: str,
                           generated: bool = False, user=None) -> StreetNetwork:
    """Store the district's walking network (polylines of [lng, lat] WGS-84 positions), replacing
    its earlier one of the same kind: a district keeps one real network and one generated one.
    Saving renews the network's stamp (`created`), which is what the life circle's graph cache
    (minsheng.lifecircle.services.graph_for) keys on. Used by the OSM sample builder and the
    life circle's network import."""
    net = (StreetNetwork.objects.select_for_update().filter(region=district, generated=generated)
           .order_by("pk").first())
    if net is None:
        net = StreetNetwork(region=district, generated=generated)
    net.name = name[:100]
    net.source = source[:200]
    net.geometry = {"type": "MultiLineString", "coordinates": lines}
    net.save()
    masking.log(user, AuditLog.Action.IMPORT, net, region_code=district.code,
                detail=f"路网：{len(lines)} 段道路；来源：{net.source}")
    return net
