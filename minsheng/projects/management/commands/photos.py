"""minsheng photos check: re-encode or quarantine every progress photo stored before uploads
were checked (the photo view does the same for one photo on its first request)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from minsheng.projects.actions import do_reencode_photo
from minsheng.projects.models import ProgressPhoto


class Command(BaseCommand):
    help = ("重新编码或隔离上传检查之前存储的进度照片。"
            "Re-encode (or quarantine) progress photos stored before uploads were checked.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("check", help="逐张检查待检查的进度照片")

    def handle(self, *args, action, **opts):
        pending = ProgressPhoto.objects.filter(state=ProgressPhoto.Check.PENDING).order_by("pk")
        clean = refused = missing = 0
        for ph in pending.iterator():
            if do_reencode_photo(ph):
                clean += 1
            else:
                ph.refresh_from_db()
                if ph.state == ProgressPhoto.Check.QUARANTINED:
                    refused += 1
                else:
                    missing += 1
        self.stdout.write(f"重新编码 {clean} 张，隔离 {refused} 张，文件缺失 {missing} 张。")
