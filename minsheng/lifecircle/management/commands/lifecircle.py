"""`minsheng lifecircle coverage`: the life circle from files, for analysts, without the database.

    minsheng lifecircle coverage --osm NETWORK.osm[.pbf] --compounds C.csv --facilities F.csv \\
        --out OUT.csv [--crs wgs84|gcj02|bd09]

C.csv: id,name,lon,lat[,population]; F.csv: id,name,category,lon,lat (WGS-84 unless --crs).
OUT.csv: one row per compound and category, compound_id,category,distance_m,facility_id,snap_m
— distance_m is the walking distance along the network between the snapped compound and the
snapped nearest facility (empty when none is within the largest level's distance: the largest
distance_m of the catalogue, minsheng/places/fixtures/facility_categories.json read as a file,
1,000 m as shipped), snap_m the compound's distance to the network. Whether a distance satisfies a
category's own level (300/500/1,000 m) is for the reader; the pages run the same engine call
(`compute_access`).

The CSVs are read by minsheng/lib/tabular.py (UTF-8 with or without BOM, GBK/GB18030; a disguised
or unreadable file refused) and every bad row is a RowError: “第3行 第3列（lon）：应为数字……”.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.core.management.base import BaseCommand, CommandError

from minsheng.lib import tabular
from minsheng.lib.tabular import CellError, ImportRejected, RowError, read_table
from minsheng.lifecircle.engine import (
    DEFAULT_CUTOFF_M,
    DEFAULT_MAX_SNAP_M,
    Access,
    EngineError,
    compute_access,
    graph_from_ways,
    read_walk_ways,
)
from minsheng.places.coords import CRS, CRS_LABELS, to_wgs84

CATALOGUE = Path(__file__).resolve().parents[3] / "places" / "fixtures" / "facility_categories.json"
OUT_COLUMNS = ["compound_id", "category", "distance_m", "facility_id", "snap_m"]
MAX_ERRORS = 20  # row problems listed before "…"
LISTED = 10  # far-off points named one by one

Progress = Callable[[str], object]


class InputError(ValueError):
    """A problem in an input file, with its file name and row numbers (Chinese)."""


@dataclass
class Points:
    ids: list[str]
    names: list[str]
    lon: np.ndarray
    lat: np.ndarray
    extra: list[str]  # facilities: category; compounds: population as text


def catalogue_distances(path: Path = CATALOGUE) -> dict[str, float]:
    """category code → distance_m from the catalogue fixture (a JSON file, no database)."""
    rows = json.loads(path.read_text(encoding="utf-8"))
    return {str(r["pk"]): float(r["fields"]["distance_m"]) for r in rows
            if r.get("model") == "places.facilitycategory" and r["fields"].get("distance_m")}


def _read_rows(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The header (lower case) and the data rows, each with its line number and cells by header."""
    if not path.is_file():
        raise InputError(f"找不到文件：{path}")
    try:
        rows = read_table(path, path.name).rows
    except ImportRejected as e:
        raise _rejected(path, e.errors) from e
    if not rows:
        return [], []
    header = [h.strip().lower() for h in rows[0][1]]
    data = [(n, {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(header) if h})
            for n, cells in rows[1:]]
    return header, data


def _rejected(path: Path, errors: list[RowError]) -> InputError:
    shown = [str(e) for e in errors[:MAX_ERRORS]] + (["……"] if len(errors) > MAX_ERRORS else [])
    return InputError(f"{path.name} 有问题，未计算：\n  " + "\n  ".join(shown))


_LON = tabular.number(-180, 180)
_LAT = tabular.number(-90, 90)
_POPULATION = tabular.number(0, 1e9)


def read_points(path: Path, kind: str, crs: str) -> Points:
    """Read C.csv (kind "compounds") or F.csv (kind "facilities"), converting to WGS-84.
    Raises InputError naming the file and every bad row (up to MAX_ERRORS)."""
    required = ["id", "name", "lon", "lat"] + (["category"] if kind == "facilities" else [])
    header, rows = _read_rows(path)
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(f"{path.name} 缺少列：{', '.join(missing)}（应有 {','.join(required)}"
                         + ("[,population]" if kind == "compounds" else "") + "）")
    if not rows:
        raise InputError(f"{path.name} 没有数据行")
    position = {h: i + 1 for i, h in enumerate(header)}
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    ids, names, lon, lat, extra = [], [], [], [], []
    for line, r in rows:
        def bad(key: str, message: str, line: int = line, r: dict = r) -> None:
            errors.append(RowError(line, key, r.get(key, ""), message, column_no=position[key]))

        before = len(errors)
        rid = r.get("id", "")
        if not rid:
            bad("id", "不能为空")
        elif rid in seen:
            bad("id", f"“{rid}”与第{seen[rid]}行重复")
        point = []
        for key, parse in (("lon", _LON), ("lat", _LAT)):
            try:
                point.append(parse(r.get(key, "")))
            except CellError as e:
                bad(key, str(e))
        if kind == "facilities":
            ext = r.get("category", "")
            if not ext:
                bad("category", "不能为空")
        else:
            ext = r.get("population", "") or "0"
            try:
                _POPULATION(ext)
            except CellError as e:
                bad("population", str(e))
        if len(errors) > before:
            if len(errors) > MAX_ERRORS:
                break
            continue
        seen[rid] = line
        x, y = to_wgs84(point[0], point[1], crs)
        ids.append(rid)
        names.append(r.get("name", ""))
        lon.append(x)
        lat.append(y)
        extra.append(ext)
    if errors:
        raise _rejected(path, errors)
    return Points(ids, names, np.asarray(lon), np.asarray(lat), extra)


def _fmt(x: float) -> str:
    return f"{x:.2f}" if math.isfinite(x) else ""


def write_out(path: Path, compounds: Points, facilities: Points, access: Access) -> int:
    """OUT.csv, one row per compound and category. Returns the number of rows."""
    n = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(OUT_COLUMNS)
        for i, cid in enumerate(compounds.ids):
            snap = _fmt(float(access.compound_snap_m[i]))
            for j, cat in enumerate(access.categories):
                fac = int(access.facility[i, j])
                w.writerow([cid, cat, _fmt(float(access.distance_m[i, j])),
                            facilities.ids[fac] if fac >= 0 else "", snap])
                n += 1
    return n


def _far(points: Points, snap_m: np.ndarray, attached: np.ndarray, label: str) -> str | None:
    far = np.flatnonzero(~attached)
    if len(far) == 0:
        return None
    named = "；".join(f"{points.ids[i]} {points.names[i]}（{snap_m[i]:.0f} 米）" for i in far[:LISTED])
    more = f" 等 {len(far)} 个" if len(far) > LISTED else ""
    return f"注意：{len(far)} 个{label}离路网太远未接入（超过 {{max:.0f}} 米）：{named}{more}"


def run_coverage(osm: Path, compounds_csv: Path, facilities_csv: Path, out: Path, *,
                 crs: str = "wgs84", max_snap_m: float = DEFAULT_MAX_SNAP_M,
                 progress: Progress = print) -> Access:
    """The whole analyst run; raises InputError or EngineError with a Chinese message."""
    if not out.parent.is_dir():
        raise InputError(f"输出文件夹不存在：{out.parent}")
    compounds = read_points(compounds_csv, "compounds", crs)
    facilities = read_points(facilities_csv, "facilities", crs)
    progress(f"已读取 {len(compounds.ids)} 个小区、{len(facilities.ids)} 个设施"
             f"（坐标系 {CRS_LABELS[CRS(crs)]}）")
    progress(f"读取 OpenStreetMap 路网 {osm.name} …")
    ways = read_walk_ways(osm)
    progress(f"构建步行路网（{ways.ways} 段可步行道路）…")
    graph = graph_from_ways(ways)
    progress(f"步行路网总长 {graph.total_length_km():.1f} km")
    progress(graph.components.summary())
    known = catalogue_distances()
    categories = list(dict.fromkeys(facilities.extra))
    # One search radius for all: the largest level's distance (the contract), so a
    # kindergarten 450 m away is reported even though its own level is 300 m.
    largest = max(known.values(), default=DEFAULT_CUTOFF_M)
    cutoff = dict.fromkeys(categories, largest)
    unknown = [c for c in categories if c not in known]
    if unknown:
        progress(f"类别 {'、'.join(unknown)} 不在设施目录中（同样按 {largest:.0f} 米搜索）")
    progress(f"吸附到路网并计算 {len(categories)} 类设施的步行距离 …")
    access = compute_access(graph, compounds.lon, compounds.lat, facilities.lon, facilities.lat,
                            facilities.extra, categories=categories, cutoff_m=cutoff,
                            max_snap_m=max_snap_m)
    for msg in (_far(compounds, access.compound_snap_m, access.compound_attached, "小区"),
                _far(facilities, access.facility_snap_m, access.facility_attached, "设施")):
        if msg:
            progress(msg.format(max=max_snap_m))
    empty = access.empty_categories()
    if empty:
        progress(f"注意：类别 {'、'.join(empty)} 没有接入路网的设施，所有小区该项为空")
    rows = write_out(out, compounds, facilities, access)
    progress(f"已写出 {rows} 行：{out}")
    return access


class Command(BaseCommand):
    help = "15分钟生活圈：从 OSM 路网和 CSV 计算步行距离（不访问数据库）。"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        cov = sub.add_parser("coverage", help="每个小区到每类最近设施的步行距离 → CSV")
        cov.add_argument("--osm", required=True, type=Path, help="OpenStreetMap 路网 .osm / .osm.pbf")
        cov.add_argument("--compounds", required=True, type=Path, help="小区 CSV：id,name,lon,lat[,population]")
        cov.add_argument("--facilities", required=True, type=Path, help="设施 CSV：id,name,category,lon,lat")
        cov.add_argument("--out", required=True, type=Path, help="输出 CSV")
        cov.add_argument("--crs", choices=[c.value for c in CRS], default=CRS.WGS84.value,
                         help="输入坐标系（默认 wgs84；高德 gcj02，百度 bd09）")
        cov.add_argument("--max-snap-m", type=float, default=DEFAULT_MAX_SNAP_M,
                         help=f"离路网超过该距离（米）的点不接入并列出（默认 {DEFAULT_MAX_SNAP_M:.0f}）")

    def handle(self, *args, action: str, osm: Path, compounds: Path, facilities: Path, out: Path,
               crs: str, max_snap_m: float, **opts) -> None:
        try:
            run_coverage(osm, compounds, facilities, out, crs=crs, max_snap_m=max_snap_m,
                         progress=self.stdout.write)
        except (InputError, EngineError) as e:
            raise CommandError(str(e)) from e
