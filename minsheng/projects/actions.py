"""The only writers of projects (do_*): creating projects and their sub-items, submitting and
reviewing progress, importing budget expenditure. Each is atomic, checks the right itself and is
audited where it changes what a report counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from minsheng.accounts import masking
from minsheng.accounts.models import AuditLog
from minsheng.lib import images
from minsheng.lib.money import format_amount
from minsheng.projects.access import can_manage, can_manage_budget, can_report, can_review
from minsheng.projects.budget import read_budget_file
from minsheng.projects.models import (
    ChecklistItem,
    ExpenditureLine,
    Milestone,
    Plan,
    ProgressPhoto,
    ProgressReport,
    Project,
    SubItem,
)
from minsheng.projects.services import checklist_for, money_of, today

__all__ = ["do_add_sub_item", "do_create_project", "do_import_expenditure", "do_reencode_photo",
           "do_review", "do_submit_progress", "do_tick_checklist"]


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
def do_tick_checklist(user, item: ChecklistItem, *, evidence: str) -> ChecklistItem:
    """Tick one requirement of a renovation standard as met, with its evidence; audited. When
    every item of the sub-item is ticked with evidence, the sub-item is complete from today
    (SubItem.done, done_on): that is what indicator 完成改造的老旧小区 counts."""
    item = ChecklistItem.objects.select_for_update().select_related(
        "sub_item__project__plan").get(pk=item.pk)
    project = item.sub_item.project
    if not (can_report(user, project) or can_manage(user, project.plan)):
        raise PermissionDenied("只有牵头单位或计划管理部门可以勾选改造清单。")
    evidence = (evidence or "").strip()
    if not evidence:
        raise ValidationError({"evidence": "请填写佐证（如验收单编号、照片说明），再勾选达标。"})
    item.done = True
    item.evidence = evidence[:300]
    item.done_by = user
    item.done_at = timezone.now()
    item.save(update_fields=["done", "evidence", "done_by", "done_at"])
    sub = SubItem.objects.select_for_update().get(pk=item.sub_item_id)
    masking.log(user, AuditLog.Action.UPDATE, item, region_code=sub.region_id, fields="done",
                detail=f"改造清单达标：{sub.name} {item.tier} {item.text}；佐证：{item.evidence}")
    open_items = sub.checklist.filter(Q(done=False) | Q(evidence="") & Q(evidence_file=""))
    if not sub.done and sub.checklist.exists() and not open_items.exists():
        sub.done = True
        sub.done_on = today()
        sub.save(update_fields=["done", "done_on"])
        masking.log(user, AuditLog.Action.UPDATE, sub, fields="done,done_on",
                    detail=f"子项完成（改造清单全部达标）：{sub.name}")
        compound = sub.compound
        if compound is not None and compound.renovation_class != sub.renovation_class:
            # the registry follows the work: the compound is now renovated to the standard
            was = compound.renovation_class or "未改造"
            compound.renovation_class = sub.renovation_class
            compound.save(update_fields=["renovation_class"])
            masking.log(user, AuditLog.Action.UPDATE, compound, fields="renovation_class",
                        detail=f"改造完成：{compound.name} {was} → {sub.renovation_class}类")
    return item


@transaction.atomic
def do_submit_progress(user, project: Project, *, as_of: dt.date, percent: Decimal,
                       spent: Decimal, narrative: str, quantity_done: Decimal | None = None,
                       overspend_reason: str = "", correction_reason: str = ""
                       ) -> ProgressReport:
    if not can_report(user, project):
        raise PermissionDenied(_("只有牵头单位可以报送本项目进度。"))
    errors = {}
    last = last_approved(project)
    if last and percent < last.percent:
        errors["percent"] = _("累计完成比例不能低于已审核通过的 %(pct)s%%（%(date)s）。") % {
            "pct": last.percent, "date": last.as_of.isoformat()}
    if last and as_of < last.as_of:
        errors["as_of"] = _("截至日期不能早于已审核通过的报告（%(date)s）。") % {
            "date": last.as_of.isoformat()}
    if last and spent < last.spent and not correction_reason.strip():
        errors["correction_reason"] = _spending_fell(spent, last)
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
        correction_reason=correction_reason.strip(), submitted_by=user)


def _spending_fell(spent: Decimal, last: ProgressReport) -> str:
    return (f"累计支出 {format_amount(spent, '元', show_unit=False)} 元低于已审核通过的报告"
            f"（{last.as_of}，{format_amount(last.spent, '元', show_unit=False)} 元）。累计支出只增"
            f"不减；如是更正以前报错的数字，请写明更正原因（审核时会被标出）。")


def last_approved(project: Project, *, before: ProgressReport | None = None
                  ) -> ProgressReport | None:
    qs = project.reports.filter(state=ProgressReport.State.APPROVED)
    if before is not None:
        qs = qs.exclude(pk=before.pk)
    return qs.order_by("-as_of", "-pk").first()


@transaction.atomic
def do_review(user, report: ProgressReport, *, approve: bool, comment: str = "") -> ProgressReport:
    report = ProgressReport.objects.select_for_update().get(pk=report.pk)
    if not can_review(user, report):
        raise PermissionDenied(_("您无权审核此报告（报送人不能审核自己的报告）。"))
    if report.state != ProgressReport.State.SUBMITTED:
        raise ValidationError(_("该报告已审核，不能重复审核。"))
    if not approve and not comment.strip():
        raise ValidationError({"review_comment": _("退回时请写明原因，便于牵头单位修改。")})
    last = last_approved(report.project, before=report)
    if approve and last and report.spent < last.spent and not report.correction_reason:
        # another report was approved meanwhile: the fall has no written reason
        raise ValidationError({"correction_reason": _spending_fell(report.spent, last)})
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


# a stored photo may predate the upload limit: allow more bytes, the pixel limit still holds
STORED_PHOTO_MAX_BYTES = 32 * 1024 * 1024


def do_reencode_photo(photo: ProgressPhoto) -> bool:
    """Make a progress photo safe to serve; True when it is (now) CLEAN.

    A PENDING photo (stored before uploads were checked) goes through lib.images.clean_image:
    a real image is replaced by its re-encoded JPEG (the old file deleted once committed); anything
    else (PHP, HTML, SVG named .jpg, a pixel bomb) is QUARANTINED: kept for inspection, never
    served, audited. A missing file stays PENDING (a restore may bring it back)."""
    with transaction.atomic():
        ph = ProgressPhoto.objects.select_for_update().filter(pk=photo.pk).first()
        if ph is None or ph.state != ProgressPhoto.Check.PENDING:
            return ph is not None and ph.state == ProgressPhoto.Check.CLEAN
        old = ph.image.name
        try:
            with ph.image.open("rb") as f:
                clean = images.clean_image(f, max_bytes=STORED_PHOTO_MAX_BYTES)
        except FileNotFoundError:
            return False
        except ValidationError as e:
            ph.state = ProgressPhoto.Check.QUARANTINED
            ph.save(update_fields=["state"])
            masking.log(None, "projects.photo_quarantined", ph,
                        region_code=ph.report.project.plan.region_id,
                        detail=f"{old}: {e.messages[0]}")
            return False
        storage = ph.image.storage
        ph.image.save(clean.name(), clean.file(), save=False)
        ph.state = ProgressPhoto.Check.CLEAN
        ph.save(update_fields=["image", "state"])
        transaction.on_commit(lambda: storage.delete(old))
    photo.refresh_from_db()
    return True
