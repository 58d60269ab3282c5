from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from minsheng.lib.money import format_amount

register = template.Library()


@register.filter
def yuan(value) -> str:
    """An amount in 元 shown as Chinese reports write it: 亿元, 万元 or 元."""
    if value in (None, ""):
        return "—"
    return format_amount(value, "auto")


# Translatable names of the project flags (progress.py stays free of Django and keeps Chinese).
FLAG_NAMES = {
    "not_started": _("未开始"), "on_track": _("正常"), "lagging": pgettext_lazy("project flag", "滞后"),
    "at_risk": _("严重滞后"), "overdue": _("逾期未完成"), "completed": _("已完成"),
    "cancelled": _("已终止"),
}


@register.filter
def flag_label(flag: str) -> str:
    return FLAG_NAMES.get(flag, flag)
