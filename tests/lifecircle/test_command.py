"""`minsheng lifecircle coverage`: files in, OUT.csv out, no database (pytest-django would raise
on any database access: these tests do not ask for it)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from minsheng.lifecircle.engine.geo import edge_length_m
from minsheng.places.coords import from_wgs84

from .osmfile import grid, write_osm

BLOCK_EW = float(edge_length_m(104.0, 30.0, 104.001, 30.0))  # 96.3 m
BLOCK_NS = float(edge_length_m(104.0, 30.0, 104.0, 30.001))  # 111.2 m


def _csv(path: Path, header: str, rows: list[str], encoding: str = "utf-8") -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding=encoding)
    return path


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    nodes, ways = grid(4)  # 104.000–104.003 E, 30.000–30.003 N
    return {
        "osm": write_osm(tmp_path / "net.osm", nodes, ways),
        "c": _csv(tmp_path / "c.csv", "id,name,lon,lat,population", [
            "c1,一号院,104.0,30.0,1200",
            "c2,二号院,104.003,30.003,",
            "c3,远郊小区,104.1,30.0,50",
        ]),
        "f": _csv(tmp_path / "f.csv", "id,name,category,lon,lat", [
            "k1,阳光幼儿园,kindergarten,104.002,30.0",
            "t1,老茶馆,teahouse,104.001,30.002",
            "t2,山里茶馆,teahouse,104.0015,30.05",
        ]),
        "out": tmp_path / "out.csv",
    }


def _run(files: dict[str, Path], *extra: str) -> None:
    call_command("lifecircle", "coverage", "--osm", str(files["osm"]), "--compounds",
                 str(files["c"]), "--facilities", str(files["f"]), "--out", str(files["out"]),
                 *extra)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_it_writes_one_row_per_compound_and_category(files: dict[str, Path], capsys) -> None:
    _run(files)
    rows = _rows(files["out"])
    assert list(rows[0]) == ["compound_id", "category", "distance_m", "facility_id", "snap_m"]
    got = {(r["compound_id"], r["category"]): r for r in rows}
    assert len(rows) == 6
    assert got["c1", "kindergarten"]["distance_m"] == f"{2 * BLOCK_EW:.2f}"
    assert got["c1", "kindergarten"]["facility_id"] == "k1"
    assert got["c1", "kindergarten"]["snap_m"] == "0.00"
    # teahouse is not in the catalogue: searched to 1,000 m
    assert got["c1", "teahouse"]["distance_m"] == f"{BLOCK_EW + 2 * BLOCK_NS:.2f}"
    assert got["c1", "teahouse"]["facility_id"] == "t1"
    # kindergarten: its level is 300 m, but the search runs to the largest level (1,000 m), so
    # c2's kindergarten 430 m away is reported and the reader sees it misses the 5-minute level
    assert 300 < float(got["c2", "kindergarten"]["distance_m"]) <= 1000
    assert got["c2", "kindergarten"]["facility_id"] == "k1"
    # c3 is ~9.6 km off the network: reported, not attached
    assert got["c3", "teahouse"]["distance_m"] == ""
    assert float(got["c3", "teahouse"]["snap_m"]) > 9000
    out = capsys.readouterr().out
    assert "已读取 3 个小区、3 个设施" in out
    assert "teahouse 不在设施目录中（同样按 1000 米搜索）" in out
    assert "1 个小区离路网太远" in out and "c3 远郊小区" in out
    assert "1 个设施离路网太远" in out and "t2 山里茶馆" in out
    assert "已写出 6 行" in out


def test_gcj02_input_is_converted(files: dict[str, Path], tmp_path: Path) -> None:
    _run(files)
    wgs = {(r["compound_id"], r["category"]): r["distance_m"] for r in _rows(files["out"])}

    def shift(src: Path, dst: Path, lon_col: int) -> Path:
        lines = src.read_text(encoding="utf-8").splitlines()
        out = [lines[0]]
        for line in lines[1:]:
            cells = line.split(",")
            x, y = from_wgs84(float(cells[lon_col]), float(cells[lon_col + 1]), "gcj02")
            cells[lon_col:lon_col + 2] = [f"{x:.9f}", f"{y:.9f}"]
            out.append(",".join(cells))
        dst.write_text("\n".join(out) + "\n", encoding="utf-8")
        return dst

    files = {**files, "c": shift(files["c"], tmp_path / "cg.csv", 2),
             "f": shift(files["f"], tmp_path / "fg.csv", 3), "out": tmp_path / "o2.csv"}
    _run(files, "--crs", "gcj02")
    gcj = {(r["compound_id"], r["category"]): r["distance_m"] for r in _rows(files["out"])}
    assert gcj.keys() == wgs.keys()
    for k, v in wgs.items():
        assert (v == gcj[k] == "") or abs(float(v) - float(gcj[k])) < 0.02


def test_gbk_files_are_read(files: dict[str, Path]) -> None:
    text = files["c"].read_text(encoding="utf-8")
    files["c"].write_bytes(text.encode("gbk"))
    _run(files)
    assert len(_rows(files["out"])) == 6


@pytest.mark.parametrize(("which", "content", "message"), [
    ("c", "id,name,lon\nc1,a,104.0\n", r"c\.csv 缺少列：lat"),
    ("c", "id,name,lon,lat\n", r"c\.csv 没有数据行"),
    ("c", "id,name,lon,lat\nc1,a,104.0,30.0\nc2,b,东经104,30.0\n", r"(?s)c\.csv 有问题.*第3行 第3列（lon）：应为数字，收到“东经104”"),
    ("c", "id,name,lon,lat\nc1,a,104.0,30.0\nc1,b,104.0,30.0\n", r"第3行 第1列（id）：“c1”与第2行重复"),
    ("c", "id,name,lon,lat,population\nc1,a,104.0,30.0,-5\n", r"第2行 第5列（population）：应在 0～1,000,000,000 之间，收到“-5”"),
    ("c", "id,name,lon,lat\nc1,a,204.0,30.0\n", r"第2行 第3列（lon）：应在 -180～180 之间，收到“204.0”"),
    ("f", "id,name,category,lon,lat\nf1,a,,104.0,30.0\n", r"(?s)f\.csv 有问题.*第2行 第3列（category）：不能为空"),
    ("f", "id,name,lon,lat\nf1,a,104.0,30.0\n", r"f\.csv 缺少列：category"),
])
def test_bad_rows_are_named_by_file_and_row(files: dict[str, Path], which: str, content: str,
                                            message: str) -> None:
    files[which].write_text(content, encoding="utf-8")
    with pytest.raises(CommandError, match=message):
        _run(files)
    assert not files["out"].exists()


def test_bad_network_and_paths_are_clear(files: dict[str, Path], tmp_path: Path) -> None:
    files["osm"] = write_osm(tmp_path / "m.osm", {1: (104.0, 30.0), 2: (104.01, 30.0)},
                             [(1, [1, 2], {"highway": "motorway"})])
    with pytest.raises(CommandError, match="没有可步行的道路"):
        _run(files)
    files["osm"] = tmp_path / "none.osm"
    with pytest.raises(CommandError, match="找不到 OSM 文件"):
        _run(files)
    files["out"] = tmp_path / "no" / "such" / "dir" / "o.csv"
    with pytest.raises(CommandError, match="输出文件夹不存在"):
        _run(files)


@pytest.mark.shared_data
def test_it_runs_on_chengdu_with_real_places(chengdu_path: Path, chengdu_places, tmp_path: Path,
                                              capsys) -> None:
    ex = chengdu_places
    c = _csv(tmp_path / "c.csv", "id,name,lon,lat,population",
             [f"{p.osm_id},{p.name.replace(',', ' ')},{p.lng},{p.lat},100" for p in ex.residential])
    f = _csv(tmp_path / "f.csv", "id,name,category,lon,lat",
             [f"{p.osm_id},{p.name.replace(',', ' ')},{p.category},{p.lng},{p.lat}" for p in ex.pois])
    out = tmp_path / "out.csv"
    _run({"osm": chengdu_path, "c": c, "f": f, "out": out})
    rows = _rows(out)
    cats = {p.category for p in ex.pois}
    assert len(rows) == 178 * len(cats)
    d = {r["category"]: [] for r in rows}
    for r in rows:
        if r["distance_m"]:
            d[r["category"]].append(float(r["distance_m"]))
    assert max(d["kindergarten"]) <= 1000 and max(d["secondary_school"]) <= 1000
    assert any(x > 300 for x in d["kindergarten"])  # reported beyond its own 300 m level
    assert len(d["secondary_school"]) > 50
    assert np.isfinite([float(r["snap_m"]) for r in rows]).all()
    assert "步行路网：8516 个节点" in capsys.readouterr().out
