"""Cases: residents' requests, grid patrols, hotline orders, disputes and their mediation,
administrative disputes and reconsiderations — routed, timed, escalated, rated.

The state of a case changes only through cases/workflow.py, which appends a CaseEvent for every
change (who, when, what, from → to). Nothing edits `status` without its event.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from minsheng.places.models import Compound, Grid, Organisation, Region

MONEY = {"max_digits": 16, "decimal_places": 2}


class Priority(models.IntegerChoices):
    """Lower sorts first: urgent cases head every queue."""

    URGENT = 1, _("紧急")
    HIGH = 2, _("优先")
    NORMAL = 3, _("一般")


class OutcomeKind(models.TextChoices):
    """What the handler did, as data beside the free-text outcome (the resident's verdict is
    separate)."""

    RESOLVED = "resolved", _("已解决")
    PARTLY = "partly", _("部分解决")
    EXPLAINED = "explained", _("解释说明（依规无法解决）")
    REDIRECTED = "redirected", _("不属于受理范围（已告知去处）")


class RatingChannel(models.TextChoices):
    """How a resident's rating reached the platform."""

    WEB = "web", _("居民网页链接")
    SMS = "sms", _("短信评价链接")
    CALLBACK = "callback", _("工作人员回访")


class Holiday(models.Model):
    """A date of the working calendar that differs from Monday–Friday: a public holiday (放假) or a
    weekend date that is a make-up working day (调休上班). The district maintains it in the back
    office; the national dates of each year ship as data (cases/data/holidays-YYYY.json)."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("放假")
        WORKDAY = "workday", _("调休上班")

    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    year = models.PositiveSmallIntegerField(_("年度"), db_index=True)
    name = models.CharField(_("节日"), max_length=30, blank=True)
    source = models.CharField(_("来源"), max_length=300, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("节假日与调休")
        verbose_name_plural = _("节假日与调休")

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"


class CaseType(models.Model):
    """A kind of case (the catalogue is a fixture a district edits in the back office)."""

    class Group(models.TextChoices):
        REQUEST = "request", _("诉求")
        COMPLAINT = "complaint", _("投诉")
        DISPUTE = "dispute", _("矛盾纠纷")
        HAZARD = "hazard", _("安全隐患")
        LEGAL = "legal", _("法律服务")
        ADMIN_REVIEW = "admin_review", _("行政争议与复议")
        PETITION = "petition", _("信访")

    code = models.SlugField(_("代码（Open311 service_code）"), max_length=40, primary_key=True)
    name = models.CharField(_("名称"), max_length=50)
    name_en = models.CharField(_("英文名称"), max_length=80, blank=True)
    group = models.CharField(_("分组"), max_length=20, choices=Group.choices)
    description = models.CharField(_("说明"), max_length=300, blank=True)
    handler_kind = models.CharField(_("默认承办单位类型"), max_length=30,
                                    choices=Organisation.Kind.choices)
    property_first = models.BooleanField(
        _("有物业的小区先派物业"), default=False,
        help_text=_("发生在有物业公司的小区时派给该物业服务企业，否则派给默认承办单位"))
    accept_hours = models.PositiveIntegerField(_("受理时限（小时）"), default=24)
    resolve_hours = models.PositiveIntegerField(_("办结时限（小时）"), default=168)
    accept_work_hours = models.PositiveIntegerField(
        _("受理时限（工作小时）"), default=7,
        help_text=_("按工作时间计，节假日不计，调休上班日计入"))
    resolve_work_days = models.PositiveIntegerField(
        _("办结时限（工作日）"), default=5, help_text=_("自提交次日起算的工作日，至该日下班"))
    priority = models.PositiveSmallIntegerField(_("默认优先级"), choices=Priority.choices,
                                                default=Priority.NORMAL)
    mediation = models.BooleanField(_("需要调解"), default=False)
    admin_review = models.BooleanField(_("行政争议/复议"), default=False)
    public = models.BooleanField(_("可在公开地图显示"), default=True)
    resident_can_file = models.BooleanField(_("居民可直接提交"), default=True)
    redirect_to = models.CharField(
        _("不属于受理范围时的去处"), max_length=200, blank=True,
        help_text=_("填写后不受理该类问题：提交表单和 Open311 告知居民去处（如“请立即拨打 110 报警”）"))
    redirect_to_en = models.CharField(_("去处（英文）"), max_length=200, blank=True)
    keywords = models.CharField(_("关键词（12345 工单分类用，空格分隔）"), max_length=300, blank=True)
    attributes = models.JSONField(_("Open311 附加属性"), default=list, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("诉求类别")
        verbose_name_plural = _("诉求类别")

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        """The name in the page's language: the catalogue's English name in English."""
        return self.name_en if self.name_en and get_language() == "en" else self.name


class RoutingRule(models.Model):
    """Category × region prefix → organisation. The longest matching prefix wins."""

    case_type = models.ForeignKey(CaseType, on_delete=models.CASCADE, verbose_name=_("类别"))
    region_prefix = models.CharField(_("区划代码前缀"), max_length=12,
                                     help_text=_("如 131002 表示安次区全区，131002001 表示银河南路街道"))
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE,
                                     verbose_name=_("承办单位"))

    class Meta:
        verbose_name = _("派单规则")
        verbose_name_plural = _("派单规则")
        constraints = [models.UniqueConstraint(fields=["case_type", "region_prefix"],
                                               name="routing_once")]

    def __str__(self) -> str:
        return f"{self.case_type} {self.region_prefix} → {self.organisation}"


class Case(models.Model):
    class Status(models.TextChoices):
        ASSIGNED = "assigned", _("待受理")
        ACCEPTED = "accepted", _("办理中")
        RESOLVED = "resolved", _("已办结待评价")
        CLOSED = "closed", _("已关闭")
        MERGED = "merged", _("已合并")

    class Channel(models.TextChoices):
        RESIDENT = "resident", _("居民线上提交")
        PATROL = "patrol", _("网格员巡查")
        HOTLINE = "hotline", _("12345 热线")
        OPEN311 = "open311", _("Open311 接口")
        STAFF = "staff", _("工作人员登记")
        DEVICE = "device", _("智能设备告警")

    class Verdict(models.TextChoices):
        NONE = "", _("未评价")
        FIXED = "fixed", _("满意，问题已解决")
        NOT_FIXED = "not_fixed", _("不满意，问题未解决")

    number = models.CharField(_("编号"), max_length=32, unique=True)
    token = models.CharField(_("查询码"), max_length=32, unique=True)
    case_type = models.ForeignKey(CaseType, on_delete=models.PROTECT, verbose_name=_("类别"))
    description = models.TextField(_("描述"))
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices,
                              default=Status.ASSIGNED)  # indexed with the region below
    channel = models.CharField(_("来源"), max_length=20, choices=Channel.choices)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, verbose_name=_("所在区划"))
    grid = models.ForeignKey(Grid, null=True, blank=True, on_delete=models.SET_NULL,
                             verbose_name=_("网格"))
    compound = models.ForeignKey(Compound, null=True, blank=True, on_delete=models.SET_NULL,
                                 verbose_name=_("小区"))
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    lng = models.FloatField(_("经度"), null=True, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="reported_cases",
                                 verbose_name=_("提交人账号"))
    reporter_name = models.CharField(_("联系人"), max_length=50, blank=True)
    reporter_phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="cases", verbose_name=_("承办单位"))
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="assigned_cases",
                                 verbose_name=_("经办人"))
    priority = models.PositiveSmallIntegerField(_("优先级"), choices=Priority.choices,
                                                default=Priority.NORMAL, db_index=True)
    paused_at = models.DateTimeField(
        _("暂停计时时间"), null=True, blank=True,
        help_text=_("等待居民补充材料或答复时暂停计时，恢复时时限顺延暂停的工作时间"))
    created_at = models.DateTimeField(_("提交时间"))  # indexed with key and region below
    accept_due = models.DateTimeField(_("受理时限"))
    resolve_due = models.DateTimeField(_("办结时限"))
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("升级次数"), default=0)
    overdue = models.BooleanField(_("已超时"), default=False, db_index=True)
    outcome = models.TextField(_("办理结果"), blank=True)
    outcome_kind = models.CharField(_("办理结果类型"), max_length=12, choices=OutcomeKind.choices,
                                    blank=True, db_index=True)
    outcome_rule = models.CharField(_("依据的规定"), max_length=300, blank=True,
                                    help_text=_("解释说明（无法解决）时引用的法规政策条款"))
    outcome_redirect = models.CharField(_("转至何处"), max_length=200, blank=True,
                                        help_text=_("不属于本平台受理范围时告知居民的去处"))
    verdict = models.CharField(_("居民评价"), max_length=20, choices=Verdict.choices,
                               default="", blank=True)
    rating = models.PositiveSmallIntegerField(
        _("满意度（1–5）"), null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)])
    rating_channel = models.CharField(
        _("评价渠道"), max_length=10, choices=RatingChannel.choices, blank=True,
        help_text=_("居民网页链接、短信链接或工作人员回访"))
    reopen_count = models.PositiveSmallIntegerField(_("重新办理次数"), default=0)
    support_count = models.PositiveIntegerField(
        _("附议人数"), default=0, help_text=_("其他居民在公开页面点“我也遇到了”的次数"))
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="duplicates", verbose_name=_("合并到"))
    external_id = models.CharField(_("外部工单号"), max_length=50, blank=True, db_index=True)
    attributes = models.JSONField(_("附加属性"), default=dict, blank=True)
    public = models.BooleanField(_("可公开"), default=True)
    generated = models.BooleanField(_("演示生成"), default=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("诉求")
        verbose_name_plural = _("诉求")
        indexes = [
            models.Index(fields=["organisation", "status", "created_at"]),
            # region by prefix (LIKE '131002%' in any collation: pattern ops) and time
            models.Index(fields=["region", "created_at"], name="case_region_prefix_created",
                         opclasses=["varchar_pattern_ops", "timestamptz_ops"]),
            models.Index(fields=["case_type", "created_at"]),
            models.Index(fields=["status", "accept_due"]),
            models.Index(fields=["status", "resolve_due"]),
            # a region's list filtered by type or lateness, counted and paged (ids first, see
            # lib.pagination) from these indexes alone, without reading the cases' rows: over a
            # province's 10,000,000 cases the heap reads were the page's time (province_bench)
            models.Index(fields=["case_type", "region"], name="case_type_region_prefix",
                         opclasses=["varchar_ops", "varchar_pattern_ops"],
                         include=["created_at", "id"]),
            # newest first (the list's order, key as tie-break) with the region alongside: a
            # street's page walks this index alone, where it read every newer case of the
            # province from the heap to find its region (province_bench)
            models.Index(fields=["created_at", "id"], name="case_created_covering",
                         include=["region"]),
            # a status within a region (the list's 状态 filter; the SLA's open cases)
            models.Index(fields=["status", "region"], name="case_status_region_prefix",
                         opclasses=["varchar_ops", "varchar_pattern_ops"],
                         include=["created_at", "id"]),
            # open or flagged late: a superset of the list's "超时" filter (which also depends on
            # the time of the request), with what that filter reads
            models.Index(fields=["region"], name="case_late_region_prefix",
                         opclasses=["varchar_pattern_ops"],
                         include=["created_at", "id", "status", "overdue", "accept_due",
                                  "resolve_due"],
                         condition=models.Q(overdue=True) | models.Q(status="assigned") |
                         models.Q(status="accepted")),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.case_type}"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.ASSIGNED, self.Status.ACCEPTED)


class CaseEvent(models.Model):
    """Append-only history of a case."""

    class Action(models.TextChoices):
        CREATED = "created", _("提交")
        ROUTED = "routed", _("派单")
        ACCEPTED = "accepted", _("受理")
        NOTE = "note", _("办理记录")
        TRANSFERRED = "transferred", _("转办")
        RETURNED = "returned", _("退回重派")
        RESOLVED = "resolved", _("办结")
        RATED = "rated", _("评价")
        REOPENED = "reopened", _("重新办理")
        ESCALATED = "escalated", _("超时升级")
        MERGED = "merged", _("合并")
        CLOSED = "closed", _("关闭")
        MEDIATION = "mediation", _("调解")
        PAUSED = "paused", _("暂停计时")
        RESUMED = "resumed", _("恢复计时")
        PRIORITY = "priority", _("调整优先级")
        EXTENSION = "extension", _("延期")
        SUPERVISION = "supervision", _("督办")
        CALLBACK = "callback", _("回访")
        SMS = "sms", _("短信通知")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL)
    action = models.CharField(max_length=20, choices=Action.choices)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    organisation = models.ForeignKey(Organisation, null=True, blank=True,
                                     on_delete=models.SET_NULL)
    note = models.TextField(blank=True)
    public = models.BooleanField(default=True)

    class Meta:
        ordering = ["at", "id"]


class Extension(models.Model):
    """A handler's application to move a case's resolve deadline (延期), decided by a supervisor.
    Only an approved one moves Case.resolve_due; every one is counted."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已批准")
        REFUSED = "refused", _("未批准")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="extensions")
    reason = models.TextField(_("延期原因"))
    old_due = models.DateTimeField(_("原办结时限"))
    new_due = models.DateTimeField(_("申请延至"))
    status = models.CharField(_("审批状态"), max_length=10, choices=Status.choices,
                              default=Status.PENDING, db_index=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                     on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField(_("申请时间"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.CharField(_("审批意见"), max_length=500, blank=True)
    paused_clock = models.BooleanField(
        _("申请期间暂停计时"), default=False,
        help_text=_("申请时计时未暂停：自申请至审批计时暂停，审批后时限顺延这段工作时间"))

    class Meta:
        ordering = ["requested_at", "pk"]
        verbose_name = _("延期申请")
        verbose_name_plural = _("延期申请")
        constraints = [models.UniqueConstraint(
            fields=["case"], condition=models.Q(status="pending"), name="one_pending_extension")]


class SupervisionOrder(models.Model):
    """A supervisor's order (督办) on a case to the organisation holding it, with a deadline by
    which that organisation must answer. An order unanswered past its deadline escalates once (the
    SLA job notifies the office above and stamps escalated_at); every order is counted."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="supervisions")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     verbose_name=_("被督办单位"))
    instruction = models.TextField(_("督办要求"))
    due = models.DateTimeField(_("答复时限"), db_index=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                  on_delete=models.SET_NULL, related_name="+")
    issued_at = models.DateTimeField(_("督办时间"))
    answer = models.TextField(_("答复"), blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("逾期升级时间"), null=True, blank=True)

    class Meta:
        ordering = ["issued_at", "pk"]
        verbose_name = _("督办单")
        verbose_name_plural = _("督办单")


class CallBack(models.Model):
    """A staff call-back (回访) to the resident after a case was handled: who called, when, whether
    the resident was reached and, if so, their rating and verdict (which become the case's rating
    when the case has none yet, with RatingChannel.CALLBACK)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="callbacks")
    called_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+",
                                  verbose_name=_("回访人账号"))
    caller_name = models.CharField(_("回访人"), max_length=50)
    called_at = models.DateTimeField(_("回访时间"), db_index=True)
    reached = models.BooleanField(_("已联系上居民"), default=True)
    rating = models.PositiveSmallIntegerField(
        _("满意度（1–5）"), null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)])
    fixed = models.BooleanField(_("问题已解决"), null=True, blank=True)
    note = models.CharField(_("回访记录"), max_length=500, blank=True)

    class Meta:
        ordering = ["called_at", "pk"]
        verbose_name = _("回访记录")
        verbose_name_plural = _("回访记录")


class Support(models.Model):
    """A resident's "me too" (附议) on a public case: one per browser session and one per phone,
    each kept only as a salted digest (no session key or number is stored)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="supports")
    digest = models.CharField(max_length=64)
    at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "digest"], name="support_once")]


class Attachment(models.Model):
    """A photo, re-encoded on upload (metadata, including GPS, stripped)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    event = models.ForeignKey(CaseEvent, null=True, blank=True, on_delete=models.SET_NULL)
    image = models.FileField(upload_to="cases/%Y/%m/")
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL)
    uploaded_at = models.DateTimeField(auto_now_add=True)


class Notification(models.Model):
    """In-app notice for an organisation that received (or had escalated to it) a case, or whose
    smart device went offline (cases/devices.py: `case` empty, `device` set)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE,
                                     related_name="notifications")
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.CASCADE)
    device = models.ForeignKey("Device", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="+")
    message = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]


def copy_case_region(row) -> None:
    """A mediation's or review's region is its case's, always: their save() is the one place
    that sets it (a case never changes region); bulk writers copy case.region_id alike."""
    if row.case_id is not None:
        row.region_id = row.case.region_id


class Mediation(models.Model):
    class Outcome(models.TextChoices):
        PENDING = "pending", _("调解中")
        SETTLED = "settled", _("调解成功")
        FAILED = "failed", _("调解不成")

    class Referral(models.TextChoices):
        NONE = "", _("无")
        COURT = "court", _("引导诉讼")
        ARBITRATION = "arbitration", _("引导仲裁")
        ADMIN = "admin", _("转行政处理")

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="mediation")
    # The case's region, copied on save (a case never changes region): the indicator sources
    # count mediations by region without joining back to every case (bench/indicators_bench.py).
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+",
                               editable=False, verbose_name=_("所在区划"))
    committee = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                  verbose_name=_("调解委员会"))
    mediator = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                 on_delete=models.SET_NULL, verbose_name=_("调解员"))
    matter = models.TextField(_("纠纷事项"), blank=True)
    agreement = models.TextField(_("协议内容"), blank=True)
    outcome = models.CharField(_("调解结果"), max_length=20, choices=Outcome.choices,
                               default=Outcome.PENDING)
    referral = models.CharField(_("调解不成后的去向"), max_length=20, choices=Referral.choices,
                                default="", blank=True)
    amount = models.DecimalField(_("涉及金额（元）"), **MONEY, null=True, blank=True)
    concluded_at = models.DateTimeField(_("结案时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("调解")
        verbose_name_plural = _("调解")
        indexes = [models.Index(fields=["region", "concluded_at"], name="mediation_region_concl",
                                opclasses=["varchar_pattern_ops", "timestamptz_ops"])]

    def save(self, *args, **kwargs):
        copy_case_region(self)
        super().save(*args, **kwargs)


class Party(models.Model):
    class Role(models.TextChoices):
        APPLICANT = "applicant", _("申请人")
        RESPONDENT = "respondent", _("被申请人")

    mediation = models.ForeignKey(Mediation, on_delete=models.CASCADE, related_name="parties")
    role = models.CharField(_("身份"), max_length=20, choices=Role.choices)
    name = models.CharField(_("姓名/名称"), max_length=100)
    phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    id_number = models.CharField(_("身份证号/统一社会信用代码"), max_length=18, blank=True)
    address = models.CharField(_("住址"), max_length=200, blank=True)


class MediationSession(models.Model):
    mediation = models.ForeignKey(Mediation, on_delete=models.CASCADE, related_name="sessions")
    held_at = models.DateTimeField(_("时间"))
    place = models.CharField(_("地点"), max_length=100, blank=True)
    notes = models.TextField(_("调解记录"))


class AdminReview(models.Model):
    """An administrative dispute or an administrative reconsideration (行政复议)."""

    class Kind(models.TextChoices):
        DISPUTE = "dispute", _("行政争议")
        RECONSIDERATION = "reconsideration", _("行政复议")

    class Outcome(models.TextChoices):
        PENDING = "", _("未审结")
        CORRECTED = "corrected", _("纠错（撤销、变更或确认违法）")
        SETTLED = "settled", _("和解/调解结案")
        UPHELD = "upheld", _("维持")
        DISMISSED = "dismissed", _("驳回")
        WITHDRAWN = "withdrawn", _("申请人撤回")

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="admin_review")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+",
                               editable=False, verbose_name=_("所在区划"))  # as Mediation.region
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    respondent = models.CharField(_("被申请机关"), max_length=100, blank=True)
    accepted = models.BooleanField(_("已受理"), default=False)
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    concluded_at = models.DateTimeField(_("审结时间"), null=True, blank=True)
    outcome = models.CharField(_("结果"), max_length=20, choices=Outcome.choices, default="",
                               blank=True)
    by_dispute_centre = models.BooleanField(_("由矛盾纠纷调处中心化解"), default=False)
    amount_recovered = models.DecimalField(_("挽回金额（元）"), **MONEY, null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["region", "concluded_at"], name="review_region_concl",
                                opclasses=["varchar_pattern_ops", "timestamptz_ops"])]

    def save(self, *args, **kwargs):
        copy_case_region(self)
        super().save(*args, **kwargs)


class ApiKey(models.Model):
    """A key for Open311 POST. Only its SHA-256 is stored."""

    name = models.CharField(_("名称"), max_length=100)
    digest = models.CharField(max_length=64, unique=True)
    organisation = models.ForeignKey(Organisation, null=True, blank=True,
                                     on_delete=models.SET_NULL)
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Open311 接口密钥")
        verbose_name_plural = _("Open311 接口密钥")

    @staticmethod
    def hash(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()


class Device(models.Model):
    """A smart-community device (face-recognition door, smart bin, 智慧平安 camera, smoke or water
    sensor) registered as a facility of a compound, operated by an organisation whose device key
    posts its alarms. `alarm_types` maps an alarm type to the case type it files ("" = record
    only); a type not listed is refused."""

    class Kind(models.TextChoices):
        DOOR = "door", _("人脸识别门禁")
        BIN = "bin", _("智能垃圾箱")
        CAMERA = "camera", _("智慧平安摄像头")
        SMOKE = "smoke", _("烟感")
        WATER = "water", _("水浸/水压传感器")
        OTHER = "other", _("其他")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE,
                                     verbose_name=_("运维单位"))
    code = models.CharField(_("设备编号"), max_length=64)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, verbose_name=_("小区"))
    alarm_types = models.JSONField(_("告警类型→诉求类别"), default=dict, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    last_seen_at = models.DateTimeField(_("最近上报"), null=True, blank=True)

    class Meta:
        verbose_name = _("智能设备")
        verbose_name_plural = _("智能设备")
        constraints = [models.UniqueConstraint(fields=["organisation", "code"],
                                               name="device_code_once")]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class DeviceSilence(models.Model):
    """How long a device of a kind may stay silent (no heartbeat, no alarm) before it counts as
    offline. The system administrator edits it in the back office; a kind without a row uses
    DEFAULT_MINUTES."""

    DEFAULT_MINUTES = 60

    kind = models.CharField(_("设备类型"), max_length=10, choices=Device.Kind.choices, unique=True)
    minutes = models.PositiveIntegerField(
        _("静默多久算离线（分钟）"), default=DEFAULT_MINUTES,
        validators=[MinValueValidator(1), MaxValueValidator(60 * 24 * 31)],
        help_text=_("超过这段时间没有心跳也没有告警的设备计为离线"))

    class Meta:
        ordering = ["kind"]
        verbose_name = _("设备离线判定")
        verbose_name_plural = _("设备离线判定")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.minutes}"


class DeviceOutage(models.Model):
    """One silence of a device: from the heartbeat job noticing it offline (its kind's
    DeviceSilence passed without a heartbeat or an alarm) until it is heard from again. The
    operating organisation is notified once per outage (cases/devices.py: check_offline)."""

    device = models.ForeignKey("Device", on_delete=models.CASCADE, related_name="outages",
                               verbose_name=_("设备"))
    since = models.DateTimeField(_("最后一次上报"), null=True, blank=True,
                                 help_text=_("离线前最后一次心跳或告警的时间；空表示从未上报"))
    detected_at = models.DateTimeField(_("发现离线时间"))
    ended_at = models.DateTimeField(_("恢复时间"), null=True, blank=True)

    class Meta:
        ordering = ["-detected_at"]
        verbose_name = _("设备离线记录")
        verbose_name_plural = _("设备离线记录")
        constraints = [models.UniqueConstraint(fields=["device"],
                                               condition=models.Q(ended_at__isnull=True),
                                               name="device_one_open_outage")]

    def __str__(self) -> str:
        return f"{self.device} {self.detected_at:%Y-%m-%d %H:%M}"


class DeviceKey(models.Model):
    """A key with which an organisation's devices post alarms. Only its SHA-256 is stored."""

    name = models.CharField(_("名称"), max_length=100)
    digest = models.CharField(max_length=64, unique=True)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE,
                                     verbose_name=_("运维单位"))
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("设备接口密钥")
        verbose_name_plural = _("设备接口密钥")

    hash = staticmethod(ApiKey.hash)


class Alarm(models.Model):
    """Alarms of one type from one device: a burst within the window is one row with a count (and
    at most one case)."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="alarms")
    alarm_type = models.CharField(_("告警类型"), max_length=40)
    first_at = models.DateTimeField(_("首次告警"), db_index=True)
    last_at = models.DateTimeField(_("最近告警"))
    count = models.PositiveIntegerField(_("次数"), default=1)
    payload = models.JSONField(_("最近一次的附加数据"), default=dict, blank=True)
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="alarms", verbose_name=_("诉求"))

    class Meta:
        ordering = ["-last_at"]
        verbose_name = _("设备告警")
        verbose_name_plural = _("设备告警")
        indexes = [models.Index(fields=["device", "alarm_type", "last_at"])]


class IncidentReturn(models.Model):
    """A district's monthly police-incident return (公安警情月报, a manual data set): the number of
    刑事 and 治安 incidents per compound in one month, imported from a file, approved by another
    district user with the data-approval right. Only approved returns count (cases/incidents.py);
    an approved return corrected later is superseded by the newer approved one, never edited."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("待审核")
        APPROVED = "approved", _("已审核")
        SUPERSEDED = "superseded", _("已被更正")

    district = models.ForeignKey(Region, on_delete=models.PROTECT, verbose_name=_("区/县"),
                                 related_name="incident_returns")
    month = models.DateField(_("月份"), help_text=_("该月第一天"))
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices,
                              default=Status.DRAFT)
    filename = models.CharField(_("文件名"), max_length=200, blank=True)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("导入人"))
    imported_at = models.DateTimeField(_("导入时间"))
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("审核人"))
    approved_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    generated = models.BooleanField(_("生成的演示数据"), default=False)

    class Meta:
        ordering = ["district", "-month", "-imported_at"]
        verbose_name = _("警情月报")
        verbose_name_plural = _("警情月报")
        constraints = [
            models.UniqueConstraint(fields=["district", "month"],
                                    condition=models.Q(status="draft"),
                                    name="incident_one_draft_per_month"),
            models.UniqueConstraint(fields=["district", "month"],
                                    condition=models.Q(status="approved"),
                                    name="incident_one_approved_per_month"),
        ]

    def __str__(self) -> str:
        return f"{self.district.name} {self.month:%Y-%m} {self.get_status_display()}"


class IncidentCount(models.Model):
    """One compound's incidents in the month of its return."""

    incident_return = models.ForeignKey(IncidentReturn, on_delete=models.CASCADE,
                                        related_name="counts", verbose_name=_("警情月报"))
    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("小区"))
    criminal = models.PositiveIntegerField(_("刑事案件数"), default=0)
    public_order = models.PositiveIntegerField(_("治安案件数"), default=0)

    class Meta:
        verbose_name = _("小区警情数")
        verbose_name_plural = _("小区警情数")
        constraints = [models.UniqueConstraint(fields=["incident_return", "compound"],
                                               name="incident_one_count_per_compound")]

    @property
    def total(self) -> int:
        return self.criminal + self.public_order


class TallyMonth(models.Model):
    """Whether the monthly sums (CaseTally) of a district's cases received in a month are
    up to date (cases/tally.py): any change to a case of a month already over bumps `version`;
    the sums were computed from the rows of `computed_version`, starting at `computed_at`."""

    district = models.CharField(_("区县代码"), max_length=6)
    month = models.DateField(_("月份"))
    version = models.PositiveIntegerField(default=0)
    computed_version = models.PositiveIntegerField(null=True)
    computed_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = _("诉求月汇总状态")
        verbose_name_plural = _("诉求月汇总状态")
        constraints = [models.UniqueConstraint(fields=["district", "month"],
                                               name="tally_one_per_district_month")]


class CaseTally(models.Model):
    """The sums of the cases received in one month in one region, of one type, resolved or not
    (merged duplicates left out): what the indicator catalogue adds up instead of the cases."""

    month = models.DateField(_("月份"))
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+")
    case_type = models.ForeignKey(CaseType, on_delete=models.CASCADE, related_name="+")
    resolved = models.BooleanField()
    received = models.PositiveIntegerField(default=0)
    on_time = models.PositiveIntegerField(default=0)
    handling_us = models.BigIntegerField(default=0)  # resolved − created, summed, microseconds
    rated = models.PositiveIntegerField(default=0)
    rating_sum = models.PositiveIntegerField(default=0)
    with_verdict = models.PositiveIntegerField(default=0)
    fixed = models.PositiveIntegerField(default=0)
    escalated = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("诉求月汇总")
        verbose_name_plural = _("诉求月汇总")
        indexes = [models.Index(fields=["region", "month"], name="tally_region_month",
                                opclasses=["varchar_pattern_ops", "date_ops"])]
