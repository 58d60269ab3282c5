from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from minsheng.accounts.roles import Role
from minsheng.places.models import Organisation, Region


class Membership(models.Model):
    """A user acts for an organisation, in a role, over a region (and its subtree)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships",
        verbose_name=_("用户"),
    )
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("组织机构"),
    )
    role = models.CharField(_("角色"), max_length=30, choices=Role.choices)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, verbose_name=_("管辖区划"))

    class Meta:
        verbose_name = _("岗位")
        verbose_name_plural = _("岗位")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role", "region"], name="membership_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.region}"


class Profile(models.Model):
    """Personal data of a user: masked to everyone but roles with the right; unmasking is logged."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile",
    )
    real_name = models.CharField(_("姓名"), max_length=50, blank=True)
    phone = models.CharField(_("手机号"), max_length=30, blank=True)
    id_number = models.CharField(_("身份证号"), max_length=18, blank=True)
    home_region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("居住社区"),
    )

    class Meta:
        verbose_name = _("个人信息")
        verbose_name_plural = _("个人信息")

    def __str__(self) -> str:
        return self.real_name or str(self.user)


class AuditLog(models.Model):
    """Append-only record of access to personal data and other sensitive actions."""

    class Action(models.TextChoices):
        UNMASK = "unmask", _("查看个人信息")
        EXPORT = "export", _("导出")
        IMPORT = "import", _("导入")
        DENIED = "denied", _("越权访问被拒绝")
        CREATE = "create", _("新建")
        UPDATE = "update", _("修改")

    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, verbose_name=_("用户"),
    )
    action = models.CharField(_("动作"), max_length=64, choices=Action.choices)
    object_type = models.CharField(_("对象类型"), max_length=50)
    object_id = models.CharField(_("对象编号"), max_length=50, blank=True)
    fields = models.CharField(_("字段"), max_length=200, blank=True)
    region_code = models.CharField(_("区划代码"), max_length=12, blank=True)
    detail = models.CharField(_("说明"), max_length=300, blank=True)
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} {self.action} {self.object_type}"
