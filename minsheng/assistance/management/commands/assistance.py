"""`minsheng assistance template|assess|standards` (the contract of issue 17).

    minsheng assistance template FILE.xlsx
    minsheng assistance assess FILE.xlsx --region CODE --year YYYY [--out OUT.csv]
    minsheng assistance standards [--region CODE]

`assess` changes no record: it reads the households of a template file and prints each one's
per-capita income and its eligibility per programme under the region's standards, with the rule
that decided; OUT.csv has one row per household × programme.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from minsheng.assistance import eligibility as el
from minsheng.assistance.exchange import read_for_assessment, template_bytes
from minsheng.assistance.models import Procedure, Standard
from minsheng.assistance.standards import MissingStandard, standards_for
from minsheng.lib.tabular import ImportRejected, csv_bytes

CSV_HEADER = ("户编号", "人均月收入（元）", "项目", "结论", "依据")


class Command(BaseCommand):
    help = "社会救助：家庭户导入模板、按地区标准测算资格（不改动记录）、救助标准清单。"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        t = sub.add_parser("template", help="写出家庭户导入模板 (.xlsx)")
        t.add_argument("file", type=Path)
        a = sub.add_parser("assess", help="按地区标准测算文件中各户的人均收入和资格（不改动记录）")
        a.add_argument("file", type=Path)
        a.add_argument("--region", required=True, help="区划代码（6位或12位）")
        a.add_argument("--year", required=True, type=int)
        a.add_argument("--out", type=Path, help="写出 CSV：每户每个项目一行")
        s = sub.add_parser("standards", help="列出救助标准")
        s.add_argument("--region", default="", help="只列该区划（代码前缀）")

    def handle(self, *args, action, **opts):
        getattr(self, f"do_{action}")(**opts)

    def do_template(self, file: Path, **_):
        if file.suffix.lower() != ".xlsx":
            raise CommandError("模板文件名应以 .xlsx 结尾")
        file.write_bytes(template_bytes())
        self.stdout.write(f"已写出家庭户导入模板：{file}")

    def do_assess(self, file: Path, region: str, year: int, out: Path | None = None, **_):
        if not file.exists():
            raise CommandError(f"找不到文件：{file}")
        if not region.isdigit() or len(region) not in (6, 9, 12):
            raise CommandError(f"区划代码应为6、9或12位数字，收到“{region}”")
        today = timezone.localdate()
        if not 2000 <= year <= today.year:
            raise CommandError(f"年份应在 2000～{today.year} 之间，收到 {year}")
        on = dt.date(year, 12, 31) if year < today.year else today
        try:
            households = read_for_assessment(file, file.name, on)
        except ImportRejected as e:
            raise CommandError("文件有问题，未测算：\n" + "\n".join(f"  {x}" for x in e.errors)
                               ) from e
        try:
            std = {area: standards_for(region, area, on) for area in
                   sorted({h.area for h in households})}
        except MissingStandard as e:
            raise CommandError(str(e)) from e
        rows = []
        for h in households:
            s = std[h.area]
            pc = el.per_capita_income(h.household)
            area = "城镇" if h.area == "urban" else "农村"
            note = "" if s.verified else "，标准未核实"
            self.stdout.write(f"{h.number}  人均月收入 {pc} 元（{area}低保标准 {s.dibao} 元{note}）")
            for r in el.assess(h.household, s):
                self.stdout.write(f"  {r.programme}：{r.verdict} — {r.rule}（{r.source}）")
                rows.append((h.number, f"{pc}", r.programme, r.verdict, f"{r.rule}；{r.source}"))
        if out is not None:
            out.write_bytes(csv_bytes(CSV_HEADER, rows))
            self.stdout.write(f"已写出 {len(rows)} 行：{out}")

    def do_standards(self, region: str = "", **_):
        qs = Standard.objects.select_related("region").order_by("region_id", "programme", "area",
                                                                "valid_from")
        if region:
            if not region.isascii() or not region.isdigit() or len(region) > 12:
                raise CommandError(f"区划代码应为数字（至多12位），收到“{region[:40]}”")
            qs = qs.filter(region__code__startswith=region.rstrip("0") or region)
        if not qs.exists():
            self.stdout.write("没有救助标准。")
            return
        for s in qs:
            value = f"{s.amount} 元" if s.amount is not None else f"{s.multiplier} 倍"
            self.stdout.write(
                f"{s.region_id} {s.region.name}  {s.get_programme_display()}  "
                f"{s.get_area_display()}  自 {s.valid_from}  {value}  "
                f"{'已核实' if s.verified else '未核实'}  依据：{s.source}")
        # the dated rule for a new benefit's first month (Procedure.first_month), where set
        rules = Procedure.objects.select_related("region").order_by("region_id", "valid_from")
        if region:
            rules = rules.filter(region__code__startswith=region.rstrip("0") or region)
        for p in rules:
            self.stdout.write(
                f"{p.region_id} {p.region.name}  起发月份  自 {p.valid_from}  "
                f"{p.get_first_month_display()}  {'已核实' if p.verified else '未核实'}  "
                f"依据：{p.source}")
