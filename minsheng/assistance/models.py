"""The one household and person registry (A.5 §1 of the assistance brief): every programme, the
relapse monitoring (防返贫) and the employment services (`employment/`) point at these rows, so a
person is registered once. Keyed by region code like every operational record (see places/scope.py);
ID and phone numbers are personal fields, masked unless unmasked through accounts.masking."""

from __future__ import annotations

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
from minsheng.assistance.monitoring_models import *  # noqa: F401,F403,E402
