"""The one household and person registry (A.5 §1 of the assistance brief): every programme, the
relapse monitoring (防返贫) and the employment services (`employment/`) point at these rows, so a
person is registered once. Keyed by region code like every operational record (see places/scope.py);
ID and phone numbers are personal fields, masked unless unmasked through accounts.masking."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from minsheng.places.models import Compound, Region

id_number_validator = RegexValidator(r"^\d{17}[\dX]$", _("身份证号应为18位，最后一位可为数字或X"))


class Household(models.Model):
    class Area(models.TextChoices):
        URBAN = "urban", _("城镇")
        RURAL = "rural", _("农村")

    number = models.CharField(_("户编号"), max_length=32, unique=True)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, verbose_name=_("所在社区/村"))
    compound = models.ForeignKey(Compound, null=True, blank=True, on_delete=models.SET_NULL,
                                 verbose_name=_("小区"))
    address = models.CharField(_("住址"), max_length=200, blank=True)
    area = models.CharField(_("城乡"), max_length=10, choices=Area.choices)
    was_registered_poor = models.BooleanField(_("原建档立卡户"), default=False)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    generated = models.BooleanField(_("演示生成"), default=False)

    class Meta:
        ordering = ["number"]
        verbose_name = _("家庭户")
        verbose_name_plural = _("家庭户")
        indexes = [models.Index(fields=["region", "number"])]

    def __str__(self) -> str:
        return self.number


class Person(models.Model):
    """A person known to the district's services. `household` is empty for someone registered only
    by another service (a job-seeker who is in no assistance household); `region` is always set."""

    class Relationship(models.TextChoices):
        HEAD = "head", _("户主")
        SPOUSE = "spouse", _("配偶")
        CHILD = "child", _("子女")
        PARENT = "parent", _("父母")
        GRANDCHILD = "grandchild", _("孙子女")
        GRANDPARENT = "grandparent", _("祖父母")
        SIBLING = "sibling", _("兄弟姐妹")
        OTHER = "other", _("其他")

    class Sex(models.TextChoices):
        MALE = "male", _("男")
        FEMALE = "female", _("女")

    class Labour(models.TextChoices):
        FULL = "full", _("有劳动能力")
        PARTIAL = "partial", _("部分丧失劳动能力")
        NONE = "none", _("无劳动能力")

    class Disability(models.TextChoices):
        NONE = "", _("无")
        GRADE1 = "1", _("一级")
        GRADE2 = "2", _("二级")
        GRADE3 = "3", _("三级")
        GRADE4 = "4", _("四级")

    household = models.ForeignKey(Household, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="members", verbose_name=_("家庭户"))
    relationship = models.CharField(_("与户主关系"), max_length=20,
                                    choices=Relationship.choices, blank=True)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, verbose_name=_("所在社区/村"))
    name = models.CharField(_("姓名"), max_length=50)
    id_number = models.CharField(_("身份证号"), max_length=18, unique=True,
                                 validators=[id_number_validator])
    sex = models.CharField(_("性别"), max_length=10, choices=Sex.choices, blank=True)
    birth_date = models.DateField(_("出生日期"))
    phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    labour_capacity = models.CharField(_("劳动能力"), max_length=10, choices=Labour.choices,
                                       default=Labour.FULL)
    disability_grade = models.CharField(_("残疾等级"), max_length=2, choices=Disability.choices,
                                        default="", blank=True)
    parents_deceased_or_missing = models.BooleanField(_("父母双亡或失踪"), default=False)
    bank_name = models.CharField(_("开户银行"), max_length=50, blank=True)
    bank_account = models.CharField(_("惠民惠农一卡通账号"), max_length=30, blank=True)
    self_care = models.BooleanField(_("生活能自理"), default=True)
    generated = models.BooleanField(_("演示生成"), default=False)

    class Meta:
        ordering = ["household_id", "id"]
        verbose_name = _("人员")
        verbose_name_plural = _("人员")
        indexes = [models.Index(fields=["region", "name"])]

    def __str__(self) -> str:
        return self.name


class Supporter(models.Model):
    """A legally obliged supporter (法定赡养/抚养/扶养义务人) of a household member, who may live
    elsewhere and need not be registered as a Person."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="supporters",
                               verbose_name=_("被赡养（抚养、扶养）人"))
    name = models.CharField(_("义务人姓名"), max_length=50)
    relationship = models.CharField(_("关系"), max_length=20)
    id_number = models.CharField(_("义务人身份证号"), max_length=18, blank=True,
                                 validators=[id_number_validator])
    able_to_support = models.BooleanField(_("具备赡养（抚养、扶养）能力"), default=True)

    class Meta:
        verbose_name = _("法定义务人")
        verbose_name_plural = _("法定义务人")

    def __str__(self) -> str:
        return self.name


class ChangeRequest(models.Model):
    """A later edit of the registry (A.5 §1): a household's fields, a new member, a member's
    fields, a new supporter. Nothing changes until the request is approved and applied; each step
    is an event (see assistance/actions.py for the allowed transitions)::

        draft ──submit──▶ submitted ──approve──▶ approved ──apply──▶ applied
          │                  │
          └──cancel──▶ cancelled   └──reject──▶ rejected
    """

    class Kind(models.TextChoices):
        HOUSEHOLD = "household", _("修改家庭户信息")
        ADD_MEMBER = "add_member", _("增加家庭成员")
        EDIT_MEMBER = "edit_member", _("修改成员信息")
        ADD_SUPPORTER = "add_supporter", _("增加法定义务人")

    class State(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已提交")
        APPROVED = "approved", _("已批准")
        APPLIED = "applied", _("已生效")
        REJECTED = "rejected", _("已退回")
        CANCELLED = "cancelled", _("已撤销")

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="changes",
                                  verbose_name=_("家庭户"))
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.CASCADE,
                               related_name="changes", verbose_name=_("成员"))
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    data = models.JSONField(_("变更内容"), default=dict)
    reason = models.CharField(_("变更原因"), max_length=300)
    state = models.CharField(_("状态"), max_length=20, choices=State.choices,
                             default=State.DRAFT, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("申请人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("变更申请")
        verbose_name_plural = _("变更申请")

    def __str__(self) -> str:
        return f"{self.household.number} {self.get_kind_display()}"


class ChangeEvent(models.Model):
    """One step of a change request, append-only."""

    change = models.ForeignKey(ChangeRequest, on_delete=models.CASCADE, related_name="events",
                               verbose_name=_("变更申请"))
    state = models.CharField(_("变为"), max_length=20, choices=ChangeRequest.State.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("操作人"))
    note = models.CharField(_("说明"), max_length=300, blank=True)
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("变更记录")
        verbose_name_plural = _("变更记录")


class Standard(models.Model):
    """A dated, per-region standard (A.5 §3): 低保标准 per person per month (urban/rural), the
    低保边缘 multiplier (1.5×), the 特困 and 孤儿 monthly amounts, the 临时救助 ceiling in months
    of the 低保标准. Rules read the row of the nearest region (community → street → district →
    province) in force on the day; a new amount is a new row with its own `valid_from`, so past
    decisions keep the standard they were made under."""

    class Programme(models.TextChoices):
        DIBAO = "dibao", _("低保标准（元/人·月）")
        EDGE = "edge", _("低保边缘（低保标准的倍数）")
        TEKUN = "tekun", _("特困人员基本生活标准（元/人·月）")
        ORPHAN = "orphan", _("孤儿基本生活费（元/人·月）")
        TEMPORARY = "temporary", _("临时救助上限（低保标准的月数）")
        EDGE_ALLOWANCE = "edge_allowance", _("低保边缘生活补贴（元/人·月）")
        # asset limits of the economic assessment (eligibility.assets_rule), amounts as limits
        ASSET_SAVINGS = "asset_savings", _("财产上限：人均存款及有价证券（元）")
        ASSET_VEHICLES = "asset_vehicles", _("财产上限：机动车（辆）")
        ASSET_HOMES = "asset_homes", _("财产上限：住房（套）")
        ASSET_BUSINESS = "asset_business", _("财产上限：经营性资产（元）")

    class Area(models.TextChoices):
        URBAN = "urban", _("城镇")
        RURAL = "rural", _("农村")
        BOTH = "both", _("城乡统一")

    region = models.ForeignKey(Region, on_delete=models.PROTECT, verbose_name=_("适用区划"))
    programme = models.CharField(_("项目"), max_length=20, choices=Programme.choices)
    area = models.CharField(_("城乡"), max_length=10, choices=Area.choices, default=Area.BOTH)
    valid_from = models.DateField(_("执行日期"))
    amount = models.DecimalField(_("金额（元）"), max_digits=10, decimal_places=2, null=True,
                                 blank=True)
    multiplier = models.DecimalField(_("倍数"), max_digits=6, decimal_places=2, null=True,
                                     blank=True)
    source = models.CharField(_("依据"), max_length=300)
    verified = models.BooleanField(_("已核实"), default=False,
                                   help_text=_("依据已与正式文件核对；演示数据为未核实"))

    class Meta:
        ordering = ["region_id", "programme", "area", "-valid_from"]
        verbose_name = _("救助标准")
        verbose_name_plural = _("救助标准")
        constraints = [
            models.UniqueConstraint(fields=["region", "programme", "area", "valid_from"],
                                    name="assist_standard_unique"),
            models.CheckConstraint(condition=models.Q(amount__isnull=False)
                                   | models.Q(multiplier__isnull=False),
                                   name="assist_standard_has_value"),
        ]

    def __str__(self) -> str:
        return f"{self.region_id} {self.get_programme_display()} {self.valid_from}"


class IncomeKind(models.TextChoices):
    WAGES = "wages", _("工资性收入")
    BUSINESS = "business", _("经营净收入")
    PROPERTY = "property", _("财产净收入")
    TRANSFER = "transfer", _("转移净收入")
    PENSION = "pension", _("基本养老金")
    ELDERLY_ALLOWANCE = "elderly_allowance", _("高龄津贴")
    DISABILITY_ALLOWANCE = "disability_allowance", _("残疾人两项补贴")
    OTHER = "other", _("其他收入")


class IncomeExclusion(models.Model):
    """An income kind not counted in the economic assessment (基本养老金, 高龄津贴 …) in a region
    from a date: configuration, never code."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, verbose_name=_("适用区划"))
    kind = models.CharField(_("收入类型"), max_length=30, choices=IncomeKind.choices)
    valid_from = models.DateField(_("执行日期"))
    valid_until = models.DateField(_("截止日期"), null=True, blank=True)
    source = models.CharField(_("依据"), max_length=300)
    verified = models.BooleanField(_("已核实"), default=False)

    class Meta:
        ordering = ["region_id", "kind", "-valid_from"]
        verbose_name = _("不计入收入的项目")
        verbose_name_plural = _("不计入收入的项目")
        constraints = [models.UniqueConstraint(fields=["region", "kind", "valid_from"],
                                               name="assist_exclusion_unique")]

    def __str__(self) -> str:
        return f"{self.region_id} {self.get_kind_display()}"


class Assessment(models.Model):
    """One economic assessment (家庭经济状况核对) of a household over a window (normally the
    previous 12 months), reused by every programme and by the relapse monitoring. The counted
    income and the per-capita figure are computed once, when recorded (actions.do_record_assessment),
    with the exclusions then in force, and kept with the assessment."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE,
                                  related_name="assessments", verbose_name=_("家庭户"))
    assessed_on = models.DateField(_("核对日期"))
    window_start = models.DateField(_("收入计算期起"))
    window_end = models.DateField(_("收入计算期止"))
    months = models.PositiveSmallIntegerField(_("计算期月数"))
    members_counted = models.PositiveSmallIntegerField(_("共同生活成员数"))
    income_total = models.DecimalField(_("计算期收入合计（元）"), max_digits=14, decimal_places=2)
    income_counted = models.DecimalField(_("计入的收入（元）"), max_digits=14, decimal_places=2)
    rigid_spending = models.DecimalField(_("刚性支出合计（元）"), max_digits=14, decimal_places=2,
                                         default=0)
    per_capita_monthly = models.DecimalField(_("人均月收入（元）"), max_digits=12,
                                             decimal_places=2)
    savings = models.DecimalField(_("存款及有价证券（元）"), max_digits=14, decimal_places=2,
                                  default=0)
    vehicles = models.PositiveSmallIntegerField(_("机动车（辆）"), default=0)
    homes = models.PositiveSmallIntegerField(_("住房（套）"), default=0)
    business_stake = models.DecimalField(_("经营性资产（元）"), max_digits=14, decimal_places=2,
                                         default=0)
    assets_within_rules = models.BooleanField(_("财产状况符合规定"), default=True)
    emergency = models.CharField(_("急难情形"), max_length=100, blank=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("核对人"))
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        ordering = ["-assessed_on", "-id"]
        verbose_name = _("家庭经济状况核对")
        verbose_name_plural = _("家庭经济状况核对")

    def __str__(self) -> str:
        return f"{self.household.number} {self.assessed_on}"


class IncomeItem(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="incomes",
                                   verbose_name=_("核对"))
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.CASCADE,
                               related_name="+", verbose_name=_("成员（空为全户）"))
    kind = models.CharField(_("收入类型"), max_length=30, choices=IncomeKind.choices)
    amount = models.DecimalField(_("计算期金额（元）"), max_digits=14, decimal_places=2)
    excluded = models.BooleanField(_("不计入"), default=False)

    class Meta:
        verbose_name = _("收入")
        verbose_name_plural = _("收入")


class SpendingItem(models.Model):
    class Kind(models.TextChoices):
        MEDICAL = "medical", _("医疗")
        EDUCATION = "education", _("教育")
        DISABILITY = "disability", _("残疾康复")
        DISASTER = "disaster", _("灾害")
        OTHER = "other", _("其他刚性支出")

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE,
                                   related_name="spending", verbose_name=_("核对"))
    kind = models.CharField(_("支出类型"), max_length=20, choices=Kind.choices)
    amount = models.DecimalField(_("计算期金额（元）"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("刚性支出")
        verbose_name_plural = _("刚性支出")


class Programme(models.TextChoices):
    DIBAO = "dibao", _("低保")
    EDGE = "edge", _("低保边缘")
    TEKUN = "tekun", _("特困")
    ORPHAN = "orphan", _("孤儿")
    TEMPORARY = "temporary", _("临时救助")


class Procedure(models.Model):
    """Local procedure settings of a region from a date (configuration, never code): the length
    of the 公示, the review interval by category (A.2: yearly for those who cannot work and have
    no income, half-yearly for the partly able, ill or disabled, quarterly for households able to
    work), the day of the month by which benefits are due (the on-time indicator), whether a
    new benefit is paid for the whole month of its decision or from the month after, and whether
    the decision is delegated to the street (审核确认权下放: the street decides from that date)."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, verbose_name=_("适用区划"))
    valid_from = models.DateField(_("执行日期"))
    publicity_days = models.PositiveSmallIntegerField(_("公示天数"), default=7)
    review_months_unable = models.PositiveSmallIntegerField(_("复核间隔：无劳动能力（月）"),
                                                            default=12)
    review_months_partial = models.PositiveSmallIntegerField(
        _("复核间隔：部分劳动能力、重病或残疾（月）"), default=6)
    review_months_able = models.PositiveSmallIntegerField(_("复核间隔：有劳动能力（月）"), default=3)
    payment_due_day = models.PositiveSmallIntegerField(_("每月发放截止日"), default=10)
    after_review_days = models.PositiveSmallIntegerField(
        _("先行救助补办审核时限（天）"), default=10,
        help_text=_("急难型临时救助先行发放后，须在此天数内补齐审核确认手续；资料未给出全国统一时限，"
                    "默认10天，请按本地规定设置"))
    class FirstMonth(models.TextChoices):
        WHOLE = "whole", _("认定当月全月发放")
        NEXT = "next", _("自认定次月起发放")

    first_month = models.CharField(
        _("起发月份"), max_length=10, choices=FirstMonth.choices, default=FirstMonth.WHOLE,
        help_text=_("新认定（或恢复）的待遇：认定当月即全月发放，或自认定的次月起发放；"
                    "每月待遇按该月在用的规则生成"))
    street_decides = models.BooleanField(
        _("审核确认权下放街道"), default=False,
        help_text=_("自执行日期起，由街道（乡镇）而非区民政局作出认定或不予认定的决定"))
    source = models.CharField(_("依据"), max_length=300)
    verified = models.BooleanField(_("已核实"), default=False)

    class Meta:
        ordering = ["region_id", "-valid_from"]
        verbose_name = _("救助办理规则")
        verbose_name_plural = _("救助办理规则")
        constraints = [models.UniqueConstraint(fields=["region", "valid_from"],
                                               name="assist_procedure_unique")]

    def __str__(self) -> str:
        return f"{self.region_id} {self.valid_from}"


class Enrolment(models.Model):
    """An application to a programme and its course (A.5 §4); transitions in actions.py::

        applied ──review──▶ reviewed ──publicise──▶ publicised ──decide──▶ enrolled | refused
        enrolled ──pause──▶ paused ──resume──▶ enrolled ;  enrolled | paused ──end──▶ exited

    `region` copies the household's (payment cycles select by it, one indexed prefix)."""

    class State(models.TextChoices):
        APPLIED = "applied", _("已申请")
        REVIEWED = "reviewed", _("街道已审核")
        PUBLICISED = "publicised", _("公示中")
        ENROLLED = "enrolled", _("在保")
        REFUSED = "refused", _("不予认定")
        PAUSED = "paused", _("暂停")
        EXITED = "exited", _("已退出")

    class Mode(models.TextChoices):
        NONE = "", _("—")
        CENTRALISED = "centralised", _("集中供养")
        DISPERSED = "dispersed", _("分散供养")

    household = models.ForeignKey(Household, on_delete=models.PROTECT,
                                  related_name="enrolments", verbose_name=_("家庭户"))
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="enrolments",
                               verbose_name=_("保障对象（特困、孤儿为个人）"))
    payee = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("领取人"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, verbose_name=_("所在社区/村"))
    area = models.CharField(_("城乡"), max_length=10, choices=Household.Area.choices)
    programme = models.CharField(_("项目"), max_length=20, choices=Programme.choices)
    mode = models.CharField(_("供养方式"), max_length=20, choices=Mode.choices, blank=True,
                            default="")
    state = models.CharField(_("状态"), max_length=20, choices=State.choices,
                             default=State.APPLIED, db_index=True)
    applied_on = models.DateField(_("申请日期"))
    consent_on = models.DateField(_("授权核对日期"))
    assessment = models.ForeignKey(Assessment, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("经济状况核对"))
    computed_verdict = models.CharField(_("测算结论"), max_length=10, blank=True)
    computed_rule = models.CharField(_("测算依据"), max_length=500, blank=True)
    publicity_start = models.DateField(_("公示开始"), null=True, blank=True)
    publicity_end = models.DateField(_("公示结束"), null=True, blank=True)
    decided_on = models.DateField(_("认定日期"), null=True, blank=True)
    decision_reason = models.CharField(_("认定理由"), max_length=500, blank=True,
                                       help_text=_("不予认定的理由，或与测算结论不同时的书面理由"))
    per_capita_income = models.DecimalField(_("认定时人均月收入（元）"), max_digits=12,
                                            decimal_places=2, default=0)
    members_covered = models.PositiveSmallIntegerField(_("保障人数"), default=1)
    award_amount = models.DecimalField(
        _("临时救助金额（元）"), max_digits=10, decimal_places=2, null=True, blank=True,
        help_text=_("临时救助一次性发放的金额，认定时确定，在认定后的第一个发放周期发放一次"))
    next_review_on = models.DateField(_("下次复核"), null=True, blank=True, db_index=True)
    # 先行救助 (急难型临时救助, A.2): the street pays first from its 备用金 and the decision is
    # reviewed afterwards (enrolment.do_pay_first / do_after_review)
    paid_first = models.BooleanField(
        _("先行救助"), default=False,
        help_text=_("街道先行从备用金发放，事后补办审核确认；不再经发放周期发放"))
    after_review_due = models.DateField(_("补办审核期限"), null=True, blank=True)
    after_review_outcome = models.CharField(
        _("补办审核结论"), max_length=10, blank=True, default="",
        choices=[("", _("待补审")), ("confirmed", _("补审确认")),
                 ("refused", _("补审不予确认"))])
    after_review_on = models.DateField(_("补办审核日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["-applied_on", "-id"]
        verbose_name = _("救助申请与认定")
        verbose_name_plural = _("救助申请与认定")
        indexes = [models.Index(fields=["state", "programme", "region"])]

    def __str__(self) -> str:
        return f"{self.household.number} {self.get_programme_display()}"


class EnrolmentEvent(models.Model):
    """One step of an enrolment, append-only, with the day it takes effect (`effective_on`):
    applied, reviewed, publicised, enrolled (also a resumption after a pause, and a change of the
    benefit: the members covered, the assessment and the per-capita income from that day),
    refused, paused, exited. The programme counts
    "as of" a day (indicators/sources_assistance.py) read the latest event effective on or
    before it, never the enrolment's current state, so last year's figures stay last year's
    after this year's changes. Written only by enrolment.py (and the demo, the back-fill)."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="events",
                                  verbose_name=_("救助申请"))
    state = models.CharField(_("变为"), max_length=20, choices=Enrolment.State.choices)
    effective_on = models.DateField(_("生效日期"))
    members_covered = models.PositiveSmallIntegerField(_("保障人数"), default=1)
    # the basis of the benefit from this event on (payments.amount_due reads the latest
    # `enrolled` event of a month): the assessment and per-capita income in force then, so a
    # cycle for a past month pays what was due in it even after a later re-assessment
    assessment = models.ForeignKey(Assessment, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("经济状况核对"))
    per_capita_income = models.DecimalField(_("人均月收入（元）"), max_digits=12,
                                            decimal_places=2, default=0)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("操作人"))
    note = models.CharField(_("说明"), max_length=500, blank=True)
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        ordering = ["effective_on", "at", "id"]
        indexes = [models.Index(fields=["enrolment", "effective_on"],
                                name="assist_event_enrolment_day")]
        verbose_name = _("办理记录")
        verbose_name_plural = _("办理记录")


class Objection(models.Model):
    """An objection raised during the 公示; the decision waits until every one is answered."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="objections",
                                  verbose_name=_("救助申请"))
    received_on = models.DateField(_("收到日期"))
    text = models.CharField(_("异议内容"), max_length=500)
    answer = models.CharField(_("核查结果"), max_length=500, blank=True)
    upheld = models.BooleanField(_("异议成立"), null=True, blank=True)

    class Meta:
        ordering = ["received_on", "id"]
        verbose_name = _("公示异议")
        verbose_name_plural = _("公示异议")


class Review(models.Model):
    """A periodic review task (动态管理) for the community worker; its outcome keeps, changes,
    pauses or ends the benefit."""

    class Outcome(models.TextChoices):
        PENDING = "", _("待复核")
        KEEP = "keep", _("继续保障")
        CHANGE = "change", _("调整保障金额")
        PAUSE = "pause", _("暂停")
        END = "end", _("退出")
        CONFIRMED = "confirmed", _("补审确认")
        REFUSED = "refused", _("补审不予确认")

    class Kind(models.TextChoices):
        PERIODIC = "periodic", _("定期复核")
        AFTER_REVIEW = "after_review", _("先行救助补办审核")

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="reviews",
                                  verbose_name=_("救助对象"))
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices,
                            default=Kind.PERIODIC)
    due_on = models.DateField(_("应复核日期"), db_index=True)
    done_on = models.DateField(_("完成日期"), null=True, blank=True)
    outcome = models.CharField(_("复核结论"), max_length=10, choices=Outcome.choices, blank=True,
                               default="")
    note = models.CharField(_("说明"), max_length=300, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+",
                                verbose_name=_("复核人"))

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("复核任务")
        verbose_name_plural = _("复核任务")


class Cycle(models.Model):
    """One monthly payment round of a district (A.5 §6). The order is enforced here and in
    payments.py, never in a page::

        draft ──generate──▶ to_approve ──approve──▶ approved ──(batches exported, reconciled)──▶
        paid ──close──▶ closed

    Entitlements are approved only once their cycle is approved (OpenSPP #538)."""

    class State(models.TextChoices):
        DRAFT = "draft", _("草稿")
        TO_APPROVE = "to_approve", _("待审批")
        APPROVED = "approved", _("已审批")
        PAID = "paid", _("已发放")
        CLOSED = "closed", _("已结束")

    region = models.ForeignKey(Region, on_delete=models.PROTECT, verbose_name=_("区县"))
    month = models.DateField(_("发放月份"), help_text=_("当月1日"))
    state = models.CharField(_("状态"), max_length=20, choices=State.choices,
                             default=State.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("创建人"))
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("审批人"))
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    generated = models.BooleanField(_("演示生成"), default=False)

    class Meta:
        ordering = ["-month", "region_id"]
        verbose_name = _("发放周期")
        verbose_name_plural = _("发放周期")
        constraints = [models.UniqueConstraint(fields=["region", "month"],
                                               name="assist_cycle_one_per_month")]

    def __str__(self) -> str:
        return f"{self.region_id} {self.month:%Y-%m}"


class PaymentBatch(models.Model):
    """A bank batch (一卡通 批量代发) of a cycle: the first one, then follow-up batches that retry
    the payments the bank returned as failed."""

    class Kind(models.TextChoices):
        REGULAR = "regular", _("正常发放")
        RETRY = "retry", _("失败重发")

    class State(models.TextChoices):
        EXPORTED = "exported", _("已导出，待银行回盘")
        RECONCILED = "reconciled", _("已对账")

    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="batches",
                              verbose_name=_("发放周期"))
    seq = models.PositiveSmallIntegerField(_("批次号"))
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    state = models.CharField(_("状态"), max_length=20, choices=State.choices,
                             default=State.EXPORTED)
    exported_at = models.DateTimeField(_("导出时间"))
    exported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("导出人"))
    reconciled_at = models.DateTimeField(_("对账时间"), null=True, blank=True)

    class Meta:
        ordering = ["cycle_id", "seq"]
        verbose_name = _("发放批次")
        verbose_name_plural = _("发放批次")
        constraints = [models.UniqueConstraint(fields=["cycle", "seq"],
                                               name="assist_batch_seq_unique")]

    def __str__(self) -> str:
        return f"{self.cycle} #{self.seq}"


class Payment(models.Model):
    """One transfer to one person's card in a batch: the sum of their approved entitlements of the
    cycle, with the account as it was when the batch was issued (a later change of card does not
    rewrite history). A person has at most one live (issued or paid) payment per cycle: a DB
    constraint, so no retry or double export can pay anyone twice (HOPE #4233)."""

    class Status(models.TextChoices):
        ISSUED = "issued", _("已发送银行")
        PAID = "paid", _("已到账")
        FAILED = "failed", _("失败")

    batch = models.ForeignKey(PaymentBatch, on_delete=models.PROTECT, related_name="payments",
                              verbose_name=_("批次"))
    # cycle, person: indexed together below; region copies the person's (for the figures by
    # region), without a second FK check per row of a 200,000-row batch
    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="payments",
                              verbose_name=_("发放周期"), db_index=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="payments",
                               verbose_name=_("领取人"), db_index=False)
    region = models.ForeignKey(Region, on_delete=models.DO_NOTHING, verbose_name=_("所在社区/村"),
                               db_index=False, db_constraint=False, related_name="+")
    amount = models.DecimalField(_("金额（元）"), max_digits=12, decimal_places=2)
    bank_name = models.CharField(_("开户银行"), max_length=50, blank=True)
    account = models.CharField(_("账号（发放时）"), max_length=30, blank=True)
    account_name = models.CharField(_("户名（发放时）"), max_length=50)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices,
                              default=Status.ISSUED)
    failure_reason = models.CharField(_("失败原因"), max_length=200, blank=True)
    paid_on = models.DateField(_("到账日期"), null=True, blank=True)

    class Meta:
        ordering = ["batch_id", "id"]
        verbose_name = _("发放记录")
        verbose_name_plural = _("发放记录")
        constraints = [models.UniqueConstraint(
            fields=["cycle", "person"], condition=~models.Q(status="failed"),
            name="assist_one_live_payment_per_person_cycle")]
        indexes = [models.Index(fields=["cycle", "person"])]


class Entitlement(models.Model):
    """What one enrolment is owed in one cycle (A.5 §6), generated for every enrolled household
    by SQL (payments.py): 低保 = (standard − per-capita income) × members; 特困 and 孤儿 the fixed
    amounts of the region's standards; 低保边缘 the region's edge allowance × members where its
    standards define one; 临时救助 its decided award, once, in the first cycle after the decision. It is paid by its payee's payment of the cycle (one per
    person: the sum of their entitlements; after a failure, the retry)."""

    class State(models.TextChoices):
        DRAFT = "draft", _("待审批")
        APPROVED = "approved", _("已审批")
        REJECTED = "rejected", _("已驳回")

    # a cycle's rows are set work (200,000 at once): the (cycle, enrolment) key is the one index
    # besides the enrolment's; payee and region are copies of the enrolment's, unindexed and
    # without a per-row FK check (the enrolment FK holds them)
    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="entitlements",
                              verbose_name=_("发放周期"), db_index=False)
    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT,
                                  related_name="entitlements", verbose_name=_("救助对象"))
    payee = models.ForeignKey(Person, on_delete=models.DO_NOTHING, related_name="+",
                              verbose_name=_("领取人"), db_index=False, db_constraint=False)
    region = models.ForeignKey(Region, on_delete=models.DO_NOTHING, verbose_name=_("所在社区/村"),
                               db_index=False, db_constraint=False, related_name="+")
    programme = models.CharField(_("项目"), max_length=20, choices=Programme.choices)
    amount = models.DecimalField(_("金额（元）"), max_digits=12, decimal_places=2)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices,
                             default=State.DRAFT)
    reject_reason = models.CharField(_("驳回理由"), max_length=200, blank=True)

    class Meta:
        ordering = ["cycle_id", "id"]
        verbose_name = _("应发待遇")
        verbose_name_plural = _("应发待遇")
        constraints = [models.UniqueConstraint(fields=["cycle", "enrolment"],
                                               name="assist_one_entitlement_per_cycle")]

    def save(self, *args, **kwargs):
        # the order of states lives in the model: no entitlement is approved in an unapproved cycle
        if self.state == self.State.APPROVED and self.cycle.state not in (
                Cycle.State.APPROVED, Cycle.State.PAID):
            raise ValidationError(_("发放周期尚未审批，不能审批其中的待遇。"))
        super().save(*args, **kwargs)


class Grievance(models.Model):
    """A grievance (申诉/复核) about a decision or a payment, handled as a case (cases/): the
    case carries the handling, clocks and history; this row ties it to the household and to what
    it is about."""

    class About(models.TextChoices):
        DECISION = "decision", _("认定结果")
        PAYMENT = "payment", _("资金发放")
        OTHER = "other", _("其他")

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="grievances",
                                  verbose_name=_("家庭户"))
    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT,
                                related_name="assistance_grievance", verbose_name=_("案件"))
    about = models.CharField(_("事由"), max_length=10, choices=About.choices)
    enrolment = models.ForeignKey(Enrolment, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="grievances", verbose_name=_("救助申请"))
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="grievances", verbose_name=_("发放记录"))
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("救助申诉")
        verbose_name_plural = _("救助申诉")


# 防返贫 monitoring keeps its models in their own module
from minsheng.assistance.monitoring_models import *  # noqa: F401,F403,E402
