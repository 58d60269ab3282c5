"""Actions on projects (do_*) and the figures pages and exports read (status, overview, share)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from minsheng.accounts import masking
from minsheng.accounts.models import AuditLog
from minsheng.lib.money import format_amount
from minsheng.projects import progress
from minsheng.projects.access import can_manage, can_report, can_review
from minsheng.projects.models import (
    ChecklistItem,
    ExpenditureLine,
    Milestone,
    Plan,
    ProgressReport,
    Project,
    SubItem,
)

STANDARD = Path(__file__).resolve().parent / "data" / "renovation_standard.json"


def today() -> dt.date:
    return timezone.localdate()


def _points(project: Project) -> tuple[list, list]:
    ms = [progress.MilestonePoint(m.planned_date, m.weight) for m in project.milestones.all()]
    if not ms:
        ms = [progress.MilestonePoint(project.end_date, Decimal(100))]
    reps = [progress.ReportPoint(r.as_of, r.percent, r.spent) for r in project.reports.all()
            if r.state == ProgressReport.State.APPROVED]
    return ms, reps


def status_of(project: Project, at: dt.date | None = None) -> progress.Status:
    """Planned vs approved actual progress and money at a date (today by default)."""
    ms, reps = _points(project)
    return progress.status_at(start=project.start_date, end=project.end_date, milestones=ms,
                              reports=reps, at=at or today(),
                              cancelled=project.status == Project.Status.CANCELLED)


def money_of(project: Project) -> dict[str, Decimal]:
    agg = project.funds.aggregate(planned=Sum("planned"), allocated=Sum("allocated"))
    return {"planned": agg["planned"] or Decimal(0), "allocated": agg["allocated"] or Decimal(0)}


def with_status(projects, at: dt.date | None = None) -> list[tuple[Project, progress.Status]]:
    """Projects with their status, milestones and reports prefetched (two queries, not 2n)."""
    qs = projects.prefetch_related("milestones", "reports", "funds")
    return [(p, status_of(p, at)) for p in qs]


def curve_of(project: Project, until: dt.date | None = None) -> list[dict]:
    ms, reps = _points(project)
    return progress.curve(start=project.start_date, end=project.end_date, milestones=ms,
                          reports=reps, until=until or today())


def plan_money_curve(projects, until: dt.date | None = None) -> list[dict]:
    """The whole plan's S-curve of money: planned spending (planned % × planned money) against
    approved cumulative spending, by week."""
    items = []
    start, end = None, None
    for p in projects.prefetch_related("milestones", "reports", "funds"):
        planned_money = sum((f.planned for f in p.funds.all()), Decimal(0))
        items.append((p, planned_money, *_points(p)))
        start = min(start or p.start_date, p.start_date)
        end = max(end or p.end_date, p.end_date)
    if not items:
        return []
    out = []
    d = start
    last = min(end, until or today()) if (until or today()) >= start else start
    while True:
        planned = Decimal(0)
        spent = Decimal(0)
        for p, money, ms, reps in items:
            planned += money * progress.planned_percent(p.start_date, ms, d) / 100
            a = progress.actual_at(reps, d)
            spent += a.spent if a else Decimal(0)
        out.append({"date": d.isoformat(), "planned": float(planned), "spent": float(spent)})
        if d >= last:
            break
        d = min(last, d + dt.timedelta(days=14))
    return out


def checklist_for(renovation_class: str) -> list[tuple[str, str]]:
    std = json.loads(STANDARD.read_text(encoding="utf-8"))
    tiers = std["classes"].get(renovation_class, [])
    return [(t, text) for t in tiers for text in std["tiers"][t]]




@transaction.atomic
def do_create_project(user, plan: Plan, *, milestones: Iterable[tuple[str, dt.date, Decimal]] = (),
                      **fields) -> Project:
    """Create a project of a plan with its milestones (name, planned date, weight); audited."""
    if not can_manage(user, plan):
        raise PermissionDenied("您无权在该计划中建立项目。")
    project = Project.objects.create(plan=plan, **fields)
    Milestone.objects.bulk_create([
        Milestone(project=project, name=name, planned_date=date, weight=weight)
        for name, date, weight in milestones])
    masking.log(user, AuditLog.Action.CREATE, project, detail=f"新建项目：{project.name}")
    return project


@transaction.atomic
def do_add_sub_item(project: Project, **fields) -> SubItem:
    item = SubItem.objects.create(project=project, **fields)
    if item.renovation_class:
        ChecklistItem.objects.bulk_create(
            [ChecklistItem(sub_item=item, tier=t, text=x) for t, x in
             checklist_for(item.renovation_class)])
    return item


@transaction.atomic
def do_submit_progress(user, project: Project, *, as_of: dt.date, percent: Decimal,
                       spent: Decimal, narrative: str, quantity_done: Decimal | None = None,
                       overspend_reason: str = "") -> ProgressReport:
    if not can_report(user, project):
        raise PermissionDenied("只有牵头单位可以报送本项目进度。")
    errors = {}
    last = project.reports.filter(state=ProgressReport.State.APPROVED).order_by("-as_of").first()
    if last and percent < last.percent:
        errors["percent"] = f"累计完成比例不能低于已审核通过的 {last.percent}%（{last.as_of}）。"
    if last and as_of < last.as_of:
        errors["as_of"] = f"截至日期不能早于已审核通过的报告（{last.as_of}）。"
    if as_of > today():
        errors["as_of"] = "截至日期不能晚于今天。"
    allocated = money_of(project)["allocated"]
    if spent > allocated and not overspend_reason.strip():
        errors["overspend_reason"] = (
            f"累计支出 {format_amount(spent, '元', show_unit=False)} 元超过已下达资金 "
            f"{format_amount(allocated, '元', show_unit=False)} 元，请说明原因（审核时会被标出）。")
    if errors:
        raise ValidationError(errors)
    return ProgressReport.objects.create(
        project=project, as_of=as_of, percent=percent, spent=spent, narrative=narrative,
        quantity_done=quantity_done, overspend_reason=overspend_reason.strip(),
        submitted_by=user)


@transaction.atomic
def do_review(user, report: ProgressReport, *, approve: bool, comment: str = "") -> ProgressReport:
    report = ProgressReport.objects.select_for_update().get(pk=report.pk)
    if not can_review(user, report):
        raise PermissionDenied("您无权审核此报告（报送人不能审核自己的报告）。")
    if report.state != ProgressReport.State.SUBMITTED:
        raise ValidationError("该报告已审核，不能重复审核。")
    if not approve and not comment.strip():
        raise ValidationError({"review_comment": "退回时请写明原因，便于牵头单位修改。"})
    report.state = ProgressReport.State.APPROVED if approve else ProgressReport.State.RETURNED
    report.reviewed_by = user
    report.reviewed_at = timezone.now()
    report.review_comment = comment.strip()
    report.save()
    return report


def share_for(region_code: str, year: int):
    """Livelihood share of a region-year from stored expenditure lines (the same function the
    `minsheng budget share` command uses on a file)."""
    from minsheng.projects.budget import BudgetLine, livelihood_share

    lines = [BudgetLine(0, ln.code, ln.name, ln.amount) for ln in
             ExpenditureLine.objects.filter(region_id=region_code, year=year)]
    return livelihood_share(lines) if lines else None


@transaction.atomic
def do_import_expenditure(user, region_code: str, year: int, content: bytes, filename: str) -> int:
    """Replace a region-year's expenditure lines from a budget file (all-or-nothing)."""
    from minsheng.projects.access import can_manage_budget
    from minsheng.projects.budget import read_budget_file

    if not can_manage_budget(user, region_code):
        raise PermissionDenied("您无权导入该区划的预算支出。")
    lines = read_budget_file(content, filename)  # raises BudgetFileError with row numbers
    ExpenditureLine.objects.filter(region_id=region_code, year=year).delete()
    ExpenditureLine.objects.bulk_create([
        ExpenditureLine(region_id=region_code, year=year, code=ln.code, name=ln.name,
                        amount=ln.amount) for ln in lines])
    return len(lines)


def plans_overview(plan: Plan, at: dt.date | None = None) -> dict:
    rows = with_status(plan.projects.all(), at)
    counts: dict[str, int] = {}
    for _p, s in rows:
        counts[s.flag] = counts.get(s.flag, 0) + 1
    return {"rows": rows, "counts": counts}
