"""Where a case is and who handles it.

Where a case is comes from places.locate.locate (point → grid → community → compound nearby);
route(): the routing rules (category × longest region prefix), else the catalogue default: a
managed compound's property company for property categories, else the nearest organisation of the
category's handler kind walking up the region tree (community → street → district).

Every filing routes, so the rules of a category and the organisations of a kind up a region's
tree are kept per process for TABLE_TTL_S, as the working calendar is (cases.clocks): a rule or an
organisation saved in this process is seen at once (signals below), another app server of a
cluster sees it within the minute. In bench/open311_cluster_bench.py these two reads were a tenth
of an Open311 POST's time.
"""

from __future__ import annotations

from minsheng.cases.models import RoutingRule
from minsheng.lib.kept import Kept
from minsheng.places.models import Compound, Organisation, Region, parent_code

__all__ = ["dispatcher", "escalation_target", "invalidate", "nearest_org", "route"]

TABLE_TTL_S = 60.0
_TABLE = Kept("routing", TABLE_TTL_S)
_TABLE.forget_on_write(RoutingRule, Organisation)
_kept = _TABLE.get


def invalidate(**_signal_kwargs) -> None:
    """Forget the rules and organisations read in this process (one was written)."""
    _TABLE.clear()


def _up(code: str):
    while code:
        yield code
        code = parent_code(code)


def route(case_type, region: Region, compound: Compound | None = None) -> Organisation:
    rules = _kept(("rules", case_type.pk), lambda: list(
        RoutingRule.objects.filter(case_type=case_type).select_related("organisation")))
    best = None
    for r in rules:
        if region.code.startswith(r.region_prefix) and (
                best is None or len(r.region_prefix) > len(best.region_prefix)):
            best = r
    if best is not None:
        return best.organisation
    if case_type.property_first and compound is not None and compound.property_company_id:
        return compound.property_company
    return nearest_org(case_type.handler_kind, region)


def dispatcher(region: Region) -> Organisation:
    """Who re-routes a returned case: the street office, else the district's first office."""
    for code in _up(region.code):
        org = Organisation.objects.filter(
            region_id=code, kind__in=[Organisation.Kind.STREET_OFFICE,
                                      Organisation.Kind.DEPARTMENT]).order_by("kind", "pk").first()
        if org is not None:
            return org
    raise LookupError(f"{region} 及其上级没有可承办的组织机构")


def escalation_target(org: Organisation) -> Organisation | None:
    """The parent region's office: community/property → street office → the district's office
    that receives escalations (Organisation.receives_escalations), else its first department."""
    code = org.region_id
    if org.kind not in (Organisation.Kind.STREET_OFFICE, Organisation.Kind.DEPARTMENT):
        # a community, a property company, a committee: first the street office above it
        for c in _up(code):
            o = Organisation.objects.filter(region_id=c, kind=Organisation.Kind.STREET_OFFICE
                                            ).order_by("pk").first()
            if o is not None and o.pk != org.pk:
                return o
    parent = parent_code(code)
    while parent:
        # the office the region names to receive escalations, else its street office, else its
        # first department
        o = Organisation.objects.filter(region_id=parent, kind__in=[
            Organisation.Kind.STREET_OFFICE, Organisation.Kind.DEPARTMENT]).order_by(
            "-receives_escalations", "-kind", "pk").first()
        if o is not None and o.pk != org.pk:
            return o
        parent = parent_code(parent)
    return None


def nearest_org(kind: str, region: Region) -> Organisation:
    """The organisation of a kind nearest up the region tree (community → street → district),
    the first by pk at that level; one query for the whole walk (it runs on every filing)."""
    codes = list(_up(region.code))

    def load() -> dict[str, Organisation]:
        orgs = {}
        for org in Organisation.objects.filter(region_id__in=codes, kind=kind).order_by("-pk"):
            orgs[org.region_id] = org  # ordered by -pk: the lowest pk of each region is kept
        return orgs

    orgs = _kept(("orgs", kind, region.code), load)
    for code in codes:
        if code in orgs:
            return orgs[code]
    return dispatcher(region)
