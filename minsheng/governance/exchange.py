"""Files out of the evaluation and into the takeovers, on lib.tabular (cells neutralised against
formulas on the way out; the import all or nothing, with row and column errors)."""

from __future__ import annotations

import io
from typing import Any

from django.db import transaction
from openpyxl import Workbook

from minsheng.accounts.masking import log
from minsheng.governance import takeovers
from minsheng.governance.models import Takeover, TakeoverItem
from minsheng.lib import tabular
from minsheng.lib.tabular import Column, ImportResult, Row, TableImport, append_row, style_header
from minsheng.places.models import Compound, code_prefix

STD = TakeoverItem.Standard


def scores_xlsx(scheme, period, cards) -> bytes:
    """The companies' scores: one row per company, one column per item's points."""
    wb = Workbook()
    ws = wb.active
    ws.title = "考评得分"
    names = [i.name for i in cards[0][1].items] if cards else []
    header = ["名次", "物业服务企业", "得分", "等次", *names]
    append_row(ws, header)
    style_header(ws, [6, 30, 8, 8, *[12] * len(names)])
    for k, (company, card) in enumerate(cards, start=1):
        append_row(ws, [k, company.name, card.total, card.grade or "未评定",
                        *[("样本不足" if i.points is None else i.points) for i in card.items]])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --- a takeover's items from Excel or CSV ------------------------------------------------------

ITEM_COLUMNS = (
    Column("compound", "小区", tabular.text(100), required=True, width=24,
           aliases=("小区名称",), note="本区无物业的小区，与系统中的小区名称一致"),
    Column("standard", "标准项目", tabular.choice(tabular.labels(STD),
                                                  [str(s.label) for s in STD]),
           required=True, width=14, aliases=("项目",), choices=tuple(str(s.label) for s in STD)),
    Column("requirement", "质量和硬件标准", tabular.text(takeovers.REQUIREMENT_MAX),
           required=True, width=40, aliases=("标准", "质量标准")),
    Column("deadline", "完成时限", tabular.date(month_end=True), required=True, width=14,
           aliases=("时限", "截止日期"), note="不早于接管日期"),
)


class TakeoverItemImport(TableImport):
    """The items of one takeover, all or nothing: a row names a compound (the takeover's own or
    one without management in the district), a standard item, its requirement and deadline. A
    compound's item the takeover already has is changed (while the company has not reported it
    done); others are added. The rules are takeovers.check_item's, as on the page."""

    label = "接管标准项目"
    columns = ITEM_COLUMNS

    def __init__(self, takeover: Takeover, *, by) -> None:
        super().__init__()
        self.takeover, self.by = takeover, by

    def resolve(self, rows: list[Row]) -> list[dict[str, Any]]:
        to = self.takeover
        if not takeovers.is_open(to):
            self.errors.append(tabular.file_error("该接管的标准项目已全部检查达标，不能再修改"))
            return []
        by_name: dict[str, list[int]] = {}
        for pk, name in Compound.objects.filter(
                region__code__startswith=code_prefix(to.region_id)).values_list("pk", "name"):
            by_name.setdefault(tabular.norm(name), []).append(pk)
        named = {pk for row in rows if "compound" in row.val
                 for pk in by_name.get(tabular.norm(row.val["compound"]), [])}
        # locked as takeovers.do_add_items does: a compound joins one takeover only
        list(Compound.objects.select_for_update().filter(pk__in=named).order_by("pk")
             .values_list("pk", flat=True))
        eligible = set(takeovers.eligible_compounds(to.region_id, to).filter(
            pk__in=named).values_list("pk", flat=True))
        have = {(i.compound_id, i.standard): i for i in to.items.all()}
        seen: dict[tuple[int, str], int] = {}
        out = []
        for row in rows:
            v = row.val
            if "compound" not in v:
                continue
            found = by_name.get(tabular.norm(v["compound"]), [])
            if not found:
                self.error(row, "compound", "本区没有这个小区，请按系统中的小区名称填写")
                continue
            if len(found) > 1:
                self.error(row, "compound", "本区有多个同名小区，请在页面上添加")
                continue
            compound_id = found[0]
            if compound_id not in eligible:
                self.error(row, "compound", "该小区已有物业管理或已在其他接管中")
                continue
            if "standard" not in v:
                continue
            key = (compound_id, v["standard"])
            if key in seen:
                self.error(row, "standard", f"与第{seen[key]}行重复（同一小区的同一标准项目）")
                continue
            seen[key] = row.num
            old = have.get(key)
            if old is not None and old.state != TakeoverItem.State.OPEN:
                self.error(row, "standard", "企业已报完成或已检查，不能修改")
                continue
            if "requirement" not in v or "deadline" not in v:
                continue
            problems = takeovers.check_item(to, standard=v["standard"],
                                            requirement=v["requirement"], deadline=v["deadline"])
            for key, p in problems:
                self.error(row, key, p)
            if not problems:
                out.append({"compound_id": compound_id, "standard": v["standard"],
                            "requirement": v["requirement"].strip(), "deadline": v["deadline"],
                            "item": old})
        if not rows:
            self.errors.append(tabular.file_error("文件中没有标准项目"))
        return out

    def write(self, pending: list[dict[str, Any]]) -> ImportResult:
        new = [TakeoverItem(takeover=self.takeover, compound_id=p["compound_id"],
                            standard=p["standard"], requirement=p["requirement"],
                            deadline=p["deadline"]) for p in pending if p["item"] is None]
        have = set(self.takeover.items.values_list("compound_id", flat=True))
        joining = Compound.objects.filter(pk__in={i.compound_id for i in new} - have)
        TakeoverItem.objects.bulk_create(new)
        takeovers.take_over(self.takeover, list(joining.order_by("pk")), by=self.by)
        changed = []
        for p in pending:
            if p["item"] is not None:
                p["item"].requirement, p["item"].deadline = p["requirement"], p["deadline"]
                changed.append(p["item"])
        TakeoverItem.objects.bulk_update(changed, ["requirement", "deadline"])
        return ImportResult(created=len(new), updated=len(changed))

    def audit(self, result: ImportResult, pending: Any) -> None:
        log(self.by, "governance.takeover_import", self.takeover,
            region_code=self.takeover.region_id,
            detail=f"+{result.created} ~{result.updated}")


def do_import_takeover_items(takeover: Takeover, file, filename: str, *, by) -> ImportResult:
    """Import into `takeover` (the caller checked the user manages it), locked meanwhile."""
    with transaction.atomic():
        takeover = Takeover.objects.select_for_update().get(pk=takeover.pk)
        return TakeoverItemImport(takeover, by=by).run(file, filename)


def takeover_items_template() -> bytes:
    return tabular.template_xlsx(TakeoverItemImport.label, ITEM_COLUMNS, (
        "第1行为表头（深色为必填列），请勿修改列名；从第2行起每行一个小区的一个标准项目。",
        "该接管已有的同一小区同一标准项目会被修改（企业尚未报完成的），其余新增。",
        "文件中只要有一处问题，整个文件都不会导入，并会列出所有问题。",
    ))
