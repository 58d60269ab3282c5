"""The only writers of projects (do_*): creating projects and their sub-items, submitting and
reviewing progress, importing budget expenditure. Each is atomic, checks the right itself and is
audited where it changes what a report counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from minsheng.accounts import masking
from minsheng.accounts.models import AuditLog
from minsheng.lib.money import format_amount
from minsheng.projects.access import can_manage, can_manage_budget, can_report, can_review
from minsheng.projects.budget import read_budget_file
from minsheng.projects.models import (
    ChecklistItem,
    ExpenditureLine,
    Milestone,
    Plan,
    ProgressReport,
    Project,
    SubItem,
)
from minsheng.projects.services import checklist_for, money_of, today

__all__ = ["do_add_sub_item", "do_create_project", "do_import_expenditure", "do_review",
           "do_submit_progress"]


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
        raise PermissionDenied(_("只有牵头单位可以报送本项目进度。"))
    errors = {}
    last = project.reports.filter(state=ProgressReport.State.APPROVED).order_by("-as_of").first()
    if last and percent < last.percent:
        errors["percent"] = _("累计完成比例不能低于已审核通过的 %(pct)s%%（%(date)s）。") % {
            "pct": last.percent, "date": last.as_of.isoformat()}
    if last and as_of < last.as_of:
        errors["as_of"] = _("截至日期不能早于已审核通过的报告（%(date)s）。") % {
            "date": last.as_of.isoformat()}
    if as_of > today():
        errors["as_of"] = _("截至日期不能晚于今天。")
    allocated = money_of(project)["allocated"]
    if spent > allocated and not overspend_reason.strip():
        errors["overspend_reason"] = _(
            "累计支出 %(spent)s 元超过已下达资金 %(allocated)s 元，请说明原因（审核时会被标出）。") % {
            "spent": format_amount(spent, "元", show_unit=False),
            "allocated": format_amount(allocated, "元", show_unit=False)}
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
        raise PermissionDenied(_("您无权审核此报告（报送人不能审核自己的报告）。"))
    if report.state != ProgressReport.State.SUBMITTED:
        raise ValidationError(_("该报告已审核，不能重复审核。"))
    if not approve and not comment.strip():
        raise ValidationError({"review_comment": _("退回时请写明原因，便于牵头单位修改。")})
    report.state = ProgressReport.State.APPROVED if approve else ProgressReport.State.RETURNED
    report.reviewed_by = user
    report.reviewed_at = timezone.now()
    report.review_comment = comment.strip()
    report.save()
    return report


@transaction.atomic
def do_import_expenditure(user, region_code: str, year: int, content: bytes, filename: str) -> int:
    """Replace a region-year's expenditure lines from a budget file (all-or-nothing)."""
    if not can_manage_budget(user, region_code):
        raise PermissionDenied("您无权导入该区划的预算支出。")
    lines = read_budget_file(content, filename)  # raises BudgetFileError with row numbers
    ExpenditureLine.objects.filter(region_id=region_code, year=year).delete()
    ExpenditureLine.objects.bulk_create([
        ExpenditureLine(region_id=region_code, year=year, code=ln.code, name=ln.name,
                        amount=ln.amount) for ln in lines])
    return len(lines)
