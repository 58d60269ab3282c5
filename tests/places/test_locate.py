"""places/locate.py, the one point → place mapping: a point in a demo grid is placed in that grid,
its community and its street; a point outside every district is nowhere."""

from __future__ import annotations

import pytest
from shapely.geometry import shape

from minsheng.places.locate import grid_in, invalidate, locate
from minsheng.places.models import Grid, Region

pytestmark = pytest.mark.django_db


def test_a_point_inside_a_grid_gives_the_grid_its_community_and_its_street():
    grid = (Grid.objects.filter(region__code__startswith="131002", boundary__isnull=False)
            .select_related("region").order_by("pk").first())
    p = shape(grid.boundary).representative_point()
    loc = locate(p.x, p.y)
    assert loc is not None
    assert loc.grid == grid
    assert loc.region == grid.region
    assert loc.region.level == Region.Level.COMMUNITY
    assert loc.street is not None and loc.street.code == grid.region.code[:9] + "000"
    # the same answer when the district is given
    assert locate(p.x, p.y, Region.objects.get(code="131002000000")).grid == grid
    # and the grid of a known region
    assert grid_in(grid.region_id, p.x, p.y) == grid
    other = Region.objects.filter(level=Region.Level.COMMUNITY, code__startswith="131002") \
        .exclude(code=grid.region_id).order_by("code").first()
    assert grid_in(other.code, p.x, p.y) is None


def test_a_point_outside_every_district_is_nowhere():
    assert locate(10.0, 10.0) is None


def test_a_redrawn_outline_is_seen_once_the_index_is_invalidated():
    """Counting grids (once a minute) cannot see an outline redrawn in place; writers of outlines
    (the GeoJSON import, places.actions) call invalidate()."""
    grid = Grid.objects.filter(region__code__startswith="131002", boundary__isnull=False) \
        .order_by("pk").first()
    lng, lat = 100.0, 20.0  # far from every demo outline
    assert grid_in(grid.region_id, lng, lat) is None  # warms the index
    d = 0.001
    Grid.objects.filter(pk=grid.pk).update(boundary={"type": "Polygon", "coordinates": [[
        [lng - d, lat - d], [lng + d, lat - d], [lng + d, lat + d], [lng - d, lat + d],
        [lng - d, lat - d]]]})
    invalidate()
    assert grid_in(grid.region_id, lng, lat) == grid
    invalidate()  # leave no outline of this rolled-back test in the index
