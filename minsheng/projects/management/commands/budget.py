from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from minsheng.projects.budget import BudgetFileError, load_livelihood_classes, share_of_file


class Command(BaseCommand):
    help = "民生支出及占比（不访问数据库）。Livelihood spending and its share from a budget file."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        share = sub.add_parser("share", help="按功能分类科目计算民生支出占比")
        share.add_argument("file", type=Path, help="一般公共预算支出表 (.xlsx / .csv)：科目编码、科目名称、金额（元）")
        share.add_argument("--classes", type=Path, help="民生科目配置 JSON（默认随软件附带）")

    def handle(self, *args, action, file, classes=None, **opts):
        for path in (file, classes):
            if path is not None and not path.is_file():  # missing, or a directory
                raise CommandError(f"找不到文件，或它不是普通文件：{path}")
        try:
            result = share_of_file(file, load_livelihood_classes(classes) if classes else None)
        except BudgetFileError as e:
            raise CommandError("文件有问题，未计算：\n" + "\n".join(
                f"  第{r}行：{m}" if r else f"  {m}" for r, m in e.errors)) from e
        except ValueError as e:
            raise CommandError(str(e)) from e
        for line in result.lines():
            self.stdout.write(line)
