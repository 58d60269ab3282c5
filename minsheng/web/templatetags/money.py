from __future__ import annotations

from decimal import Decimal

from django import template

from minsheng.projects.budget import yuan_display

register = template.Library()


@register.filter
def yuan(value) -> str:
    """An amount in 元 shown as Chinese reports write it: 亿元, 万元 or 元."""
    if value in (None, ""):
        return "—"
    return yuan_display(Decimal(value))
