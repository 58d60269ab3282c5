"""`minsheng restore FILE`: replace the database and the uploaded files with a backup
(web/backup.py); stop `minsheng serve` first."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from minsheng.web.backup import BackupError, restore


class Command(BaseCommand):
    help = "从备份恢复数据库和上传的文件（先停止服务）。Restore the database and media from a backup."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="minsheng backup 写出的归档文件")

    def handle(self, *args, file: Path, **opts):
        try:
            manifest = restore(file)
        except BackupError as e:
            raise CommandError(str(e)) from e
        rows = sum(manifest["tables"].values())
        self.stdout.write(f"已从 {file} 恢复（备份于 {manifest['created']}）：{len(manifest['tables'])} 张表 "
                          f"{rows} 行。如程序比备份新，请运行 minsheng migrate。")
