"""Property-service evaluation (考评体系): schemes as data, inspections, resident surveys and the
scorecards computed from them (see scoring.py for the rule, services.py for the measures)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from minsheng.lib.images import validate_image
from minsheng.places.models import Compound, Organisation, Region


def new_token() -> str:
    return secrets.token_urlsafe(16)


class Scheme(models.Model):
    """A district's evaluation scheme: items with weights and grade bands, scored per period."""

    class Period(models.TextChoices):
        YEAR = "year", _("年度")
        QUARTER = "quarter", _("季度")

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, verbose_name=_("发布区划"))
    period = models.CharField(_("考评周期"), max_length=10, choices=Period.choices,
                              default=Period.QUARTER)
    # [["优秀", 90], ["良好", 80], ["合格", 60], ["不合格", 0]]
    bands = models.JSONField(_("等次划分"), default=list)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("物业考评方案")
        verbose_name_plural = _("物业考评方案")

    def __str__(self) -> str:
        return self.name


class SchemeItem(models.Model):
    class Source(models.TextChoices):
        CASES = "cases", _("诉求办理（自动计算）")
        INSPECTION = "inspection", _("检查")
        SURVEY = "survey", _("居民问卷")

    class Metric(models.TextChoices):
        ON_TIME = "on_time_rate", _("按时办结率")
        ACCEPT_ON_TIME = "accept_on_time_rate", _("按时受理率")
        RATING = "mean_rating", _("群众评价")

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="items",
                               verbose_name=_("考评方案"))
    code = models.SlugField(_("代码"), max_length=40)
    name = models.CharField(_("考评项目"), max_length=100)
    weight = models.DecimalField(_("分值"), max_digits=5, decimal_places=1)
    source = models.CharField(_("评分来源"), max_length=20, choices=Source.choices)
    metric = models.CharField(_("计算指标"), max_length=30, choices=Metric.choices, blank=True,
                              help_text=_("仅用于诉求办理项目"))
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["scheme", "order", "code"]
        verbose_name = _("考评项目")
        verbose_name_plural = _("考评项目")
        constraints = [models.UniqueConstraint(fields=["scheme", "code"],
                                               name="scheme_item_unique_code")]

    def __str__(self) -> str:
        return self.name


class Inspection(models.Model):
    """A checklist filled on a phone by street or community staff at one compound."""

    class Kind(models.TextChoices):
        SCHEDULED = "scheduled", _("定期检查")
        UNANNOUNCED = "unannounced", _("暗访")

    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, verbose_name=_("考评方案"))
    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, verbose_name=_("小区"))
    company = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                related_name="inspections", verbose_name=_("物业服务企业"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, verbose_name=_("所属社区/村"))
    kind = models.CharField(_("方式"), max_length=20, choices=Kind.choices,
                            default=Kind.SCHEDULED)
    inspected_on = models.DateField(_("检查日期"))
    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, verbose_name=_("检查人"))
    # {item code: score 0–100} for the scheme's inspection items
    results = models.JSONField(_("检查结果"), default=dict)
    note = models.TextField(_("说明"), blank=True, max_length=2000)
    generated = models.BooleanField(_("演示生成"), default=False)
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    class Meta:
        ordering = ["-inspected_on", "-pk"]
        verbose_name = _("物业检查")
        verbose_name_plural = _("物业检查")

    def __str__(self) -> str:
        return f"{self.compound} {self.inspected_on}"


class InspectionPhoto(models.Model):
    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("照片"), upload_to="governance/inspections/%Y/%m/",
                              validators=[validate_image])

    class Meta:
        verbose_name = _("检查照片")
        verbose_name_plural = _("检查照片")


class Survey(models.Model):
    """A compound's public questionnaire for one scheme, opened by a link or QR code token."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, verbose_name=_("考评方案"))
    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, verbose_name=_("小区"))
    token = models.CharField(_("链接令牌"), max_length=40, unique=True, default=new_token)
    open = models.BooleanField(_("开放填写"), default=True)

    class Meta:
        verbose_name = _("居民满意度问卷")
        verbose_name_plural = _("居民满意度问卷")
        constraints = [models.UniqueConstraint(fields=["scheme", "compound"],
                                               name="survey_one_per_compound")]

    def __str__(self) -> str:
        return f"{self.compound} · {self.scheme}"


class SurveyAnswer(models.Model):
    """One household's answer: {item code: 1–5}. One answer per household and questionnaire."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="answers")
    household = models.CharField(_("户（楼栋-单元-门牌）"), max_length=40)
    company = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("物业服务企业"))
    answers = models.JSONField(_("回答"), default=dict)
    answered_on = models.DateField(_("填写日期"))
    generated = models.BooleanField(_("演示生成"), default=False)

    class Meta:
        verbose_name = _("问卷回答")
        verbose_name_plural = _("问卷回答")
        constraints = [models.UniqueConstraint(fields=["survey", "household"],
                                               name="survey_one_answer_per_household")]


class Scorecard(models.Model):
    """A company's computed score in a scheme and period, with the evidence behind each point."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, verbose_name=_("考评方案"))
    period = models.CharField(_("考评期"), max_length=6)  # 2025 or 2025Q3
    company = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                related_name="scorecards", verbose_name=_("物业服务企业"))
    total = models.DecimalField(_("得分"), max_digits=5, decimal_places=1, null=True)
    grade = models.CharField(_("等次"), max_length=10, blank=True)
    items = models.JSONField(_("各项得分与依据"), default=list)
    computed_at = models.DateTimeField(_("计算时间"))
    published = models.BooleanField(_("已公布"), default=False)
    objection = models.TextField(_("异议理由"), blank=True, max_length=2000)
    objected_at = models.DateTimeField(_("提出异议时间"), null=True, blank=True)

    class Decision(models.TextChoices):
        UPHELD = "upheld", _("异议成立，已复核改分")
        REJECTED = "rejected", _("异议不成立")

    decision = models.CharField(_("异议处理结果"), max_length=10, blank=True,
                                choices=Decision.choices)
    decision_reason = models.TextField(_("处理理由"), blank=True, max_length=2000)
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    # upheld: {"item": code, "before": value, "after": value, "total": before, "grade": before};
    # recomputations keep the re-scored value (actions.do_compute_scores)
    review = models.JSONField(_("复核记录"), default=dict, blank=True)

    class Meta:
        ordering = ["scheme", "-period", "-total"]
        verbose_name = _("物业考评结果")
        verbose_name_plural = _("物业考评结果")
        constraints = [models.UniqueConstraint(fields=["scheme", "period", "company"],
                                               name="scorecard_unique")]

    def __str__(self) -> str:
        return f"{self.company} {self.period} {self.grade}"


class TaskList(models.Model):
    """A rectification list (整改清单): 创城 problems, 上级考核反馈问题, 挂牌督战 items."""

    class Kind(models.TextChoices):
        CIVILISED_CITY = "civilised_city", _("创城问题")
        FEEDBACK = "feedback", _("上级考核反馈问题")
        SUPERVISED = "supervised", _("挂牌督战")

    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类别"), max_length=20, choices=Kind.choices)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, verbose_name=_("下发区划"))
    issuer = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+", verbose_name=_("下发单位"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, verbose_name=_("导入人"))
    created_at = models.DateTimeField(_("导入时间"), auto_now_add=True)
    generated = models.BooleanField(_("演示生成"), default=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("整改清单")
        verbose_name_plural = _("整改清单")

    def __str__(self) -> str:
        return self.name


class Task(models.Model):
    """One problem of a list, assigned to a responsible unit (see rectification.py)."""

    class State(models.TextChoices):
        ASSIGNED = "assigned", _("待整改")
        SUBMITTED = "submitted", _("已提交待核验")
        RETURNED = "returned", _("核验未通过")
        VERIFIED = "verified", _("已核验完成")

    task_list = models.ForeignKey(TaskList, on_delete=models.CASCADE, related_name="tasks",
                                  verbose_name=_("整改清单"))
    number = models.PositiveIntegerField(_("序号"))
    area = models.CharField(_("领域/区域"), max_length=100)
    problem = models.TextField(_("问题"), max_length=1000)
    unit = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("责任单位"))
    deadline = models.DateField(_("整改时限"))
    state = models.CharField(_("状态"), max_length=20, choices=State.choices,
                             default=State.ASSIGNED, db_index=True)
    evidence = models.TextField(_("整改情况"), blank=True, max_length=2000)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    verified_at = models.DateTimeField(_("核验时间"), null=True, blank=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("核验人"))
    return_reason = models.CharField(_("退回理由"), max_length=300, blank=True)

    class Meta:
        ordering = ["task_list", "number"]
        verbose_name = _("整改事项")
        verbose_name_plural = _("整改事项")
        constraints = [models.UniqueConstraint(fields=["task_list", "number"],
                                               name="task_unique_number")]

    def __str__(self) -> str:
        return f"{self.number}. {self.problem[:30]}"


class TaskPhoto(models.Model):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("照片"), upload_to="governance/tasks/%Y/%m/",
                              validators=[validate_image])
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("整改照片")
        verbose_name_plural = _("整改照片")


class Takeover(models.Model):
    """A vetted property company taking over compounds without management (无物业小区接管),
    with the service-quality and hardware standards as items with deadlines (see takeovers.py)."""

    name = models.CharField(_("名称"), max_length=100)
    company = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="takeovers",
                                verbose_name=_("接管物业服务企业"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, verbose_name=_("组织区划"))
    started_on = models.DateField(_("接管日期"))
    # the livelihood item it belongs to, when the district lists it as one
    project = models.ForeignKey("projects.Project", null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+",
                                verbose_name=_("民生项目"))
    generated = models.BooleanField(_("演示生成"), default=False)

    class Meta:
        ordering = ["-started_on"]
        verbose_name = _("无物业小区接管")
        verbose_name_plural = _("无物业小区接管")

    def __str__(self) -> str:
        return self.name


class TakeoverItem(models.Model):
    class Standard(models.TextChoices):
        CLEANING = "cleaning", _("开荒保洁")
        REPAIR = "repair", _("设施维修")
        PARKING = "parking", _("车位管理")
        GREENING = "greening", _("绿化亮化")
        SECURITY = "security", _("安防监控")
        STAFFING = "staffing", _("人员配备")

    class State(models.TextChoices):
        OPEN = "open", _("待完成")
        DONE = "done", _("企业报完成待检查")
        FAILED = "failed", _("检查未达标")
        PASSED = "passed", _("检查达标")

    takeover = models.ForeignKey(Takeover, on_delete=models.CASCADE, related_name="items",
                                 verbose_name=_("接管"))
    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, verbose_name=_("小区"))
    standard = models.CharField(_("标准项目"), max_length=20, choices=Standard.choices)
    requirement = models.CharField(_("质量和硬件标准"), max_length=200)
    deadline = models.DateField(_("完成时限"))
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.OPEN,
                             db_index=True)
    done_on = models.DateField(_("企业报完成日期"), null=True, blank=True)
    checked_on = models.DateField(_("检查日期"), null=True, blank=True)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("检查人"))
    check_note = models.CharField(_("检查意见"), max_length=300, blank=True)

    class Meta:
        ordering = ["takeover", "compound", "deadline"]
        verbose_name = _("接管标准项目")
        verbose_name_plural = _("接管标准项目")
        constraints = [models.UniqueConstraint(fields=["takeover", "compound", "standard"],
                                               name="takeover_item_unique")]

    def __str__(self) -> str:
        return f"{self.compound} {self.get_standard_display()}"


class GovernanceRecord(models.Model):
    """How a compound was governed from valid_from until valid_to (exclusive; open = still so).
    Written only by registry.do_change_governance, which also keeps places.Compound's current
    fields in step (other code reads those). valid_from empty: since before records began."""

    class Form(models.TextChoices):
        COMPANY = "company", _("物业公司")
        MANAGEMENT_COMMITTEE = "management_committee", _("物管会")
        OWNERS_COMMITTEE = "owners_committee", _("业委会")
        SELF = "self", _("自管")
        NONE = "none", _("无物业")

    compound = models.ForeignKey(Compound, on_delete=models.CASCADE,
                                 related_name="governance_records", verbose_name=_("小区"))
    valid_from = models.DateField(_("起始日期"), null=True, blank=True)
    valid_to = models.DateField(_("截止日期"), null=True, blank=True)
    form = models.CharField(_("管理形式"), max_length=30, choices=Form.choices)
    property_company = models.ForeignKey(Organisation, null=True, blank=True,
                                         on_delete=models.PROTECT, related_name="+",
                                         verbose_name=_("物业服务企业"))
    committee = models.CharField(_("业委会/物管会"), max_length=20, blank=True,
                                 choices=Compound.Committee.choices)
    election_date = models.DateField(_("选举日期"), null=True, blank=True)
    turnout = models.DecimalField(_("参选率（%）"), max_digits=5, decimal_places=1, null=True,
                                  blank=True)
    street_approved = models.BooleanField(_("街道备案/批准"), default=False)
    has_party_branch = models.BooleanField(_("建有小区党支部"), default=False)
    head_is_party_secretary = models.BooleanField(_("主任由党支部书记担任"), default=False)
    cadre_full_time = models.BooleanField(_("下派专职干部"), default=False)
    cadre_unit = models.CharField(_("下派干部单位"), max_length=100, blank=True)
    property_managers = models.PositiveIntegerField(_("专职物业管理人员"), default=0)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["compound", "valid_from"]
        verbose_name = _("小区治理登记")
        verbose_name_plural = _("小区治理登记")
        constraints = [models.UniqueConstraint(fields=["compound"], condition=models.Q(
            valid_to__isnull=True), name="governance_one_open_record")]


class Election(models.Model):
    """An owners' or management committee's election (the 法定程序): recorded by the community or
    street, submitted, approved by the street office of the compound's street. On approval its
    members take office and the previous committee's terms end (committees.do_approve_election)."""

    class State(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已提交待街道审批")
        APPROVED = "approved", _("街道已批准")

    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="elections",
                                 verbose_name=_("小区"))
    committee = models.CharField(_("业委会/物管会"), max_length=20,
                                 choices=[c for c in Compound.Committee.choices if c[0]])
    held_on = models.DateField(_("选举日期"))
    turnout = models.DecimalField(_("参选率（%）"), max_digits=4, decimal_places=1)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.DRAFT,
                             db_index=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    approved_on = models.DateField(_("批准日期"), null=True, blank=True)
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+",
                                 verbose_name=_("审批人"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("录入人"))
    note = models.CharField(_("说明"), max_length=200, blank=True)
    generated = models.BooleanField(_("演示生成"), default=False)
    # the street's last return of it (the history: ElectionReturn)
    return_reason = models.CharField(_("退回理由"), max_length=300, blank=True)

    class Meta:
        ordering = ["compound", "-held_on", "-pk"]
        verbose_name = _("业委会/物管会选举")
        verbose_name_plural = _("业委会/物管会选举")

    def __str__(self) -> str:
        return f"{self.compound} {self.held_on} {self.get_committee_display()}"

    @property
    def region_id(self) -> str:
        return self.compound.region_id


class ElectionReturn(models.Model):
    """The street sent a submitted election back to the community with a reason (it became a
    draft again, to be corrected and resubmitted): one row per return, kept."""

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="returns",
                                 verbose_name=_("选举"))
    reason = models.CharField(_("退回理由"), max_length=300)
    returned_at = models.DateTimeField(_("退回时间"))
    returned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("退回人"))

    class Meta:
        ordering = ["election", "-returned_at", "-pk"]
        verbose_name = _("选举退回记录")
        verbose_name_plural = _("选举退回记录")

    def __str__(self) -> str:
        return f"{self.election} {self.returned_at:%Y-%m-%d}"


class CommitteeMember(models.Model):
    """A member of a compound's owners' or management committee, chosen by an election; in office
    from the election's approval (started_on) until ended_on (exclusive; open = in office).
    started_on empty: the election is not approved yet."""

    class Role(models.TextChoices):
        CHAIR = "chair", _("主任")
        VICE_CHAIR = "vice_chair", _("副主任")
        MEMBER = "member", _("委员")

    compound = models.ForeignKey(Compound, on_delete=models.CASCADE,
                                 related_name="committee_members", verbose_name=_("小区"))
    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="members",
                                 verbose_name=_("选举"))
    name = models.CharField(_("姓名"), max_length=50)
    role = models.CharField(_("职务"), max_length=12, choices=Role.choices, default=Role.MEMBER)
    is_party_secretary = models.BooleanField(_("小区党支部书记"), default=False)
    phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    started_on = models.DateField(_("任职日期"), null=True, blank=True)
    ended_on = models.DateField(_("离任日期"), null=True, blank=True)

    class Leaving(models.TextChoices):
        RESIGNED = "resigned", _("辞职")
        DIED = "died", _("去世")
        REMOVED = "removed", _("罢免")
        OTHER = "other", _("其他原因")

    # empty with an end date: the term ended with the next committee's approval
    left_because = models.CharField(_("离任原因"), max_length=10, blank=True,
                                    choices=Leaving.choices)
    leave_note = models.CharField(_("离任说明"), max_length=200, blank=True)
    generated = models.BooleanField(_("演示生成"), default=False)

    class Meta:
        ordering = ["compound", "-started_on", "role", "pk"]
        verbose_name = _("业委会/物管会成员")
        verbose_name_plural = _("业委会/物管会成员")

    def __str__(self) -> str:
        return f"{self.name}（{self.get_role_display()}）"

    @property
    def region_id(self) -> str:
        return self.compound.region_id


class Cadre(models.Model):
    """A cadre sent down to a compound's party branch (下派干部), from started_on until ended_on
    (exclusive; open = still there). Changed only through committees.py."""

    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="cadres",
                                 verbose_name=_("小区"))
    name = models.CharField(_("姓名"), max_length=50)
    unit = models.CharField(_("派出单位"), max_length=100)
    full_time = models.BooleanField(_("专职"), default=True)
    started_on = models.DateField(_("下派日期"))
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("录入人"))
    generated = models.BooleanField(_("演示生成"), default=False)

    class Meta:
        ordering = ["compound", "-started_on", "pk"]
        verbose_name = _("下派干部")
        verbose_name_plural = _("下派干部")

    def __str__(self) -> str:
        return f"{self.name}（{self.unit}）"

    @property
    def region_id(self) -> str:
        return self.compound.region_id
