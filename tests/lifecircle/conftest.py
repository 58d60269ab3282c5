"""Fixtures for the life-circle tests: the real 成都 extract parsed once per module."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from minsheng.lifecircle.engine import Graph, graph_from_ways, read_walk_ways
from minsheng.places.osm import Rule, read_extract
from tests.conftest import CHENGDU_OSM

CATALOGUE = (Path(__file__).resolve().parents[2] / "minsheng" / "places" / "fixtures"
             / "facility_categories.json")


@pytest.fixture(scope="module")
def chengdu_path() -> Path:
    """The root `chengdu_osm` fixture, once per module (same path, same skip)."""
    if not CHENGDU_OSM.exists():
        pytest.skip(f"real OSM extract not available: {CHENGDU_OSM} (../shared/ is absent)")
    return CHENGDU_OSM


@pytest.fixture(scope="module")
def chengdu_graph(chengdu_path: Path) -> Graph:
    return graph_from_ways(read_walk_ways(chengdu_path))


@pytest.fixture(scope="module")
def chengdu_places(chengdu_path: Path):
    """Named residential areas and catalogue POIs of the 成都 extract, read with the OSM sample
    builder's own reader (no database: the rules come straight from the fixture file)."""
    rules = []
    cats = json.loads(CATALOGUE.read_text(encoding="utf-8"))
    for c in sorted(cats, key=lambda c: (c["fields"]["order"], c["pk"])):
        for raw in c["fields"].get("osm_tags") or []:
            raw = dict(raw)
            pattern = raw.pop("name~", None)
            if raw or pattern:
                rules.append(Rule(c["pk"], {k: str(v) for k, v in raw.items()},
                                  re.compile(pattern) if pattern else None))
    return read_extract(chengdu_path, rules)
