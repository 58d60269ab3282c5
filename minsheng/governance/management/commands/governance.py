"""`minsheng governance scores --scheme CODE --period YYYY[QN] [--out FILE.xlsx]`

Computes and prints the property companies' scores and grades of a scheme's period from the
current database (nothing is saved; the page's 计算 button saves scorecards). Refusals in Chinese,
non-zero exit.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from minsheng.governance import exchange, services
from minsheng.governance.models import Scheme


class Command(BaseCommand):
    help = "物业服务考评：计算并打印各物业服务企业的得分和等次。"

    def add_arguments(self, parser):
        parser.add_argument("kind", nargs="?", help="scores（考评得分）")
        parser.add_argument("--scheme", help="考评方案代码")
        parser.add_argument("--period", help="考评期：2025 或 2025Q3")
        parser.add_argument("--out", help="可选：写入 Excel 文件（.xlsx）")

    def handle(self, *args, kind=None, scheme=None, period=None, out=None, **opts):
        if kind != "scores":
            raise CommandError("请指定 scores，例如：minsheng governance scores --scheme "
                               "property-2025 --period 2025Q3")
        if not scheme or not period:
            raise CommandError("缺少参数：--scheme 和 --period")
        found = Scheme.objects.filter(code=scheme).first()
        if found is None:
            raise CommandError(f"没有代码为“{scheme[:40]}”的考评方案")
        path = None
        if out:
            path = Path(out).expanduser()
            if path.suffix.lower() != ".xlsx":
                raise CommandError("--out 应为 .xlsx 文件")
            if not path.parent.is_dir():
                raise CommandError(f"目录不存在：{path.parent}")
        try:
            p = services.parse_period(period)
        except services.PeriodError as exc:
            raise CommandError(str(exc)) from exc
        cards = services.compute(found, p)
        self.stdout.write(f"{found.name} · {p.label}")
        for k, (company, card) in enumerate(cards, start=1):
            total = "—" if card.total is None else f"{card.total:.1f}"
            missing = sum(1 for i in card.items if i.points is None)
            note = f"（{missing}项样本不足）" if missing else ""
            self.stdout.write(f"{k:>3}  {company.name}  {total}  {card.grade or '未评定'}{note}")
        if path is not None:
            path.write_bytes(exchange.scores_xlsx(found, p, cards))
            self.stdout.write(f"已写入：{path}")
