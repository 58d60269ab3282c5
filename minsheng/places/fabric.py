"""A generated urban fabric for the demo districts: street blocks, a walkable network, compound
sites and planned facility sites. Pure geometry (shapely, numpy): no database, no Django.

Why: the demo has real division names but no real map, and the life circle must read like a real
district's on it. So the generator lays a district out the way such districts are built:

- an **urban core** for the 街道 with residential communities: a grid of arterials (about 0.75–1.1 km
  apart, jittered, the whole grid slightly rotated), each superblock cut by local streets into
  blocks of about 170–400 m, some blocks crossed by footpaths, some local streets stopping short
  (dead ends, merged blocks); the core is cut into streets and each street into communities along
  the streets (recursive bisection over blocks, weighted by the number of compounds);
- **town seats** (镇区/园区) as small grids with the towns' residential communities, and **villages**
  as small lane grids (the plain villages of 冀中/晋北 are laid out so), every settlement joined to
  its neighbours, every seat to the nearest others and to the core, by straight roads;
- **compound sites** inside blocks (a block holds 1–4 compounds; the entrance is on the block's
  edge facing a street, where the life circle snaps it to the network);
- **facility sites** placed as a planned district places them: per community (5-minute level)
  a service station cluster, a kindergarten, fitness grounds; per 10-minute unit a primary school,
  market, park, sports ground, supermarket; per 15-minute unit (a street, or part of a large one)
  the street service centre, health centre, culture centre, elderly home, junior middle school,
  mall and banks; shops along block edges near compounds. Each planned item is present with a
  probability, so some neighbourhoods lack a category (the gaps a district acts on), and towns and
  villages are sparser than the city.

Every junction is an exact shared vertex (lattice points are computed once; arterial edges carry
the points of both sides), so the network is one connected graph without relying on noding of
near-touching lines; crossings of straight roads are noded by `unary_union`.
The frame is metres east/north of the district centre; `to_lnglat` converts the results.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

import numpy as np
import shapely
from scipy.sparse.csgraph import minimum_spanning_tree
from shapely import affinity
from shapely.geometry import LineString, MultiLineString, MultiPoint, Point, Polygon
from shapely.ops import unary_union

M_PER_DEG_LAT = 111_000.0

# Planned facilities: (category, probability that a unit has it). The probabilities are the
# generator's assumptions about a typical northern Chinese district, not figures from a seed.
COMMUNITY_CLUSTER = [("community_station", 0.95), ("culture_station", 0.85),
                     ("elderly_day_care", 0.75), ("health_station", 0.8), ("fitness_ground", 0.8),
                     ("canteen", 0.45)]
PER_COMPOUND_SHOPS = [("convenience", 0.65), ("breakfast", 0.55), ("pharmacy", 0.5),
                      ("hairdresser", 0.35), ("laundry", 0.3), ("repair", 0.35),
                      ("post_express", 0.4), ("supermarket", 0.1), ("housekeeping", 0.12),
                      ("recycling", 0.15)]
UNIT10 = [("market", 0.9), ("supermarket", 0.95), ("sports_ground", 0.8),
          # the shop street at a 10-minute centre
          ("hairdresser", 0.8), ("laundry", 0.7), ("repair", 0.7), ("post_express", 0.8)]
UNIT15 = [("health_centre", 0.92), ("culture_centre", 0.85), ("elderly_home", 0.88),
          ("mall", 0.9), ("bank", 0.95), ("sports_centre", 0.35)]
UNIT15_SCATTERED = [("bank", 0.6), ("housekeeping", 0.85), ("recycling", 0.85)]
SEAT = [("service_centre", 1.0), ("health_centre", 0.95), ("secondary_school", 0.8),
        ("primary_school", 0.95), ("kindergarten", 0.9), ("market", 0.9), ("elderly_home", 0.7),
        ("bank", 0.9), ("police", 0.8), ("post_express", 0.8), ("supermarket", 0.8),
        ("culture_station", 0.7), ("fitness_ground", 0.7), ("recycling", 0.6),
        ("sports_ground", 0.45), ("park", 0.35), ("culture_centre", 0.3), ("housekeeping", 0.3),
        ("mall", 0.15), ("convenience", 0.9), ("breakfast", 0.7), ("pharmacy", 0.8),
        ("hairdresser", 0.6), ("repair", 0.5), ("laundry", 0.3)]
VILLAGE = [("community_station", 0.85), ("health_station", 0.7), ("convenience", 0.45),
           ("fitness_ground", 0.3), ("culture_station", 0.3), ("breakfast", 0.1),
           ("elderly_day_care", 0.12), ("primary_school", 0.1), ("kindergarten", 0.1),
           ("recycling", 0.08)]

AREA_PER_COMPOUND = 60_000.0  # m² of core (blocks, streets, other uses) per urban compound
AREA_PER_COMMUNITY = 140_000.0  # at least this much core per residential community
# Straight-line service radii a planner sites by, per level: about 70 % of the walking distance
# (300/500/1,000 m along the streets), the usual ratio of a city grid's detour.
RADIUS = {5: 190.0, 10: 340.0, 15: 700.0}


@dataclass
class StreetPlan:
    """One 街道/乡镇 as the generator needs it: its code, whether it is an urban street, and the
    codes of its residential communities and its villages (in code order)."""

    code: str
    urban: bool
    resid: list[str]
    villages: list[str]


@dataclass
class Site:
    """A compound site: its community, outline and entrance (metres until converted)."""

    community: str
    shape: Polygon
    entrance: Point
    face: int


@dataclass
class FacilitySite:
    category: str
    point: Point
    where: str  # "core", "seat" or "village"


@dataclass
class Fabric:
    outline: Polygon
    regions: dict[str, object]  # street and community code → polygon
    lines: list[LineString]  # the noded walking network
    street_blocks: list[Polygon]  # urban blocks between streets (footpaths not counted)
    compounds: list[Site]
    facilities: list[FacilitySite]
    settlements: dict[str, list[Polygon]] = field(default_factory=dict)  # town code → areas


# ---------------------------------------------------------------- lattices

def _fractions(rng: random.Random, length: float, spacing: tuple[float, float]) -> list[float]:
    """Interior cut positions (0..1) for a side of `length` m, cuts `spacing` m apart."""
    lo, hi = spacing
    k = max(1, round(length / ((lo + hi) / 2)))
    w = [rng.uniform(0.75, 1.25) for _ in range(k)]
    tot = sum(w)
    out, acc = [], 0.0
    for x in w[:-1]:
        acc += x
        out.append(acc / tot)
    return out


def _with_paths(rng: random.Random, cuts: list[float], p_path: float) -> list[tuple[float, str]]:
    """Street cuts plus, in some intervals, a footpath cut half-way."""
    edges = [0.0, *cuts, 1.0]
    out: list[tuple[float, str]] = []
    for a, b in zip(edges, edges[1:], strict=False):
        if rng.random() < p_path:
            out.append((a + (b - a) * rng.uniform(0.42, 0.58), "path"))
        if b < 1.0:
            out.append((b, "street"))
    return out


class _Lattice:
    """The local streets (and footpaths) inside one quadrilateral. Boundary points come from
    `boundary(side, t)` so neighbours share them exactly; interior points are jittered."""

    def __init__(self, rng, corners, ucuts, vcuts, boundary, *, jitter, p_drop, p_path_keep):
        p00, p10, p11, p01 = (np.asarray(c, dtype=float) for c in corners)
        us = [0.0] + [u for u, _ in ucuts] + [1.0]
        vs = [0.0] + [v for v, _ in vcuts] + [1.0]
        ukind = ["edge"] + [k for _, k in ucuts] + ["edge"]
        vkind = ["edge"] + [k for _, k in vcuts] + ["edge"]
        nu, nv = len(us), len(vs)
        pts = [[None] * nv for _ in range(nu)]
        for i, u in enumerate(us):
            for j, v in enumerate(vs):
                if j == 0:
                    pts[i][j] = boundary("bottom", u)
                elif j == nv - 1:
                    pts[i][j] = boundary("top", u)
                elif i == 0:
                    pts[i][j] = boundary("left", v)
                elif i == nu - 1:
                    pts[i][j] = boundary("right", v)
                else:
                    p = (1 - u) * (1 - v) * p00 + u * (1 - v) * p10 + u * v * p11 + (1 - u) * v * p01
                    pts[i][j] = (float(p[0] + rng.uniform(-jitter, jitter)),
                                 float(p[1] + rng.uniform(-jitter, jitter)))
        width = float(np.linalg.norm(p10 - p00) + np.linalg.norm(p11 - p01)) / 2
        height = float(np.linalg.norm(p01 - p00) + np.linalg.norm(p11 - p10)) / 2
        self.streets: list[LineString] = []
        self.paths: list[LineString] = []

        def street_neighbours(vals, kinds, i):
            lo = max(k for k in range(i) if kinds[k] != "path")
            hi = min(k for k in range(i + 1, len(vals)) if kinds[k] != "path")
            return vals[hi] - vals[lo]

        for i in range(1, nu - 1):  # iso-u lines (run along v)
            merged = street_neighbours(us, ukind, i) * width
            for j in range(nv - 1):
                seg = LineString([pts[i][j], pts[i][j + 1]])
                if ukind[i] == "path":
                    if rng.random() < p_path_keep:
                        self.paths.append(seg)
                elif not (merged <= 420 and rng.random() < p_drop):
                    self.streets.append(seg)
        for j in range(1, nv - 1):  # iso-v lines (run along u)
            merged = street_neighbours(vs, vkind, j) * height
            for i in range(nu - 1):
                seg = LineString([pts[i][j], pts[i + 1][j]])
                if vkind[j] == "path":
                    if rng.random() < p_path_keep:
                        self.paths.append(seg)
                elif not (merged <= 420 and rng.random() < p_drop):
                    self.streets.append(seg)


def _quad(centre: tuple[float, float], w: float, h: float, angle: float, rng, jitter: float):
    cx, cy = centre
    ca, sa = math.cos(angle), math.sin(angle)
    out = []
    for dx, dy in ((-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)):
        dx += rng.uniform(-jitter, jitter)
        dy += rng.uniform(-jitter, jitter)
        out.append((cx + dx * ca - dy * sa, cy + dx * sa + dy * ca))
    return out


def _lone_lattice(rng, corners, *, spacing, p_path, jitter, p_drop, p_path_keep):
    """A lattice in a quadrilateral of its own (a town seat, a village): its boundary streets too."""
    p00, p10, p11, p01 = corners
    w = math.dist(p00, p10)
    h = math.dist(p00, p01)
    ucuts = _with_paths(rng, _fractions(rng, w, spacing), p_path)
    vcuts = _with_paths(rng, _fractions(rng, h, spacing), p_path)
    sides = {"bottom": (p00, p10), "top": (p01, p11), "left": (p00, p01), "right": (p10, p11)}

    def boundary(side, t):
        a, b = sides[side]
        if t == 0.0:
            return a
        if t == 1.0:
            return b
        return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)

    lat = _Lattice(rng, corners, ucuts, vcuts, boundary, jitter=jitter, p_drop=p_drop,
                   p_path_keep=p_path_keep)
    ring = []
    for side, cuts in (("bottom", ucuts), ("right", vcuts), ("top", ucuts), ("left", vcuts)):
        ts = [0.0] + [c for c, _ in cuts] + [1.0]
        pts = [boundary(side, t) for t in ts]
        ring += [LineString([a, b]) for a, b in zip(pts, pts[1:], strict=False)]
    return lat.streets + ring, lat.paths, Polygon(corners)


# ---------------------------------------------------------------- the urban core

def _core(rng, centre, area: float, angle: float):
    """The urban core: arterials, local streets and footpaths; returns (streets, paths, polygon,
    anchors) where anchors are arterial crossings on the core's edge (where roads leave)."""
    aspect = rng.uniform(1.0, 1.3)
    width = math.sqrt(area * aspect) * 1.08  # a little more: corner superblocks may be dropped
    height = area / width * 1.08
    nx = max(1, round(width / 900))
    ny = max(1, round(height / 900))

    def cuts(n, total):
        w = [rng.uniform(0.8, 1.2) for _ in range(n)]
        s = sum(w)
        acc, out = 0.0, [0.0]
        for x in w:
            acc += x
            out.append(acc / s * total)
        return out

    xs, ys = cuts(nx, width), cuts(ny, height)
    ca, sa = math.cos(angle), math.sin(angle)
    cx, cy = centre
    A = {}
    for i, x in enumerate(xs):
        for j, y in enumerate(ys):
            edge = i in (0, nx) or j in (0, ny)
            jx = 0.0 if edge else rng.uniform(-60, 60)
            jy = 0.0 if edge else rng.uniform(-60, 60)
            dx, dy = x - width / 2 + jx, y - height / 2 + jy
            A[i, j] = (cx + dx * ca - dy * sa, cy + dx * sa + dy * ca)
    cells = {(i, j) for i in range(nx) for j in range(ny)}
    if nx >= 3 and ny >= 3:  # an irregular edge: one or two corner superblocks are not built
        corners = [(0, 0), (nx - 1, 0), (0, ny - 1), (nx - 1, ny - 1)]
        for c in rng.sample(corners, rng.choice([1, 2])):
            cells.discard(c)
    # Cut positions per superblock; arterial edges gather the points of both sides.
    plan = {}
    edge_t: dict[tuple, set[float]] = {}

    def edge_key(a, b):
        return (a, b) if a < b else (b, a)

    def add_t(a, b, t):
        k = edge_key(a, b)
        edge_t.setdefault(k, {0.0, 1.0}).add(t if k == (a, b) else 1.0 - t)

    for (i, j) in sorted(cells):
        c00, c10, c11, c01 = (i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1)
        w = math.dist(A[c00], A[c10])
        h = math.dist(A[c00], A[c01])
        ucuts = _with_paths(rng, _fractions(rng, w, (190, 330)), 0.35)
        vcuts = _with_paths(rng, _fractions(rng, h, (190, 330)), 0.35)
        plan[i, j] = (ucuts, vcuts)
        for u, _k in ucuts:
            add_t(c00, c10, u)
            add_t(c01, c11, u)
        for v, _k in vcuts:
            add_t(c00, c01, v)
            add_t(c10, c11, v)
        for a, b in ((c00, c10), (c01, c11), (c00, c01), (c10, c11)):
            edge_t.setdefault(edge_key(a, b), {0.0, 1.0})

    def edge_point(a, b, t):
        k = edge_key(a, b)
        tt = t if k == (a, b) else 1.0 - t
        if tt == 0.0:
            return A[k[0]]
        if tt == 1.0:
            return A[k[1]]
        p, q = A[k[0]], A[k[1]]
        return (p[0] + (q[0] - p[0]) * tt, p[1] + (q[1] - p[1]) * tt)

    streets: list[LineString] = []
    paths: list[LineString] = []
    for (i, j), (ucuts, vcuts) in sorted(plan.items()):
        c00, c10, c11, c01 = (i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1)
        sides = {"bottom": (c00, c10), "top": (c01, c11), "left": (c00, c01), "right": (c10, c11)}

        def boundary(side, t, sides=sides):
            return edge_point(*sides[side], t)

        lat = _Lattice(rng, [A[c00], A[c10], A[c11], A[c01]], ucuts, vcuts, boundary,
                       jitter=12.0, p_drop=0.12, p_path_keep=0.6)
        streets += lat.streets
        paths += lat.paths
    for (a, b), ts in edge_t.items():  # the arterials, through every point on them
        pts = [(A[a][0] + (A[b][0] - A[a][0]) * t, A[a][1] + (A[b][1] - A[a][1]) * t)
               if 0.0 < t < 1.0 else A[a] if t == 0.0 else A[b] for t in sorted(ts)]
        streets += [LineString([p, q]) for p, q in zip(pts, pts[1:], strict=False)]
    poly = unary_union([Polygon([A[i, j], A[i + 1, j], A[i + 1, j + 1], A[i, j + 1]])
                        for (i, j) in cells])
    anchors = [A[k] for k in A if poly.exterior.distance(Point(A[k])) < 1e-6]
    return streets, paths, poly, anchors


# ---------------------------------------------------------------- partitions

def _bisect(items: list, weights: list[float], areas: list[float], xy: list[tuple[float, float]],
            rng) -> list[list[int]]:
    """Split item indices into len(weights) contiguous groups of about weight-proportional area:
    recursive halving across the longer side of the items' extent. Each group gets ≥1 item when
    there are enough items."""
    idx = list(range(len(items)))

    def rec(ids, ws):
        if len(ws) == 1:
            return [ids]
        if not ids:
            return [[] for _ in ws]
        total_w = sum(ws) or len(ws)
        half, acc, k = total_w / 2, 0.0, 0
        while k < len(ws) - 1 and acc + ws[k] / 2 < half:
            acc += ws[k]
            k += 1
        k = max(1, k)
        left_w, right_w = ws[:k], ws[k:]
        share = (sum(left_w) / total_w) if total_w else k / len(ws)
        xs = [xy[i][0] for i in ids]
        ys = [xy[i][1] for i in ids]
        axis = 0 if (max(xs) - min(xs)) >= (max(ys) - min(ys)) else 1
        ids = sorted(ids, key=lambda i: (xy[i][axis], xy[i][1 - axis]))
        total_a = sum(areas[i] for i in ids)
        target = total_a * share * rng.uniform(0.95, 1.05)
        acc_a, cut = 0.0, 0
        while cut < len(ids) and acc_a + areas[ids[cut]] / 2 < target:
            acc_a += areas[ids[cut]]
            cut += 1
        cut = min(max(cut, len(left_w)), len(ids) - len(right_w)) if len(ids) >= len(ws) else \
            max(0, min(cut, len(ids)))
        return rec(ids[:cut], left_w) + rec(ids[cut:], right_w)

    return rec(idx, list(weights))


def _local_xy(geoms, angle):
    """Centroids in the grid's own (unrotated) frame, for splits along the streets."""
    ca, sa = math.cos(-angle), math.sin(-angle)
    out = []
    for g in geoms:
        c = g.centroid
        out.append((c.x * ca - c.y * sa, c.x * sa + c.y * ca))
    return out


def _split_faces(faces: list[Polygon], n: int) -> list[Polygon]:
    """More faces than communities: halve the largest faces until there are n."""
    faces = list(faces)
    while len(faces) < n:
        k = max(range(len(faces)), key=lambda i: faces[i].area)
        f = faces.pop(k)
        r = f.minimum_rotated_rectangle
        pts = list(r.exterior.coords)[:4]
        a, b, c, d = pts
        if math.dist(a, b) >= math.dist(b, c):
            m1, m2 = ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2), ((c[0] + d[0]) / 2, (c[1] + d[1]) / 2)
        else:
            m1, m2 = ((b[0] + c[0]) / 2, (b[1] + c[1]) / 2), ((d[0] + a[0]) / 2, (d[1] + a[1]) / 2)
        cutter = LineString([m1, m2])
        parts = shapely.ops.split(f, affinity.scale(cutter, 2, 2))
        faces += [g for g in parts.geoms if g.area > 0] or [f]
    return faces


def _cells(seeds: list[Point], within) -> list:
    if len(seeds) == 1:
        return [within]
    cells = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=within)
    out = []
    for s in seeds:
        cell = next((c for c in cells.geoms if c.contains(s)), None)
        geom = cell.intersection(within) if cell is not None else s.buffer(50)
        if geom.geom_type == "GeometryCollection":
            geom = unary_union([g for g in geom.geoms if g.area > 0])
        out.append(geom)
    return out


def _random_point(rng, poly, tries=500):
    minx, miny, maxx, maxy = poly.bounds
    for _ in range(tries):
        p = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if poly.contains(p):
            return p
    return poly.representative_point()


def _spread(rng, poly, n, min_m):
    pts: list[Point] = []
    tries = 0
    while len(pts) < n:
        p = _random_point(rng, poly)
        tries += 1
        if tries < 3000 and any(p.distance(q) < min_m for q in pts):
            continue
        pts.append(p)
    return pts


# ---------------------------------------------------------------- placing things in blocks

def _block(face: Polygon, inset: float) -> Polygon:
    b = face.buffer(-inset, join_style="mitre")
    if b.is_empty or b.geom_type != "Polygon":
        b = face.buffer(-inset / 3, join_style="mitre")
        if b.geom_type != "Polygon":
            b = max(getattr(b, "geoms", [face]), key=lambda g: g.area) if not b.is_empty else face
    return b


def _edge_point(rng, block: Polygon) -> Point:
    return block.exterior.interpolate(rng.random(), normalized=True)


def _split_block(block: Polygon, k: int) -> list[Polygon]:
    """k compounds side by side across the block's long axis."""
    if k <= 1:
        return [block]
    r = block.minimum_rotated_rectangle
    a, b, c, _d = list(r.exterior.coords)[:4]
    if math.dist(a, b) < math.dist(b, c):
        a, b, c = b, c, (c[0] + a[0] - b[0], c[1] + a[1] - b[1])
    # long axis a→b, short side b→c
    out = []
    for s in range(k):
        t0, t1 = s / k, (s + 1) / k
        p0 = (a[0] + (b[0] - a[0]) * t0, a[1] + (b[1] - a[1]) * t0)
        p1 = (a[0] + (b[0] - a[0]) * t1, a[1] + (b[1] - a[1]) * t1)
        off = (c[0] - b[0], c[1] - b[1])
        strip = Polygon([p0, p1, (p1[0] + off[0], p1[1] + off[1]), (p0[0] + off[0], p0[1] + off[1])])
        part = block.intersection(strip.buffer(-4, join_style="mitre"))
        if part.geom_type != "Polygon":
            part = max(getattr(part, "geoms", []), key=lambda g: g.area, default=None)
        if part is not None and not part.is_empty and part.area > 500:
            out.append(part)
    return out or [block]


def _entrance(rng, shape: Polygon, face: Polygon) -> Point:
    """A point on the compound's edge that faces a street (near the face's boundary)."""
    ring = face.exterior
    best, best_d = None, math.inf
    for _ in range(12):
        q = shape.exterior.interpolate(rng.random(), normalized=True)
        d = ring.distance(q)
        if d < best_d:
            best, best_d = q, d
        if d < 25:
            break
    return best


# ---------------------------------------------------------------- the district

def generate_fabric(seed: str, *, centre_radius: tuple[float, float], urban_offset: tuple[float, float],
                    streets: list[StreetPlan], n_compounds: int) -> Fabric:
    """Lay out a district in metres around (0, 0). `centre_radius` = half extents (m) of the
    district outline; `urban_offset` = where the urban core is centred."""
    rng = random.Random(seed)  # noqa: S311 - not security
    rx, ry = centre_radius
    pts = []
    for i in range(28):
        a = 2 * math.pi * i / 28
        r = rng.uniform(0.86, 1.08)
        pts.append((rx * r * math.cos(a), ry * r * math.sin(a)))
    outline = Polygon(pts).buffer(0)

    core_streets = [s for s in streets if s.urban and s.resid]
    # Compounds per community: the core's communities hold most, town seats a few.
    weights: dict[str, float] = {}
    for s in streets:
        for c in s.resid:
            weights[c] = rng.uniform(3.5, 7.0) if s.urban else rng.uniform(1.0, 3.0)
    alloc = _largest_remainder(weights, n_compounds)
    angle = math.radians(rng.uniform(-10, 10))
    regions: dict[str, object] = {}
    facilities: list[FacilitySite] = []
    compounds: list[Site] = []
    all_streets: list[LineString] = []
    all_paths: list[LineString] = []
    street_blocks: list[Polygon] = []
    settlements: dict[str, list[Polygon]] = {}

    core_poly = None
    anchors: list[tuple[float, float]] = []
    comm_faces: dict[str, list[Polygon]] = {}
    if core_streets:
        need = {s.code: max(sum(alloc[c] for c in s.resid) * AREA_PER_COMPOUND,
                            len(s.resid) * AREA_PER_COMMUNITY) for s in core_streets}
        c_streets, c_paths, core_poly, anchors = _core(rng, urban_offset, sum(need.values()), angle)
        all_streets += c_streets
        all_paths += c_paths
        faces = [f for f in shapely.polygonize(c_streets + c_paths).geoms if f.area > 100]
        street_blocks = [f for f in shapely.polygonize(c_streets).geoms if f.area > 100]
        xy = _local_xy(faces, angle)
        groups = _bisect(faces, [need[s.code] for s in core_streets], [f.area for f in faces], xy,
                         rng)
        for s, g in zip(core_streets, groups, strict=True):
            sf = [faces[i] for i in g]
            if len(sf) < len(s.resid):
                sf = _split_faces(sf, len(s.resid))
            sxy = _local_xy(sf, angle)
            cw = [alloc[c] + 1 for c in s.resid]
            for c, cg in zip(s.resid, _bisect(sf, cw, [f.area for f in sf], sxy, rng),
                             strict=True):
                comm_faces[c] = [sf[i] for i in cg]
            regions[s.code] = unary_union(sf)
        core_poly = unary_union([core_poly, *[regions[s.code] for s in core_streets]])

    # The periphery: towns and the village parts of urban streets, Voronoi round their seeds.
    outline = unary_union([outline, core_poly.buffer(400)]) if core_poly is not None else outline
    outline = outline.simplify(1.0)
    periphery_regions = [s for s in streets if not s.urban or (s.villages and s.urban)]
    periphery = outline.difference(core_poly) if core_poly is not None else outline
    seeds: list[Point] = []
    cc = core_poly.centroid if core_poly is not None else Point(0, 0)
    for i, s in enumerate(periphery_regions):
        if s.urban and s.code in regions:
            c = regions[s.code].centroid
            a = math.atan2(c.y - cc.y, c.x - cc.x)
        else:
            a = 2 * math.pi * i / max(1, len(periphery_regions)) + rng.uniform(-0.2, 0.2)
        r = rng.uniform(0.5, 0.75)
        p = Point(rx * r * math.cos(a), ry * r * math.sin(a))
        ok = periphery.buffer(-800).contains(p) and all(p.distance(q) > 2500 for q in seeds)
        tries = 0
        while not ok and tries < 200:
            p = _random_point(rng, periphery.buffer(-800))
            ok = all(p.distance(q) > 2500 for q in seeds)
            tries += 1
        seeds.append(p)
    cells = _cells(seeds, periphery) if periphery_regions else []
    seat_areas: list[tuple[str, Polygon, list[Polygon]]] = []
    seat_anchors: list[tuple[str, list[tuple[float, float]]]] = []
    village_areas: list[tuple[str, Polygon, list[tuple[float, float]]]] = []
    for s, seed_pt, cell in zip(periphery_regions, seeds, cells, strict=True):
        cell = cell.buffer(0)
        seat_poly = None
        if not s.urban:
            n_seat = sum(alloc[c] for c in s.resid)
            area = max(600_000.0, n_seat * AREA_PER_COMPOUND * 1.6)
            side = math.sqrt(area)
            corners = _quad((seed_pt.x, seed_pt.y), side * rng.uniform(0.9, 1.15),
                            side * rng.uniform(0.85, 1.1), angle + math.radians(rng.uniform(-8, 8)),
                            rng, 40)
            st, pa, seat_poly = _lone_lattice(rng, corners, spacing=(170, 280), p_path=0.2,
                                              jitter=10, p_drop=0.1, p_path_keep=0.5)
            seat_poly = seat_poly.intersection(cell)
            if seat_poly.geom_type != "Polygon":
                seat_poly = max(getattr(seat_poly, "geoms", [seat_poly]), key=lambda g: g.area)
            all_streets += st
            all_paths += pa
            faces = [f.intersection(cell) for f in shapely.polygonize(st + pa).geoms]
            faces = [f for f in faces if f.geom_type == "Polygon" and f.area > 100]
            seat_areas.append((s.code, seat_poly, faces))
            seat_anchors.append((s.code, list(corners)))
            settlements.setdefault(s.code, []).append(seat_poly)
            if s.resid:
                if len(faces) < len(s.resid):
                    faces = _split_faces(faces, len(s.resid))
                fxy = _local_xy(faces, angle)
                for c, cg in zip(s.resid, _bisect(faces, [alloc[c] + 1 for c in s.resid],
                                                  [f.area for f in faces], fxy, rng),
                                 strict=True):
                    comm_faces[c] = [faces[i] for i in cg]
        rest = cell.difference(seat_poly) if (seat_poly is not None and s.resid) else cell
        if s.villages:
            room = rest.buffer(-350)
            if room.is_empty or room.area < 1e5:
                room = rest
            vpts = _spread(rng, room, len(s.villages), 900)
            vcells = _cells(vpts, rest)
            if seat_poly is not None and not s.resid:  # the seat lies in its 驻地村
                k = min(range(len(vpts)), key=lambda i: vpts[i].distance(seat_poly.centroid))
                vcells[k] = unary_union([vcells[k], seat_poly.intersection(cell)])
            for v, p, vc in zip(s.villages, vpts, vcells, strict=True):
                regions[v] = vc
                side = rng.uniform(260, 480)
                w, h = side * rng.uniform(0.8, 1.2), side * rng.uniform(0.7, 1.1)
                turn = angle + math.radians(rng.uniform(-15, 15))
                corners = _quad((p.x, p.y), w, h, turn, rng, 25)
                for _ in range(4):  # a village stays inside its own cell
                    if vc.buffer(1).contains(Polygon(corners)):
                        break
                    w, h = w * 0.8, h * 0.8
                    corners = _quad((p.x, p.y), w, h, turn, rng, 10)
                st, pa, vpoly = _lone_lattice(rng, corners, spacing=(100, 160), p_path=0.0,
                                              jitter=8, p_drop=0.2, p_path_keep=0.0)
                all_streets += st
                village_areas.append((v, vpoly, list(corners)))
        resid_geoms = [unary_union(comm_faces[c]) for c in s.resid] if (s.resid and not s.urban) \
            else []
        for c, g in zip(s.resid if not s.urban else [], resid_geoms, strict=True):
            regions[c] = g
        part = cell
        regions[s.code] = unary_union([regions[s.code], part]) if s.code in regions else part
    for c, fs in comm_faces.items():
        if c not in regions:
            regions[c] = unary_union(fs)

    # Roads: a spanning tree over the settlements plus links to the two nearest, so each town's
    # villages hang together and every town reaches its neighbours and the city.
    nodes: list[tuple[str, list[tuple[float, float]]]] = []
    if core_poly is not None:
        nodes.append(("core", anchors))
    nodes += seat_anchors
    nodes += [(code, corners) for code, _p, corners in village_areas]
    roads = _roads(nodes)
    lines = unary_union(all_streets + all_paths + roads)
    lines = list(getattr(lines, "geoms", [lines]))

    compounds = _place_compounds(rng, comm_faces, alloc)
    facilities = _place_facilities(rng, streets, core_streets, comm_faces, compounds,
                                   seat_areas, village_areas)
    return Fabric(outline=outline, regions=regions, lines=lines, street_blocks=street_blocks,
                  compounds=compounds, facilities=facilities, settlements=settlements)


def _largest_remainder(weights: dict[str, float], n: int) -> dict[str, int]:
    total = sum(weights.values()) or 1
    raw = {k: n * w / total for k, w in weights.items()}
    out = {k: int(v) for k, v in raw.items()}
    rest = n - sum(out.values())
    for k in sorted(raw, key=lambda k: (-(raw[k] - out[k]), k))[:rest]:
        out[k] += 1
    return out


def _roads(nodes: list[tuple[str, list[tuple[float, float]]]]) -> list[LineString]:
    if len(nodes) < 2:
        return []
    centres = np.array([np.mean(np.asarray(a), axis=0) for _c, a in nodes])
    d = np.sqrt(((centres[:, None, :] - centres[None, :, :]) ** 2).sum(-1))
    pairs = set()
    mst = minimum_spanning_tree(d).tocoo()
    for i, j in zip(mst.row.tolist(), mst.col.tolist(), strict=True):
        pairs.add((min(i, j), max(i, j)))
    for i in range(len(nodes)):
        for j in np.argsort(d[i])[1:3].tolist():
            pairs.add((min(i, j), max(i, j)))
    out = []
    for i, j in sorted(pairs):
        a, b = nodes[i][1], nodes[j][1]
        p, q = min(((p, q) for p in a for q in b), key=lambda pq: math.dist(*pq))
        if p != q:
            out.append(LineString([p, q]))
    return out


def _place_compounds(rng, comm_faces, alloc) -> list[Site]:
    out: list[Site] = []
    for code in sorted(comm_faces):
        n = alloc.get(code, 0)
        faces = list(comm_faces[code])
        if n == 0 or not faces:
            continue
        order = list(range(len(faces)))
        rng.shuffle(order)
        slots = []
        for fi in order:
            k = max(1, min(4, round(faces[fi].area / 32_000)))
            slots.append((fi, k))
        # enough faces for n compounds, each face split among as many as it holds
        chosen, room = [], 0
        for fi, k in slots:
            if room >= n:
                break
            chosen.append((fi, k))
            room += k
        if room < n:  # squeeze: more compounds per face
            chosen = [(fi, k + math.ceil((n - room) / len(chosen)) ) for fi, k in chosen]
        left = n
        for fi, k in chosen:
            take = min(k, left)
            if take <= 0:
                break
            face = faces[fi]
            block = _block(face, 12)
            parts = _split_block(block, k)[:take]
            for part in parts:
                out.append(Site(code, part, _entrance(rng, part, face), fi))
            left -= len(parts)
        while left > 0:  # a face too small to split as planned: its remaining compounds share it
            face = faces[rng.randrange(len(faces))]
            part = _block(face, 20)
            out.append(Site(code, part, _entrance(rng, part, face), -1))
            left -= 1
    return out


class _Deck:
    """Which planned sites have an item: a share `p` of the sites, spread evenly over them from
    a random start (systematic sampling), so the gaps are as many as the shares say wherever the
    random draws fall, and the figures do not swing with a handful of coin tosses."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.acc: dict[tuple, float] = {}

    def __call__(self, key: tuple, p: float) -> bool:
        before = self.acc.setdefault(key, self.rng.random())
        self.acc[key] = before + p
        return math.floor(before + p) > math.floor(before)


def _place_facilities(rng, streets, core_streets, comm_faces, compounds, seat_areas,
                      village_areas) -> list[FacilitySite]:
    out: list[FacilitySite] = []
    has = _Deck(rng)
    face_used: dict[str, set[int]] = {c: {s.face for s in compounds if s.community == c}
                                      for c in comm_faces}

    def at(cat, face, where, anchor=None):
        """A facility on the edge of the face's block: anywhere, or within a few tens of metres
        of `anchor` (0..1 along the edge: the services of one building or one centre)."""
        block = _block(face, 12)
        if anchor is None:
            p = _edge_point(rng, block)
        else:
            t = (anchor + rng.uniform(-30, 30) / max(block.exterior.length, 1.0)) % 1.0
            p = block.exterior.interpolate(t, normalized=True)
        out.append(FacilitySite(cat, p, where))

    def nearest(faces, pt, k=1, exclude=()):
        order = sorted((i for i in range(len(faces)) if i not in exclude),
                       key=lambda i: faces[i].centroid.distance(pt))
        return order[:k]

    def free_face(code, pt, within=None):
        """A face of the community without compounds near pt (a school or park site), else the
        nearest face; None when `within` (m) is given and no free face is that close."""
        faces = comm_faces[code]
        free = [i for i in range(len(faces)) if i not in face_used[code]]
        if within is not None:
            free = [i for i in free if faces[i].centroid.distance(pt) <= within]
            if not free:
                return None
        pool = free or list(range(len(faces)))
        i = min(pool, key=lambda i: faces[i].centroid.distance(pt))
        face_used[code].add(i)
        return faces[i]

    by_comm: dict[str, list[Site]] = {}
    for s in compounds:
        by_comm.setdefault(s.community, []).append(s)

    def cover_sites(faces, points, radius):
        """A planner's siting: faces chosen greedily until every point (a compound entrance)
        is within `radius` (straight line, the standards' 服务半径) of a chosen face."""
        if not faces:
            return []
        fc = np.array([[f.centroid.x, f.centroid.y] for f in faces])
        if not points:
            return [nearest(faces, unary_union(faces).centroid)[0]]
        pc = np.array([[p.x, p.y] for p in points])
        reach = np.sqrt(((fc[:, None, :] - pc[None, :, :]) ** 2).sum(-1)) <= radius
        left = np.ones(len(points), dtype=bool)
        chosen: list[int] = []
        while left.any():
            gain = (reach & left).sum(axis=1) + np.array([rng.random() * 0.5 for _ in faces])
            k = int(np.argmax(gain))
            if (reach[k] & left).sum() == 0:  # a point no face reaches: serve it from its own
                i = int(np.flatnonzero(left)[0])
                k = int(np.argmin(((fc - pc[i]) ** 2).sum(-1)))
                left[i] = False
            chosen.append(k)
            left &= ~reach[k]
        return chosen

    def community_level(code, where, thin=1.0):
        """The 5-minute level: service station sites (the station and, in a large community,
        branches 服务分站) sited to reach every compound; kindergartens and fitness grounds;
        shops along the compounds' edges."""
        faces = comm_faces.get(code) or []
        if not faces:
            return
        sites = cover_sites(faces, [s.entrance for s in by_comm.get(code, [])], RADIUS[5])
        for n, fi in enumerate(sites):
            weight = thin * (1.0 if n == 0 else 0.8)
            anchor = rng.random()
            for cat, p in COMMUNITY_CLUSTER:
                if has((5, cat, where, n == 0), p * weight):
                    at(cat, faces[fi], where, anchor)
            if has((5, "kindergarten", where, n == 0), 0.85 * weight):  # own site or 配套
                at("kindergarten", free_face(code, faces[fi].centroid, within=250)
                   or faces[fi], where)
        for _ in range(len(faces) // 4):  # more fitness grounds, in pocket spaces
            if rng.random() < 0.6 * thin:
                at("fitness_ground", faces[rng.randrange(len(faces))], where)
        for s in by_comm.get(code, []):
            for cat, p in PER_COMPOUND_SHOPS:
                if rng.random() < p * thin:
                    out.append(FacilitySite(cat, _edge_point(rng, s.shape), where))

    # The city: communities, then the 10- and 15-minute sites of each street, sited to reach
    # its compounds; each planned item present with its probability (the gaps).
    for s in core_streets:
        for c in s.resid:
            community_level(c, "core")
        sfaces = [(c, i, f) for c in s.resid for i, f in enumerate(comm_faces[c])]
        geoms = [f for _c, _i, f in sfaces]
        entrances = [x.entrance for c in s.resid for x in by_comm.get(c, [])]
        for level in (10, 15):
            for u, k in enumerate(cover_sites(geoms, entrances, RADIUS[level])):
                code, _i, f0 = sfaces[k]
                centre = f0.centroid
                if level == 10:
                    if has((10, "primary_school"), 0.9):
                        at("primary_school", free_face(code, centre, within=350) or f0, "core")
                    if has((10, "park"), 0.8):
                        at("park", free_face(code, centre, within=350) or f0, "core")
                    anchor = rng.random()
                    for cat, p in UNIT10:
                        if has((10, cat), p):
                            at(cat, f0, "core", anchor)
                    continue
                first = u == 0
                anchor = rng.random()
                if first or has((15, "service_centre"), 0.85):  # the centre or a branch (分中心)
                    at("service_centre", f0, "core", anchor)
                if first:
                    at("police", f0, "core")
                if has((15, "secondary_school"), 0.92):
                    at("secondary_school", free_face(code, centre, within=500) or f0, "core")
                for n, (cat, p) in enumerate(UNIT15):
                    if has((15, cat, n), p):
                        at(cat, f0, "core", anchor)
                near = nearest(geoms, centre, 8)
                for n, (cat, p) in enumerate(UNIT15_SCATTERED):
                    if has((15, cat, "scattered", n), p):
                        at(cat, geoms[rng.choice(near)], "core")
    # Town seats: one of each level, thinner; their communities get the community level.
    plans = {s.code: s for s in streets}
    for code, poly, seat_faces in seat_areas:
        s = plans[code]
        faces = [f for c in s.resid for f in comm_faces.get(c, [])] or seat_faces or [poly]
        centre = poly.centroid
        order = sorted(range(len(faces)), key=lambda i: faces[i].centroid.distance(centre))
        for cat, p in SEAT:
            if has(("seat", cat), p):
                f = faces[order[rng.randrange(min(4, len(order)))]]
                out.append(FacilitySite(cat, _edge_point(rng, _block(f, 8)), "seat"))
        for c in s.resid:
            community_level(c, "seat", thin=0.8)
    for _code, poly, _corners in village_areas:
        for cat, p in VILLAGE:
            if has(("village", cat), p):
                out.append(FacilitySite(cat, _edge_point(rng, _block(poly, 8)), "village"))
    return out


def to_lnglat(fabric: Fabric, lng0: float, lat0: float) -> Fabric:
    """The fabric in WGS-84 longitude/latitude around (lng0, lat0)."""
    m_lng = 111_320.0 * math.cos(math.radians(lat0))
    mat = [1 / m_lng, 0, 0, 1 / M_PER_DEG_LAT, lng0, lat0]

    def t(g):
        return affinity.affine_transform(g, mat)

    return Fabric(
        outline=t(fabric.outline), regions={k: t(v) for k, v in fabric.regions.items()},
        lines=[t(g) for g in fabric.lines],
        street_blocks=[t(g) for g in fabric.street_blocks],
        compounds=[Site(s.community, t(s.shape), t(s.entrance), s.face) for s in fabric.compounds],
        facilities=[FacilitySite(f.category, t(f.point), f.where) for f in fabric.facilities],
        settlements={k: [t(g) for g in v] for k, v in fabric.settlements.items()})


def network(fabric: Fabric) -> MultiLineString:
    return MultiLineString([list(g.coords) for g in fabric.lines])
