"""`minsheng report annual --region CODE --year YYYY --format docx|pdf|html|xlsx --out FILE`

Writes a region's annual livelihood report from the current database (recomputing the year's
computed indicators first), with the narratives a district admin edited on the report page.
Arguments are checked here rather than by argparse so every refusal is in Chinese; a refusal or
failure exits non-zero and leaves no file (the file is written beside the target and renamed).
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from minsheng.reports import export
from minsheng.reports.services import ReportInputError, annual_report, parse_region, parse_year


class Command(BaseCommand):
    help = "生成年度民生工作报告（docx、pdf、html、xlsx）。Write the annual livelihood report."

    def add_arguments(self, parser):
        parser.add_argument("kind", nargs="?", help="报告类型：annual（年度民生工作报告）")
        parser.add_argument("--region", help="区划代码，如 131002000000（安次区）")
        parser.add_argument("--year", help="年度，如 2025")
        parser.add_argument("--format", dest="fmt", help="docx、pdf、html 或 xlsx")
        parser.add_argument("--out", help="输出文件路径")

    def handle(self, *args, kind=None, region=None, year=None, fmt=None, out=None, **opts):
        try:
            path = self.check_arguments(kind, region, year, fmt, out)
            report = annual_report(parse_region(region), parse_year(year))
            content = export.render(report, fmt)
            export.write(content, path)
        except (ReportInputError, export.ExportError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"已生成：{path}（{report.title}，{fmt.upper()}，"
                          f"{len(content) / 1024:,.0f} KB）")

    @staticmethod
    def check_arguments(kind, region, year, fmt, out) -> Path:
        """Everything that can be refused before the database is read."""
        if kind != "annual":
            raise ReportInputError(
                "请指定报告类型 annual，例如：minsheng report annual --region 131002000000 "
                "--year 2025 --format docx --out 报告.docx")
        missing = [name for name, value in (("--region", region), ("--year", year),
                                            ("--format", fmt), ("--out", out)) if not value]
        if missing:
            raise ReportInputError(f"缺少参数：{'、'.join(missing)}")
        if fmt not in export.FORMATS:
            raise ReportInputError(
                f"不支持的格式“{fmt}”：应为 {'、'.join(export.FORMATS)} 之一")
        path = Path(out).expanduser()
        export.check_writable(path)
        return path.resolve()
