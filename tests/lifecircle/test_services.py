"""The Django adapter's single owners: graph_for (the one way from a stored network to a graph,
cached per network and stamp) and Coverage's level rule (the engine's)."""

from __future__ import annotations

import numpy as np
import pytest

from minsheng.lifecircle import engine, services
from minsheng.places.actions import do_save_street_network
from minsheng.places.models import Compound, Region, StreetNetwork

pytestmark = pytest.mark.django_db
ANCI = "131002000000"


def test_graph_for_builds_a_network_once_per_process():
    net = services.current_run(Region.objects.get(code=ANCI)).network
    first = services.graph_for(net)
    again = services.graph_for(StreetNetwork.objects.get(pk=net.pk))  # a fresh instance
    assert again is first
    assert first.n_nodes == engine.graph_from_lines(services.lines_of(net)).n_nodes


def test_graph_for_builds_again_after_the_network_is_saved():
    district = Region.objects.get(code=ANCI)
    old = do_save_street_network(district, [[[116.70, 39.50], [116.71, 39.50]]],
                                 source="测试", name="测试路网")
    g_old = services.graph_for(old)
    assert g_old.n_nodes == 2
    new = do_save_street_network(district, [[[116.70, 39.50], [116.71, 39.50], [116.71, 39.51]]],
                                 source="测试", name="测试路网")
    assert new.pk == old.pk and new.created != old.created
    g_new = services.graph_for(StreetNetwork.objects.get(pk=new.pk))
    assert g_new is not g_old and g_new.n_nodes == 3


def test_the_cache_keeps_only_the_last_few_networks(monkeypatch):
    monkeypatch.setattr(services, "GRAPH_CACHE_SIZE", 1)
    district = Region.objects.get(code=ANCI)
    net = do_save_street_network(district, [[[116.70, 39.50], [116.71, 39.50]]],
                                 source="测试", name="测试路网")
    other = services.current_run(district).network
    g = services.graph_for(net)
    services.graph_for(other)  # pushes `net` out
    assert services.graph_for(net) is not g


def test_coverage_levels_follow_the_engines_rule():
    run = services.current_run(Region.objects.get(code=ANCI))
    cov = services.coverage(run, Compound.objects.in_region(ANCI))
    levels = [c.level for c in cov.categories]
    for level in (5, 10, 15):
        want = engine.level_covered(cov.covered, levels, cov.required, level)
        assert (cov.level_flags(level) == want).all()
    # a level without required categories leaves nothing missing
    none = np.zeros(len(cov.categories), dtype=bool)
    assert engine.level_covered(cov.covered, levels, none, 15).all()
