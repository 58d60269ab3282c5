"""Rules that other apps hold over places' records, registered by those apps (places imports no
app above it: the app that owns a rule fills it in here from its AppConfig.ready()).

A compound check is called with the compound as stored (None for a new one) and the values a
change would store (field name → clean value; a foreign key as a model instance, its key or
None) and answers {field name: [message, …]} for the values it refuses. The compound form, the
JSON API and the table import ask `compound_problems` before they write, and show each message
on its field (the form, the API) or on its row and column (the import, which then refuses the
whole file). Governance registers the registry's and the committees' facts here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from minsheng.places.models import Compound

__all__ = ["compound_problems", "register_compound_check"]

CompoundCheck = Callable[[Compound | None, dict[str, Any]], dict[str, list[str]]]
_compound_checks: list[CompoundCheck] = []


def register_compound_check(check: CompoundCheck) -> None:
    """Add a compound check (once: registering the same function again changes nothing)."""
    if check not in _compound_checks:
        _compound_checks.append(check)


def compound_problems(compound: Compound | None, values: dict[str, Any]) -> dict[str, list[str]]:
    """Every registered check's refusals of `values` for `compound` (None: a new compound),
    merged by field; empty when all accept them."""
    out: dict[str, list[str]] = {}
    for check in _compound_checks:
        for field, messages in check(compound, values).items():
            out.setdefault(field, []).extend(messages)
    return out
