"""{% compound_governance compound as gov %}: what the compound page (places, which may not
import governance; its template loads this library) says of the registry: a change scheduled
for a later day (a takeover that has not started: the company does not manage it yet) and the
registry page, linked for those who may read it. None for a user who is not signed in."""

from __future__ import annotations

from django import template
from django.urls import reverse

from minsheng.governance import access, registry

register = template.Library()


@register.simple_tag(takes_context=True)
def compound_governance(context, compound):
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    readable = access.registry_compounds_for(user).filter(pk=compound.pk).exists()
    return {"scheduled": registry.management_on(compound)["scheduled"],
            "governed": registry.has_history(compound),
            "registry_url": reverse("governance:registry-compound", args=[compound.pk])
            if readable else None}
