"""`minsheng backup FILE`: the database and the uploaded files in one archive (web/backup.py)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from minsheng.web.backup import BackupError, backup


class Command(BaseCommand):
    help = "备份数据库和上传的文件到一个归档文件 (.tar.gz)。Back up the database and media."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="归档文件，例如 minsheng-2026-12-03.tar.gz")

    def handle(self, *args, file: Path, **opts):
        try:
            manifest = backup(file)
        except BackupError as e:
            raise CommandError(str(e)) from e
        rows = sum(manifest["tables"].values())
        media = sum(name.startswith("media/") for name in manifest["files"])
        self.stdout.write(f"已备份到 {file}：{len(manifest['tables'])} 张表 {rows} 行，"
                          f"{media} 个上传文件。")
