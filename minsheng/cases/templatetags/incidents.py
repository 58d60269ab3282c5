"""{% zero_incident_run compound as run %}: the compound page's 零发案 figure (places may not
import cases; its template loads this library). None for a user who does not read it there."""

from __future__ import annotations

from django import template

from minsheng.cases.incidents import zero_run_of

register = template.Library()


@register.simple_tag(takes_context=True)
def zero_incident_run(context, compound):
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    return zero_run_of(user, compound)
