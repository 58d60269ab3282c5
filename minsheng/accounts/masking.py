"""Masking of personal data (phone and ID numbers) and the audit trail of every unmasking."""

from __future__ import annotations

from minsheng.accounts.models import AuditLog
from minsheng.accounts.roles import VIEW_PERSONAL
from minsheng.places.scope import scope_of

# Personal fields per model label; everything listed is masked unless explicitly unmasked.
PERSONAL_FIELDS: dict[str, tuple[str, ...]] = {
    "places.compound": ("committee_head_phone",),
    "places.organisation": ("contact_phone",),
    "accounts.profile": ("phone", "id_number"),
    "cases.case": ("reporter_phone",),
    "cases.party": ("phone", "id_number"),
}


def mask(value: str) -> str:
    """138****5678 for phones, 110101********1234 for ID numbers, a few stars otherwise."""
    if not value:
        return ""
    v = str(value)
    if len(v) == 18:  # resident ID number
        return v[:6] + "*" * 8 + v[-4:]
    if len(v) >= 7:
        return v[:3] + "*" * (len(v) - 7) + v[-4:]
    return "*" * len(v)


def can_unmask(user, region_code: str) -> bool:
    return scope_of(user).has_right(VIEW_PERSONAL, region_code)


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None


def log(user, action: str, obj=None, *, object_type: str = "", object_id: str = "",
        fields: str = "", region_code: str = "", detail: str = "", request=None) -> AuditLog:
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        region_code = region_code or getattr(obj, "region_id", "") or ""
    return AuditLog.objects.create(
        user=user if (user is not None and user.is_authenticated) else None,
        action=action, object_type=object_type, object_id=object_id, fields=fields,
        region_code=region_code, detail=detail[:300], ip=client_ip(request),
    )


def personal_values(user, obj, *, unmask: bool = False, request=None) -> dict[str, str]:
    """The personal fields of obj, masked; unmasked (and audited) only when asked and allowed."""
    names = PERSONAL_FIELDS.get(obj._meta.label_lower, ())
    values = {n: getattr(obj, n) or "" for n in names}
    region = getattr(obj, "region_id", "") or ""
    if unmask and can_unmask(user, region) and any(values.values()):
        log(user, AuditLog.Action.UNMASK, obj, fields=",".join(names), request=request)
        return values
    return {n: mask(v) for n, v in values.items()}
