"""Livelihood projects and money: annual plans, projects, funds, milestones, approved progress,
sub-items tied to places (with the renovation checklist), and budget expenditure by class.

Amounts are stored in 元 as Decimal(16, 2). Lag is never stored: progress.py computes it from
milestones and approved reports at any date.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from minsheng.lib.images import validate_image
from minsheng.places.models import Compound, Facility, Organisation, Region

MONEY = {"max_digits": 16, "decimal_places": 2}


class Area(models.TextChoices):
    EDUCATION = "education", _("教育")
    HEALTH = "health", _("医疗卫生")
    ELDERLY = "elderly", _("养老服务")
    EMPLOYMENT = "employment", _("就业创业")
    SOCIAL_SECURITY = "social_security", _("社会保障")
    HOUSING = "housing", _("住房保障与老旧小区")
    ENVIRONMENT = "environment", _("生态环境")
    URBAN = "urban", _("城乡建设")
    TRANSPORT = "transport", _("交通出行")
    RURAL = "rural", _("乡村振兴与防贫")
    CULTURE = "culture", _("文化体育")
    SAFETY = "safety", _("公共安全")
    OTHER = "other", _("其他")


# The department function that usually leads each area (by Organisation.function, never by name);
# used where a project is created without a named lead, e.g. from a life-circle siting proposal.
AREA_LEAD_FUNCTION = {
    Area.EDUCATION: "education", Area.HEALTH: "health", Area.ELDERLY: "civil_affairs",
    Area.EMPLOYMENT: "human_resources", Area.SOCIAL_SECURITY: "civil_affairs",
    Area.HOUSING: "housing", Area.ENVIRONMENT: "environment", Area.URBAN: "housing",
    Area.TRANSPORT: "housing", Area.RURAL: "agriculture", Area.CULTURE: "education",
    Area.SAFETY: "emergency",
}


class FundSource(models.TextChoices):
    CENTRAL = "central", _("中央")
    PROVINCIAL = "provincial", _("省级")
    MUNICIPAL = "municipal", _("市级")
    DISTRICT = "district", _("区级")
    OTHER = "other", _("其他（社会资金等）")


class Plan(models.Model):
    """A year's list: 民心工程 (安次) or 民生实事 (平城)."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, verbose_name=_("区划"))
    year = models.PositiveSmallIntegerField(
        _("年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    name = models.CharField(_("名称"), max_length=100)
    published = models.BooleanField(_("已向社会公开"), default=False)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        ordering = ["-year", "region_id"]
        verbose_name = _("年度民生计划")
        verbose_name_plural = _("年度民生计划")
        constraints = [models.UniqueConstraint(fields=["region", "year"], name="plan_one_per_year")]

    def __str__(self) -> str:
        return self.name


class Project(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("实施中")
        CANCELLED = "cancelled", _("已终止")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="projects",
                             verbose_name=_("年度计划"))
    number = models.CharField(_("序号"), max_length=20, blank=True)
    name = models.CharField(_("项目名称"), max_length=200)
    area = models.CharField(_("领域"), max_length=30, choices=Area.choices, db_index=True)
    lead_department = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="led_projects",
        verbose_name=_("牵头单位"))
    responsible_person = models.CharField(_("责任人"), max_length=50, blank=True)
    target = models.CharField(_("目标任务"), max_length=300,
                              help_text=_("量化目标，如“改造老旧小区115个”"))
    target_quantity = models.DecimalField(_("目标数量"), max_digits=14, decimal_places=2,
                                          null=True, blank=True)
    target_unit = models.CharField(_("单位"), max_length=20, blank=True)
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("完成时限"))
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices,
                              default=Status.ACTIVE)
    is_public = models.BooleanField(_("在公开页展示"), default=True)
    public_summary = models.TextField(_("公开说明"), blank=True)
    description = models.TextField(_("内部说明"), blank=True)
    generated = models.BooleanField(_("演示生成"), default=False)

    class Meta:
        ordering = ["plan", "number", "id"]
        verbose_name = _("民生项目")
        verbose_name_plural = _("民生项目")
        constraints = [
            models.UniqueConstraint(fields=["plan", "name"], name="project_unique_name"),
            models.CheckConstraint(condition=models.Q(end_date__gte=models.F("start_date")),
                                   name="project_dates_ordered"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def region_id(self) -> str:
        """The project belongs to its plan's region (for audit and scope checks)."""
        return self.plan.region_id


class FundLine(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="funds")
    source = models.CharField(_("资金来源"), max_length=20, choices=FundSource.choices)
    planned = models.DecimalField(_("计划投资（元）"), **MONEY,
                                  validators=[MinValueValidator(Decimal(0))])
    allocated = models.DecimalField(_("已下达（元）"), **MONEY, default=Decimal(0),
                                    validators=[MinValueValidator(Decimal(0))])

    class Meta:
        verbose_name = _("资金")
        verbose_name_plural = _("资金")
        constraints = [models.UniqueConstraint(fields=["project", "source"], name="fund_once")]


class Milestone(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    name = models.CharField(_("节点"), max_length=100)
    planned_date = models.DateField(_("计划完成日期"))
    weight = models.DecimalField(_("权重（%）"), max_digits=5, decimal_places=2,
                                 validators=[MinValueValidator(Decimal("0.01")),
                                             MaxValueValidator(Decimal(100))])

    class Meta:
        ordering = ["planned_date", "id"]
        verbose_name = _("进度节点")
        verbose_name_plural = _("进度节点")


class SubItem(models.Model):
    """A part of a project at a place: a compound renovated, a school built, a village's sewage."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="sub_items")
    name = models.CharField(_("子项"), max_length=200)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, verbose_name=_("所在区划"))
    compound = models.ForeignKey(Compound, null=True, blank=True, on_delete=models.SET_NULL,
                                 verbose_name=_("小区"))
    facility = models.ForeignKey(Facility, null=True, blank=True, on_delete=models.SET_NULL,
                                 verbose_name=_("设施"))
    quantity = models.DecimalField(_("数量"), max_digits=14, decimal_places=2, default=1)
    renovation_class = models.CharField(
        _("改造标准"), max_length=1, blank=True, choices=Compound.Renovation.choices)
    done = models.BooleanField(_("已完成"), default=False)
    # The day the last checklist item was ticked with its evidence (actions.do_tick_checklist):
    # the renovation counts in the period that holds this date (indicator renovations_done).
    done_on = models.DateField(_("完成日期"), null=True, blank=True)

    class Meta:
        ordering = ["project", "region_id", "name"]
        verbose_name = _("子项")
        verbose_name_plural = _("子项")

    def __str__(self) -> str:
        return self.name


class ChecklistItem(models.Model):
    """One requirement of the renovation standard (A/B/C), ticked off with evidence."""

    sub_item = models.ForeignKey(SubItem, on_delete=models.CASCADE, related_name="checklist")
    tier = models.CharField(_("类别"), max_length=10)
    text = models.CharField(_("要求"), max_length=200)
    done = models.BooleanField(_("已达标"), default=False)
    evidence = models.CharField(_("佐证"), max_length=300, blank=True)
    evidence_file = models.FileField(_("佐证材料"), upload_to="evidence/%Y/", blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                on_delete=models.SET_NULL)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["sub_item", "id"]
        verbose_name = _("改造清单项")
        verbose_name_plural = _("改造清单项")


class ProgressReport(models.Model):
    """A monthly report from the lead department. Only approved reports count."""

    class State(models.TextChoices):
        SUBMITTED = "submitted", _("待审核")
        APPROVED = "approved", _("已通过")
        RETURNED = "returned", _("已退回")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="reports")
    as_of = models.DateField(_("截至日期"))
    percent = models.DecimalField(_("累计完成（%）"), max_digits=5, decimal_places=2,
                                  validators=[MinValueValidator(Decimal(0)),
                                              MaxValueValidator(Decimal(100))])
    quantity_done = models.DecimalField(_("累计完成数量"), max_digits=14, decimal_places=2,
                                        null=True, blank=True,
                                        validators=[MinValueValidator(Decimal(0))])
    spent = models.DecimalField(_("累计支出（元）"), **MONEY,
                                validators=[MinValueValidator(Decimal(0))])
    overspend_reason = models.CharField(
        _("超出已下达资金的说明"), max_length=300, blank=True,
        help_text=_("累计支出超过已下达资金时必须说明，审核时会被标出"))
    correction_reason = models.CharField(
        _("更正说明"), max_length=300, blank=True,
        help_text=_("累计支出低于上次已审核通过的报告时必须说明更正原因，审核时会被标出"))
    narrative = models.TextField(_("进展情况"))
    state = models.CharField(_("状态"), max_length=20, choices=State.choices,
                             default=State.SUBMITTED, db_index=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")
    submitted_at = models.DateTimeField(auto_now_add=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.CharField(_("审核意见"), max_length=300, blank=True)

    class Meta:
        ordering = ["project", "as_of", "id"]
        verbose_name = _("进度报告")
        verbose_name_plural = _("进度报告")


class ProgressPhoto(models.Model):
    class Check(models.TextChoices):
        # stored before uploads were checked (or by any path that did not re-encode): served
        # only after actions.do_reencode_photo has made it CLEAN
        PENDING = "pending", _("待检查")
        CLEAN = "clean", _("已重新编码")
        QUARANTINED = "quarantined", _("已隔离（不是图片）")

    report = models.ForeignKey(ProgressReport, on_delete=models.CASCADE, related_name="photos")
    # the progress form stores lib.images.clean_image's re-encoded JPEG; the validator refuses
    # anything but a real image where a file comes in another way (the back office)
    image = models.FileField(_("照片"), upload_to="progress/%Y/%m/", validators=[validate_image])
    caption = models.CharField(_("说明"), max_length=100, blank=True)
    public = models.BooleanField(_("可公开"), default=True)
    # whether `image` holds lib.images' re-encoding: only CLEAN bytes are ever served
    state = models.CharField(_("检查"), max_length=12, choices=Check.choices,
                             default=Check.PENDING, editable=False)


class ExpenditureLine(models.Model):
    """General-public-budget expenditure of a region in a year, by functional class/section."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, verbose_name=_("区划"))
    year = models.PositiveSmallIntegerField(_("年度"))
    code = models.CharField(_("科目编码"), max_length=7,
                            validators=[RegexValidator(r"^\d{3}(\d{2}){0,2}$")])
    name = models.CharField(_("科目名称"), max_length=100, blank=True)
    amount = models.DecimalField(_("金额（元）"), **MONEY)

    class Meta:
        ordering = ["region_id", "year", "code"]
        verbose_name = _("一般公共预算支出")
        verbose_name_plural = _("一般公共预算支出")
        constraints = [
            models.UniqueConstraint(fields=["region", "year", "code"], name="expenditure_once"),
        ]
