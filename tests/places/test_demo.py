from __future__ import annotations

import pytest
from shapely.geometry import Point, shape

from minsheng.accounts.demo import create_demo_accounts
from minsheng.accounts.models import Membership
from minsheng.places.demo import counts, generate
from minsheng.places.models import Compound, Facility, Grid, Region, StreetNetwork

pytestmark = pytest.mark.django_db

ANCI = "131002000000"


def test_demo_district_has_the_real_divisions_of_anci():
    streets = Region.objects.filter(parent_id=ANCI)
    assert streets.count() == 15
    assert streets.filter(name="银河南路街道", code="131002001000").exists()
    assert Region.objects.filter(code__startswith="131002", level="community").count() == 341
    assert Region.objects.filter(code__startswith="140213", level="street").count() == 18
    assert Region.objects.filter(code__startswith="140213", level="community").count() == 202
    assert Region.objects.get(code="131000000000").name == "廊坊市"


def test_demo_check_the_seeds_stated_counts():
    """A demo check, not an independent proof: the seed (安次区 2020) states 214 compounds and
    353 signed service points, and the demo is generated to hold exactly those counts."""
    c = counts(ANCI)
    assert c["compounds"] == 214
    assert c["signed"] == 353


def test_everything_generated_is_labelled_generated():
    assert not Compound.objects.in_region(ANCI).filter(generated=False).exists()
    assert not Facility.objects.in_region(ANCI).filter(generated=False).exists()
    assert not Grid.objects.in_region(ANCI).filter(generated=False).exists()
    assert not Region.objects.filter(code__startswith="131002", geometry_generated=False).exists()
    net = StreetNetwork.objects.get(region_id=ANCI)
    assert net.generated and "生成" in net.name and "不是真实道路" in net.source


def test_generated_places_lie_inside_their_regions():
    for cp in Compound.objects.in_region(ANCI).select_related("region")[:60]:
        assert shape(cp.region.boundary).buffer(1e-6).contains(Point(cp.lng, cp.lat)), cp.name
        assert cp.region.level == "community"
    for g in Grid.objects.in_region(ANCI)[:60]:
        assert shape(g.region.boundary).buffer(1e-6).contains(shape(g.boundary).representative_point())


def test_running_the_demo_twice_changes_nothing():
    before = counts(ANCI)
    ids = sorted(Compound.objects.in_region(ANCI).values_list("name", flat=True))
    generate("131002", progress=lambda *_: None)

    create_demo_accounts("131002")
    assert counts(ANCI) == before
    assert sorted(Compound.objects.in_region(ANCI).values_list("name", flat=True)) == ids
    assert Membership.objects.filter(user__username="street1").count() == 1
