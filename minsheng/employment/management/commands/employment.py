"""`minsheng employment template|import`: the monthly real-name registers.

    minsheng employment template FILE.xlsx
    minsheng employment import FILE.xlsx --region CODE

The import acts as the operator of the installation (no user: whoever runs the command on the
server), is all-or-nothing and audited; problems are listed as every importer lists them."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from minsheng.employment import exchange
from minsheng.lib.tabular import ImportRejected


class Command(BaseCommand):
    help = "实名制就业失业登记：生成模板、导入月度登记表。Employment registers: template and import."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        t = sub.add_parser("template", help="生成空白登记表模板 (.xlsx)")
        t.add_argument("file", type=Path)
        i = sub.add_parser("import", help="导入月度登记表（全部正确才导入）")
        i.add_argument("file", type=Path)
        i.add_argument("--region", required=True, help="登记所属区划代码（区、街道或社区，12位）")

    def handle(self, *args, action: str, file: Path, **opts):
        if action == "template":
            try:
                file.write_bytes(exchange.template())
            except OSError as err:
                raise CommandError(f"无法写入文件 {file}：{err.strerror}") from err
            self.stdout.write(f"已生成模板：{file}")
            return
        try:
            content = file.read_bytes()
        except OSError as err:
            raise CommandError(f"无法读取文件 {file}：{err.strerror}") from err
        try:
            result = exchange.import_registers(None, opts["region"], content, file.name)
        except ImportRejected as e:
            raise CommandError(str(e) + "\n" + "\n".join(f"  {x}" for x in e.errors)) from e
        except ValueError as e:
            raise CommandError(str(e)) from e
        self.stdout.write(f"导入成功：新增 {result.created} 条登记。")
