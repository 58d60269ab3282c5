"""Employment services (B.3 of the assistance-employment brief): real-name employment and
unemployment registration, employers and vacancies, job fairs, referrals, internships (就业见习)
and vocational training.

People are the shared registry's `assistance.Person` rows: a job-seeker is registered once, the
same person an assistance household lists. Every record carries the region (community) code it
belongs to, so places/scope.py's prefixes scope it (employment/access.py).

The two registrations are the source of the headline figures (indicators/sources_employment.py):
- `Unemployment` (失业登记): registered on a date, ended on a date (by employment, or otherwise);
  a person is registered unemployed at a date when registered before it and not ended by then;
- `Employment` (就业登记): a job taken on a date (with the unemployment spell it ends, if any),
  left on a date, with the reason (natural attrition: retirement, death).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from minsheng.assistance.models import Person
from minsheng.places.models import Organisation, Region


class Unemployment(models.Model):
    """失业登记: one spell of registered unemployment, with the person's priority groups as they
    were when registered."""

    class Reason(models.TextChoices):
        GRADUATE = "graduate", _("毕业未就业")
        CONTRACT_END = "contract_end", _("劳动合同期满")
        DISMISSED = "dismissed", _("被解除劳动合同")
        RESIGNED = "resigned", _("个人辞职")
        BUSINESS_CLOSED = "business_closed", _("个体经营停业")
        DISCHARGED = "discharged", _("退役未就业")
        OTHER = "other", _("其他")

    class End(models.TextChoices):
        EMPLOYED = "employed", _("实现就业")
        RETIRED = "retired", _("达到退休年龄")
        MOVED = "moved", _("迁出本地")
        STUDY = "study", _("入学或参军")
        CANCELLED = "cancelled", _("本人申请注销")

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="unemployments",
                               verbose_name=_("人员"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, verbose_name=_("登记社区"))
    registered_on = models.DateField(_("登记日期"), db_index=True)
    reason = models.CharField(_("失业原因"), max_length=20, choices=Reason.choices)
    desired_work = models.CharField(_("求职意向"), max_length=100, blank=True)
    skills = models.CharField(_("技能特长"), max_length=200, blank=True)
    # priority groups (重点群体) at registration
    graduate_year = models.PositiveSmallIntegerField(_("离校年份（高校毕业生）"), null=True,
                                                     blank=True)
    veteran = models.BooleanField(_("退役军人"), default=False)
    hard_to_employ = models.BooleanField(_("就业困难人员"), default=False)
    out_of_poverty = models.BooleanField(_("脱贫劳动力"), default=False)
    disabled = models.BooleanField(_("残疾人"), default=False)
    zero_employment_household = models.BooleanField(_("零就业家庭成员"), default=False)
    ended_on = models.DateField(_("注销日期"), null=True, blank=True, db_index=True)
    end_reason = models.CharField(_("注销原因"), max_length=20, choices=End.choices, blank=True)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="+",
                                      verbose_name=_("登记人"))
    generated = models.BooleanField(_("演示生成"), default=False)

    class Meta:
        ordering = ["-registered_on", "-pk"]
        verbose_name = _("失业登记")
        verbose_name_plural = _("失业登记")
        indexes = [models.Index(fields=["region", "registered_on"])]

    def __str__(self) -> str:
        return f"{self.person} · {self.registered_on}"

    @property
    def open(self) -> bool:
        return self.ended_on is None


class Employer(models.Model):
    """A unit that posts vacancies or hosts interns. `organisation` links it to a places
    organisation when its staff have accounts (the employer role's memberships point there)."""

    name = models.CharField(_("单位名称"), max_length=200)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, verbose_name=_("所在区划"))
    industry = models.CharField(_("行业"), max_length=50, blank=True)
    internship_base = models.BooleanField(_("就业见习基地"), default=False)
    organisation = models.OneToOneField(Organisation, null=True, blank=True,
                                        on_delete=models.SET_NULL, related_name="employer",
                                        verbose_name=_("对应组织机构（单位账号）"))
    generated = models.BooleanField(_("演示生成"), default=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("用人单位")
        verbose_name_plural = _("用人单位")

    def __str__(self) -> str:
        return self.name


class Employment(models.Model):
    """就业登记: a job taken. `ends` is the unemployment spell it ended (失业人员再就业)."""

    class Kind(models.TextChoices):
        UNIT = "unit", _("单位就业")
        SELF = "self", _("自主创业/个体经营")
        FLEXIBLE = "flexible", _("灵活就业")
        PUBLIC_WELFARE = "public_welfare", _("公益性岗位")

    class Left(models.TextChoices):
        RETIRED = "retired", _("退休")
        DIED = "died", _("死亡")
        QUIT = "quit", _("离职")
        DISMISSED = "dismissed", _("解除劳动合同")

    NATURAL_ATTRITION = (Left.RETIRED, Left.DIED)  # 自然减员

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="employments",
                               verbose_name=_("人员"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, verbose_name=_("登记社区"))
    employed_on = models.DateField(_("就业日期"), db_index=True)
    kind = models.CharField(_("就业形式"), max_length=20, choices=Kind.choices, default=Kind.UNIT)
    employer = models.ForeignKey(Employer, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="employments", verbose_name=_("用人单位"))
    employer_name = models.CharField(_("单位名称"), max_length=200, blank=True)
    ends = models.OneToOneField(Unemployment, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="employment", verbose_name=_("结束的失业登记"))
    left_on = models.DateField(_("离岗日期"), null=True, blank=True, db_index=True)
    left_reason = models.CharField(_("离岗原因"), max_length=20, choices=Left.choices, blank=True)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="+",
                                      verbose_name=_("登记人"))
    generated = models.BooleanField(_("演示生成"), default=False)

    class Meta:
        ordering = ["-employed_on", "-pk"]
        verbose_name = _("就业登记")
        verbose_name_plural = _("就业登记")
        indexes = [models.Index(fields=["region", "employed_on"])]

    def __str__(self) -> str:
        return f"{self.person} · {self.employed_on}"


class Vacancy(models.Model):
    class Kind(models.TextChoices):
        REGULAR = "regular", _("普通岗位")
        PUBLIC_WELFARE = "public_welfare", _("公益性岗位")
        INTERNSHIP = "internship", _("见习岗位")

    employer = models.ForeignKey(Employer, on_delete=models.PROTECT, related_name="vacancies",
                                 verbose_name=_("用人单位"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, verbose_name=_("工作地点"))
    title = models.CharField(_("岗位名称"), max_length=100)
    kind = models.CharField(_("岗位类型"), max_length=20, choices=Kind.choices,
                            default=Kind.REGULAR)
    positions = models.PositiveIntegerField(_("招聘人数"), default=1)
    wage_min = models.DecimalField(_("月薪下限（元）"), max_digits=9, decimal_places=0,
                                   null=True, blank=True)
    wage_max = models.DecimalField(_("月薪上限（元）"), max_digits=9, decimal_places=0,
                                   null=True, blank=True)
    requirements = models.CharField(_("任职要求"), max_length=300, blank=True)
    posted_on = models.DateField(_("发布日期"), db_index=True)
    closes_on = models.DateField(_("截止日期"), null=True, blank=True)
    public = models.BooleanField(_("公开发布"), default=True)
    generated = models.BooleanField(_("演示生成"), default=False)

    class Meta:
        ordering = ["-posted_on", "-pk"]
        verbose_name = _("岗位")
        verbose_name_plural = _("岗位")

    def __str__(self) -> str:
        return f"{self.employer} · {self.title}"


class Event(models.Model):
    class Kind(models.TextChoices):
        FAIR = "fair", _("现场招聘会")
        ONLINE = "online", _("网络招聘会")
        COMMUNITY = "community", _("送岗进社区")

    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("形式"), max_length=20, choices=Kind.choices)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, verbose_name=_("举办区划"))
    held_on = models.DateField(_("举办日期"), db_index=True)
    venue = models.CharField(_("地点"), max_length=200, blank=True)
    employers = models.ManyToManyField(Employer, blank=True, related_name="events",
                                       verbose_name=_("参会单位"))
    vacancies = models.ManyToManyField(Vacancy, blank=True, related_name="events",
                                       verbose_name=_("提供岗位"))
    visitors = models.PositiveIntegerField(_("入场求职人数"), default=0)
    agreements = models.PositiveIntegerField(_("达成就业意向人数"), default=0)
    public = models.BooleanField(_("公开发布"), default=True)
    generated = models.BooleanField(_("演示生成"), default=False)

    class Meta:
        ordering = ["-held_on", "-pk"]
        verbose_name = _("招聘活动")
        verbose_name_plural = _("招聘活动")

    def __str__(self) -> str:
        return self.name


class Referral(models.Model):
    """A job-seeker put forward for a vacancy (职业介绍), and what came of it."""

    class Status(models.TextChoices):
        REFERRED = "referred", _("已推荐")
        INTERVIEWED = "interviewed", _("已面试")
        HIRED = "hired", _("已录用")
        NOT_HIRED = "not_hired", _("未录用")

    NEXT = {Status.REFERRED: (Status.INTERVIEWED, Status.NOT_HIRED),
            Status.INTERVIEWED: (Status.HIRED, Status.NOT_HIRED)}

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="referrals",
                               verbose_name=_("求职人员"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, verbose_name=_("求职人员社区"))
    vacancy = models.ForeignKey(Vacancy, on_delete=models.PROTECT, related_name="referrals",
                                verbose_name=_("岗位"))
    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="referrals", verbose_name=_("招聘活动"))
    referred_on = models.DateField(_("推荐日期"))
    status = models.CharField(_("结果"), max_length=20, choices=Status.choices,
                              default=Status.REFERRED)
    updated_on = models.DateField(_("更新日期"))
    generated = models.BooleanField(_("演示生成"), default=False)

    class Meta:
        ordering = ["-referred_on", "-pk"]
        verbose_name = _("岗位推荐")
        verbose_name_plural = _("岗位推荐")
        constraints = [models.UniqueConstraint(fields=["person", "vacancy"],
                                               name="referral_once_per_vacancy")]

    def __str__(self) -> str:
        return f"{self.person} → {self.vacancy}"


class LocalRate(models.Model):
    """The dated local figures the internship subsidy is computed from: the monthly minimum wage
    (最低工资标准) of the district and the subsidy shares (e.g. 70 %, 110 % with ≥ 50 % retained)."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, verbose_name=_("区县"))
    valid_from = models.DateField(_("执行日期"))
    minimum_wage = models.DecimalField(_("月最低工资标准（元）"), max_digits=8, decimal_places=2)
    subsidy_share = models.DecimalField(_("见习补贴比例"), max_digits=4, decimal_places=2,
                                        default=0.70)
    retained_share = models.DecimalField(_("留用率达标时的补贴比例"), max_digits=4,
                                         decimal_places=2, default=1.10)
    retention_threshold = models.DecimalField(_("留用率标准"), max_digits=4, decimal_places=2,
                                              default=0.50)

    class Meta:
        ordering = ["region", "-valid_from"]
        verbose_name = _("见习补贴标准")
        verbose_name_plural = _("见习补贴标准")
        constraints = [models.UniqueConstraint(fields=["region", "valid_from"],
                                               name="local_rate_once_per_date")]

    def __str__(self) -> str:
        return f"{self.region} {self.valid_from}"


class Internship(models.Model):
    class Basis(models.TextChoices):
        GRADUATE = "graduate", _("离校2年内未就业高校毕业生")
        YOUTH = "youth", _("16–24岁失业青年")

    person = models.OneToOneField(Person, on_delete=models.PROTECT, related_name="internship",
                                  verbose_name=_("见习人员"))  # once per person
    region = models.ForeignKey(Region, on_delete=models.PROTECT, verbose_name=_("见习人员社区"))
    host = models.ForeignKey(Employer, on_delete=models.PROTECT, related_name="internships",
                             verbose_name=_("见习单位"))
    vacancy = models.ForeignKey(Vacancy, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="internships", verbose_name=_("见习岗位"))
    basis = models.CharField(_("见习对象类别"), max_length=20, choices=Basis.choices)
    starts_on = models.DateField(_("开始日期"), db_index=True)
    months = models.PositiveSmallIntegerField(_("见习期限（月）"))
    monthly_allowance = models.DecimalField(_("月生活补助（元）"), max_digits=8, decimal_places=2)
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)
    retained = models.BooleanField(_("期满留用"), null=True, blank=True)
    generated = models.BooleanField(_("演示生成"), default=False)

    class Meta:
        ordering = ["-starts_on", "-pk"]
        verbose_name = _("就业见习")
        verbose_name_plural = _("就业见习")

    def __str__(self) -> str:
        return f"{self.person} @ {self.host}"


class Course(models.Model):
    """One training class (培训班/期) with its provider, occupation and level."""

    name = models.CharField(_("名称"), max_length=100)
    occupation = models.CharField(_("职业（工种）"), max_length=50)
    level = models.CharField(_("等级"), max_length=20, blank=True)
    provider = models.CharField(_("培训机构"), max_length=100)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, verbose_name=_("举办区划"))
    starts_on = models.DateField(_("开班日期"), db_index=True)
    ends_on = models.DateField(_("结业日期"))
    hours = models.PositiveIntegerField(_("课时"))
    subsidy_per_person = models.DecimalField(_("补贴标准（元/人）"), max_digits=8,
                                             decimal_places=2, default=0)
    generated = models.BooleanField(_("演示生成"), default=False)

    class Meta:
        ordering = ["-starts_on", "-pk"]
        verbose_name = _("培训班")
        verbose_name_plural = _("培训班")

    def __str__(self) -> str:
        return self.name


class Enrolment(models.Model):
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="enrolments",
                               verbose_name=_("培训班"))
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="training_enrolments",
                               verbose_name=_("学员"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="training_enrolments",
                               verbose_name=_("学员社区"))
    completed = models.BooleanField(_("结业"), default=False)
    certificate = models.CharField(_("证书编号"), max_length=50, blank=True)
    employed_within_6m = models.BooleanField(_("结业6个月内就业"), null=True, blank=True)
    subsidy = models.DecimalField(_("补贴金额（元）"), max_digits=8, decimal_places=2, default=0)
    generated = models.BooleanField(_("演示生成"), default=False)

    class Meta:
        ordering = ["course", "pk"]
        verbose_name = _("培训学员")
        verbose_name_plural = _("培训学员")
        constraints = [models.UniqueConstraint(fields=["course", "person"],
                                               name="enrolment_once_per_course")]

    def __str__(self) -> str:
        return f"{self.person} · {self.course}"
