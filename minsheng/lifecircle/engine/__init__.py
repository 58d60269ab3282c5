"""The life-circle engine: walking graph, snapping, access, coverage, catchments, siting.

Pure numpy/scipy/shapely (pyosmium to read OSM files, highspy for the exact siting model); no
Django imports (enforced by ruff, see ruff.toml beside this file). Units: metres for every
distance, WGS-84 degrees (lon, lat) for every position; minutes only as labels.

Typical use (the analyst command and the pages make this same call)::

    graph = graph_from_osm("district.osm.pbf")          # or graph_from_lines(multilinestring)
    access = compute_access(graph, c_lon, c_lat, f_lon, f_lat, f_category,
                            cutoff_m={"kindergarten": 300, "primary_school": 500})
    access.distance_m, access.facility                  # (compounds, categories)
    flags = covered(access.distance_m, access.cutoff_m)
"""

from __future__ import annotations

from .access import (
    DEFAULT_CUTOFF_M,
    DEFAULT_LEVEL_DISTANCE_M,
    DEFAULT_SPEED_M_PER_MIN,
    Access,
    Update,
    compute_access,
    minutes,
    nearest_facility,
    nearest_sources,
)
from .catchment import catchment, isochrone, reached_segments
from .coverage import (
    GroupCoverage,
    category_gaps,
    covered,
    gaps,
    group_coverage,
    level_covered,
    level_satisfied,
)
from .errors import EngineError
from .geo import Projection, haversine_m
from .graph import (
    WALK_HIGHWAYS,
    ComponentReport,
    Graph,
    WalkWays,
    graph_from_edges,
    graph_from_lines,
    graph_from_osm,
    graph_from_ways,
    open_osm,
    read_walk_ways,
    walk_exclusion_reason,
    ways_from_lines,
)
from .siting import SitingResult, coverage_matrix, greedy, mclp
from .snap import DEFAULT_MAX_SNAP_M, Snapped, attach_points, insert_points, snap_points

__all__ = [
    "DEFAULT_CUTOFF_M", "DEFAULT_LEVEL_DISTANCE_M", "DEFAULT_MAX_SNAP_M",
    "DEFAULT_SPEED_M_PER_MIN", "WALK_HIGHWAYS", "Access", "ComponentReport", "EngineError",
    "Graph", "GroupCoverage", "Projection", "SitingResult", "Snapped", "Update", "WalkWays",
    "attach_points", "catchment", "category_gaps", "compute_access", "coverage_matrix",
    "covered", "gaps", "graph_from_edges", "graph_from_lines", "graph_from_osm",
    "graph_from_ways", "greedy", "group_coverage", "haversine_m", "insert_points", "isochrone",
    "level_covered", "level_satisfied", "mclp", "minutes", "nearest_facility",
    "nearest_sources", "open_osm", "reached_segments", "read_walk_ways", "snap_points", "walk_exclusion_reason",
    "ways_from_lines",
]
