"""Tiny OSM files written by the tests (XML by hand; .pbf through pyosmium's writer)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from xml.sax.saxutils import quoteattr

import osmium

Way = tuple[int, list[int], Mapping[str, str]]


def write_osm(path: Path, nodes: Mapping[int, tuple[float, float]], ways: Iterable[Way]) -> Path:
    """An .osm XML file with the given nodes (id → lon, lat) and ways (id, node ids, tags)."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for nid, (lon, lat) in nodes.items():
        lines.append(f'  <node id="{nid}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"/>')
    for wid, refs, tags in ways:
        lines.append(f'  <way id="{wid}" version="1">')
        lines += [f'    <nd ref="{r}"/>' for r in refs]
        lines += [f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items()]
        lines.append("  </way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_pbf(path: Path, nodes: Mapping[int, tuple[float, float]], ways: Iterable[Way]) -> Path:
    with osmium.SimpleWriter(str(path)) as w:
        for nid, (lon, lat) in nodes.items():
            w.add_node(osmium.osm.mutable.Node(id=nid, location=(lon, lat), version=1))
        for wid, refs, tags in ways:
            w.add_way(osmium.osm.mutable.Way(id=wid, nodes=refs, tags=dict(tags), version=1))
    return path


def grid(n: int = 4, step: float = 0.001, lon0: float = 104.0, lat0: float = 30.0
         ) -> tuple[dict[int, tuple[float, float]], list[Way]]:
    """An n × n street grid of residential streets, `step` degrees apart (node ids 1…n²)."""
    nodes = {1 + i * n + j: (lon0 + j * step, lat0 + i * step) for i in range(n) for j in range(n)}
    ways: list[Way] = []
    for i in range(n):
        ways.append((100 + i, [1 + i * n + j for j in range(n)], {"highway": "residential"}))
        ways.append((200 + i, [1 + j * n + i for j in range(n)], {"highway": "footway"}))
    return nodes, ways
