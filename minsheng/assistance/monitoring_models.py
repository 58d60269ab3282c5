"""防返贫 monitoring (A.1 and A.5 §7 of the assistance brief): dated thresholds per region, alerts
from any channel, the identification workflow of a monitored household, its risks, assistance
measures and removal reviews. The rules (which threshold is in force, which step follows which,
what the removal review requires) are in assistance/relapse.py; the writers in
assistance/monitoring.py. Every record points at the one registry (Household, Person)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from minsheng.assistance.models import Household, Person
from minsheng.places.models import Region

__all__ = ["MonitoringThreshold", "MonitoringCase", "CaseRisk", "MonitoringStep", "Alert",
           "Measure", "RemovalReview"]


class MonitoringThreshold(models.Model):
    """A local rule as data: in force in the region's subtree from `valid_from` (to `valid_to`),
    with the document it comes from and whether someone checked it against that document."""

    class Kind(models.TextChoices):
        MONITORING_LINE = "monitoring_line", _("监测范围（家庭年人均纯收入，元）")
        POVERTY_LINE = "poverty_line", _("脱贫标准（家庭年人均纯收入，元）")
        MEDICAL = "medical", _("医疗自付费用预警线（元）")
        DISASTER = "disaster", _("灾害损失预警线（元）")
        ACCIDENT = "accident", _("意外事故支出预警线（元）")
        SCHOOLING = "schooling", _("教育支出预警线（元）")
        ALERT_DAYS = "alert_days", _("预警处置时限（天）")
        WORKING_AGE_FROM = "working_age_from", _("法定劳动年龄下限（周岁）")
        WORKING_AGE_MALE = "working_age_male", _("男性劳动年龄上限（周岁，不含）")
        WORKING_AGE_FEMALE = "working_age_female", _("女性劳动年龄上限（周岁，不含）")

    region = models.ForeignKey(Region, on_delete=models.PROTECT, verbose_name=_("适用区划"))
    kind = models.CharField(_("类别"), max_length=20, choices=Kind.choices)
    amount = models.DecimalField(_("数值"), max_digits=12, decimal_places=2)
    valid_from = models.DateField(_("起始日期"))
    valid_to = models.DateField(_("截止日期"), null=True, blank=True)
    source = models.CharField(_("依据"), max_length=300, blank=True)
    verified = models.BooleanField(_("已核对依据"), default=False)

    class Meta:
        ordering = ["region_id", "kind", "-valid_from"]
        verbose_name = _("防返贫监测标准")
        verbose_name_plural = _("防返贫监测标准")
        constraints = [models.UniqueConstraint(fields=["region", "kind", "valid_from"],
                                               name="monitoring_threshold_unique")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}（{self.valid_from}起）"


class MonitoringCase(models.Model):
    """One episode of a household in monitoring, from the first alert to dismissal or removal.
    A household whose risk was removed and that meets a new risk gets a new case (re-entry)."""

    class State(models.TextChoices):
        HOME_CHECK = "home_check", _("待入户核查")
        CONSENT = "consent", _("待承诺授权")
        DATA_MATCH = "data_match", _("待信息比对")
        VILLAGE_REVIEW = "village_review", _("待民主评议")
        NOTICE = "notice", _("村级公示中")
        TOWN_REVIEW = "town_review", _("待乡镇审核")
        DISTRICT_APPROVAL = "district_approval", _("待区级审定")
        MONITORED = "monitored", _("监测帮扶中")
        REMOVED = "removed", _("风险已消除")
        DISMISSED = "dismissed", _("不予纳入")

    class Category(models.TextChoices):
        UNSTABLE_EXITED = "unstable_exited", _("脱贫不稳定户")
        MARGINAL = "marginal", _("边缘易致贫户")
        SUDDEN_HARDSHIP = "sudden_hardship", _("突发严重困难户")

    household = models.ForeignKey(Household, on_delete=models.PROTECT,
                                  related_name="monitoring_cases", verbose_name=_("家庭户"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, verbose_name=_("所在社区/村"))
    state = models.CharField(_("状态"), max_length=20, choices=State.choices,
                             default=State.HOME_CHECK, db_index=True)
    category = models.CharField(_("监测类别"), max_length=20, choices=Category.choices,
                                blank=True)
    per_capita_income = models.DecimalField(_("家庭年人均纯收入（元）"), max_digits=12,
                                            decimal_places=2, null=True, blank=True)
    rigid_spending = models.DecimalField(_("刚性支出（元）"), max_digits=12, decimal_places=2,
                                         default=0)
    monitoring_line = models.DecimalField(_("认定时监测范围（元）"), max_digits=12,
                                          decimal_places=2, null=True, blank=True)
    poverty_line = models.DecimalField(_("认定时脱贫标准（元）"), max_digits=12,
                                       decimal_places=2, null=True, blank=True)
    opened_on = models.DateField(_("发现日期"))
    identified_on = models.DateField(_("纳入监测日期"), null=True, blank=True, db_index=True)
    closed_on = models.DateField(_("结束日期"), null=True, blank=True)
    dismiss_reason = models.CharField(_("不予纳入原因"), max_length=300, blank=True)
    note = models.TextField(_("情况说明"), blank=True)
    generated = models.BooleanField(_("演示生成"), default=False)

    class Meta:
        ordering = ["-opened_on", "-pk"]
        verbose_name = _("防返贫监测对象")
        verbose_name_plural = _("防返贫监测对象")
        indexes = [models.Index(fields=["region", "state"])]

    def __str__(self) -> str:
        return f"{self.household.number}（{self.get_state_display()}）"


class CaseRisk(models.Model):
    """A risk type of a monitored household (multi-valued, a catalogue in relapse.RISKS)."""

    class Risk(models.TextChoices):
        ILLNESS = "illness", _("因病")
        DISABILITY = "disability", _("因残")
        DISASTER = "disaster", _("因灾")
        ACCIDENT = "accident", _("因意外事故")
        EPIDEMIC = "epidemic", _("因疫")
        SCHOOLING = "schooling", _("因学")
        HOUSING = "housing", _("住房安全")
        WATER = "water", _("饮水安全")
        INCOME_BUSINESS = "income_business", _("产业经营收入骤减")
        INCOME_JOB = "income_job", _("务工就业收入骤减")
        OTHER = "other", _("其他")

    case = models.ForeignKey(MonitoringCase, on_delete=models.CASCADE, related_name="risks",
                             verbose_name=_("监测对象"))
    risk = models.CharField(_("风险类型"), max_length=20, choices=Risk.choices)

    class Meta:
        verbose_name = _("风险类型")
        verbose_name_plural = _("风险类型")
        constraints = [models.UniqueConstraint(fields=["case", "risk"], name="case_risk_unique")]

    def __str__(self) -> str:
        return self.get_risk_display()


class MonitoringStep(models.Model):
    """The case's history: each step of the workflow, who took it and when (append-only)."""

    case = models.ForeignKey(MonitoringCase, on_delete=models.CASCADE, related_name="steps",
                             verbose_name=_("监测对象"))
    step = models.CharField(_("步骤"), max_length=30)
    from_state = models.CharField(_("原状态"), max_length=20, blank=True)
    to_state = models.CharField(_("新状态"), max_length=20)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                           on_delete=models.SET_NULL, verbose_name=_("办理人"))
    at = models.DateTimeField(_("办理时间"))
    note = models.CharField(_("说明"), max_length=500, blank=True)

    class Meta:
        ordering = ["case_id", "at", "pk"]
        verbose_name = _("监测办理记录")
        verbose_name_plural = _("监测办理记录")

    def __str__(self) -> str:
        return f"{self.step} {self.at:%Y-%m-%d}"


class Alert(models.Model):
    """A signal that a household may be at risk, from any channel; handled within the region's
    预警处置时限 by opening (or joining) a monitoring case, or dismissed with a reason."""

    class Channel(models.TextChoices):
        SELF_REPORT = "self_report", _("农户自主申报")
        CADRE_VISIT = "cadre_visit", _("基层干部排查")
        DEPT_WARNING = "dept_warning", _("部门筛查预警")
        SUPERVISION = "supervision", _("监督渠道反馈")
        PLATFORM = "platform", _("平台监测分析")

    class State(models.TextChoices):
        OPEN = "open", _("待处置")
        HANDLED = "handled", _("已处置")

    class Outcome(models.TextChoices):
        NONE = "", _("—")
        OPENED = "opened", _("启动识别程序")
        JOINED = "joined", _("并入在监测对象")
        DISMISSED = "dismissed", _("核实后不予纳入")

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="alerts",
                                  verbose_name=_("家庭户"))
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL,
                               verbose_name=_("涉及人员"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, verbose_name=_("所在社区/村"))
    channel = models.CharField(_("发现渠道"), max_length=20, choices=Channel.choices)
    source_list = models.CharField(_("数据来源"), max_length=100, blank=True)
    kind = models.CharField(_("预警类别"), max_length=20, blank=True,
                            choices=MonitoringThreshold.Kind.choices)
    risk = models.CharField(_("风险类型"), max_length=20, choices=CaseRisk.Risk.choices)
    amount = models.DecimalField(_("金额（元）"), max_digits=12, decimal_places=2, null=True,
                                 blank=True)
    threshold_amount = models.DecimalField(_("预警线（元）"), max_digits=12, decimal_places=2,
                                           null=True, blank=True)
    event_date = models.DateField(_("发生日期"))
    received_at = models.DateTimeField(_("接收时间"), db_index=True)
    due_at = models.DateTimeField(_("处置期限"))
    state = models.CharField(_("状态"), max_length=10, choices=State.choices,
                             default=State.OPEN, db_index=True)
    outcome = models.CharField(_("处置结果"), max_length=20, choices=Outcome.choices,
                               default="", blank=True)
    handled_at = models.DateTimeField(_("处置时间"), null=True, blank=True)
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("处置人"))
    case = models.ForeignKey(MonitoringCase, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="alerts", verbose_name=_("监测对象"))
    description = models.CharField(_("情况"), max_length=500, blank=True)
    reason = models.CharField(_("不予纳入原因"), max_length=300, blank=True)
    grievance = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("关联诉求"),
        help_text=_("群众就该风险（或对处置结果）提出的诉求、投诉，按诉求件办理"))
    generated = models.BooleanField(_("演示生成"), default=False)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("返贫风险预警")
        verbose_name_plural = _("返贫风险预警")
        indexes = [models.Index(fields=["region", "state"])]

    def __str__(self) -> str:
        return f"{self.household.number} {self.get_risk_display()}"


class Measure(models.Model):
    """An assistance measure for a monitored household, with its dates (some continue after the
    risk is removed: small loans, 公益性岗位, education aid until the school stage ends)."""

    class Kind(models.TextChoices):
        INDUSTRY = "industry", _("产业帮扶")
        EMPLOYMENT = "employment", _("就业帮扶")
        PUBLIC_JOB = "public_job", _("公益性岗位")
        EDUCATION = "education", _("教育帮扶")
        YULU = "yulu", _("雨露计划")
        MEDICAL = "medical", _("医疗保障")
        HOUSING = "housing", _("住房安全保障")
        WATER = "water", _("饮水安全保障")
        SAFETY_NET = "safety_net", _("兜底保障（低保、特困）")
        LOAN = "loan", _("小额信贷")
        OTHER = "other", _("其他")

    case = models.ForeignKey(MonitoringCase, on_delete=models.CASCADE, related_name="measures",
                             verbose_name=_("监测对象"))
    kind = models.CharField(_("帮扶措施"), max_length=20, choices=Kind.choices)
    description = models.CharField(_("内容"), max_length=300, blank=True)
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, verbose_name=_("登记人"))

    class Meta:
        ordering = ["case_id", "start_date", "pk"]
        verbose_name = _("帮扶措施")
        verbose_name_plural = _("帮扶措施")

    def __str__(self) -> str:
        return self.get_kind_display()


class RemovalReview(models.Model):
    """A 风险消除 review: the five conditions as checked on the visit, the two guards computed
    from the records, the result and its reasons (relapse.review_removal)."""

    case = models.ForeignKey(MonitoringCase, on_delete=models.CASCADE, related_name="reviews",
                             verbose_name=_("监测对象"))
    reviewed_on = models.DateField(_("评估日期"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                           on_delete=models.SET_NULL, verbose_name=_("评估人"))
    per_capita_income = models.DecimalField(_("家庭年人均纯收入（元）"), max_digits=12,
                                            decimal_places=2)
    monitoring_line = models.DecimalField(_("当年监测范围（元）"), max_digits=12, decimal_places=2)
    income_stable = models.BooleanField(_("收入持续稳定半年以上"), default=False)
    spending_resolved = models.BooleanField(_("大额刚性支出问题已稳定解决"), default=False)
    guarantees_secure = models.BooleanField(_("“三保障”和饮水安全有保障"), default=False)
    risk_gone = models.BooleanField(_("返贫致贫风险已稳定消除或自然消除"), default=False)
    months_monitored = models.PositiveIntegerField(_("已监测月数"))
    measures = models.PositiveIntegerField(_("帮扶措施数"))
    able_to_work = models.PositiveIntegerField(_("有劳动能力的成员数"))
    passed = models.BooleanField(_("评估通过"))
    reasons = models.TextField(_("评估理由"))

    class Meta:
        ordering = ["case_id", "-reviewed_on", "-pk"]
        verbose_name = _("风险消除评估")
        verbose_name_plural = _("风险消除评估")

    def __str__(self) -> str:
        return f"{self.case} {self.reviewed_on}"
