"""The one household and person registry (A.5 §1 of the assistance brief): every programme, the
relapse monitoring (防返贫) and the employment services (`employment/`) point at these rows, so a
person is registered once. Keyed by region code like every operational record (see places/scope.py);
ID and phone numbers are personal fields, masked unless unmasked through accounts.masking."""

from __future__ import annotations

from django.conf import settings
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
