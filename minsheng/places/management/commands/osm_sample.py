from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from minsheng.places.osm import OSMError, build_sample


class Command(BaseCommand):
    help = ("从 OpenStreetMap 文件（.osm / .osm.pbf）生成一个真实地理的样例区域：命名居住区→小区、"
            "设施点→服务设施、步行道路网。Build a sample area from an OpenStreetMap extract.")

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="OpenStreetMap 文件 (.osm / .osm.pbf)")
        parser.add_argument("--district", help="样例所属区/县的区划代码（6位或12位，如 510106）；"
                                               "不给时根据文件中的区县边界和地址判断")

    def handle(self, *args, file: Path, district: str | None = None, **opts):
        t0 = time.monotonic()
        try:
            result = build_sample(file, district_code=district, progress=self.stdout.write)
        except OSMError as e:
            raise CommandError(str(e)) from e
        self.stdout.write(self.style.SUCCESS(result.summary()))
        self.stdout.write(f"用时 {time.monotonic() - t0:.1f} 秒。")
