"""`minsheng places template|import|export|osm`: Excel/CSV/GeoJSON exchange of places.

    minsheng places template KIND --format xlsx|csv --out FILE
    minsheng places import KIND FILE --crs wgs84|gcj02|bd09 --user USERNAME
    minsheng places export KIND --format xlsx|csv|geojson --user USERNAME --out FILE [--region CODE]
    minsheng places osm FILE [--district CODE]      (the same as `minsheng osm_sample`)

Imports and exports act as the named user, with that user's scope and rights, and are audited.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from minsheng.lib.tabular import ImportRejected
from minsheng.places import exchange
from minsheng.places.coords import CRS


class Command(BaseCommand):
    help = "小区、服务设施、组织机构的导入导出（Excel/CSV/GeoJSON）。Import and export places."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)

        t = sub.add_parser("template", help="生成空白导入模板")
        t.add_argument("kind", choices=exchange.KINDS)
        t.add_argument("--format", dest="fmt", choices=("xlsx", "csv"), default="xlsx")
        t.add_argument("--out", type=Path, required=True, help="输出文件")

        i = sub.add_parser("import", help="导入表格 (.xlsx/.csv) 或边界 (.geojson)")
        i.add_argument("kind", choices=exchange.KINDS + exchange.GEO_KINDS)
        i.add_argument("file", type=Path)
        i.add_argument("--crs", choices=[c.value for c in CRS], required=True,
                       help="文件中坐标所用的坐标系：wgs84（GPS、天地图）、gcj02（高德、腾讯）、bd09（百度）")
        i.add_argument("--user", required=True, help="以哪个用户的身份和权限导入")

        e = sub.add_parser("export", help="导出（按用户权限范围）")
        e.add_argument("kind", choices=exchange.EXPORT_KINDS)
        e.add_argument("--format", dest="fmt", choices=("xlsx", "csv", "geojson"), default="xlsx")
        e.add_argument("--user", required=True, help="以哪个用户的身份和权限导出")
        e.add_argument("--out", type=Path, required=True, help="输出文件")
        e.add_argument("--region", help="只导出该区划（代码）内的数据")
        e.add_argument("--unmask", action="store_true",
                       help="不打码导出个人信息（需有权限，且会记入审计日志）")

        o = sub.add_parser("osm", help="从 OpenStreetMap 文件生成样例区域（同 osm_sample）")
        o.add_argument("osm_file", type=Path)
        o.add_argument("--district")

    def handle(self, *args, action: str, **opts):
        if action == "template":
            content, _ctype, _name = exchange.template(opts["kind"], opts["fmt"])
            self._write(opts["out"], content)
        elif action == "import":
            self._import(opts)
        elif action == "export":
            try:
                content, _ctype, _name = exchange.export(
                    self._user(opts["user"]), opts["kind"], opts["fmt"],
                    region_prefix=opts.get("region"), unmask=opts.get("unmask", False))
            except (PermissionError, ValueError) as err:
                raise CommandError(str(err)) from err
            self._write(opts["out"], content)
        else:
            kwargs = {"district": opts["district"]} if opts.get("district") else {}
            call_command("osm_sample", str(opts["osm_file"]), stdout=self.stdout,
                         stderr=self.stderr, **kwargs)

    def _import(self, opts) -> None:
        path: Path = opts["file"]
        try:
            content = path.read_bytes()
        except OSError as err:
            raise CommandError(f"无法读取文件 {path}：{err.strerror}") from err
        user = self._user(opts["user"])
        kind = opts["kind"]
        try:
            if kind in exchange.GEO_KINDS:
                result = exchange.import_geojson(user, kind, content, opts["crs"])
            else:
                result = exchange.import_file(user, kind, content, path.name, opts["crs"])
        except ImportRejected as rejected:
            for err in rejected.errors:  # 第N行 第M列（列名）：问题
                self.stderr.write(str(err))
            raise CommandError(
                f"未导入：发现 {len(rejected.errors)} 处问题，数据库没有任何改动。") from rejected
        self.stdout.write(self.style.SUCCESS(
            f"已导入{exchange.KIND_LABELS[kind]}：新增 {result.created} 条，更新 {result.updated} 条。"))

    def _user(self, username: str):
        try:
            return get_user_model().objects.get(username=username, is_active=True)
        except get_user_model().DoesNotExist:
            raise CommandError(f"找不到用户“{username}”（或该用户已停用）") from None

    def _write(self, out: Path, content: bytes) -> None:
        try:
            out.write_bytes(content)
        except OSError as err:
            raise CommandError(f"无法写入 {out}：{err.strerror}") from err
        self.stdout.write(f"已写入 {out}（{len(content)} 字节）")
