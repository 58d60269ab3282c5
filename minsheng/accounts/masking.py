"""Masking of personal data (phone and ID numbers) and the audit trail of every unmasking."""

from __future__ import annotations

import re

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
    "assistance.person": ("id_number", "phone", "bank_account"),
    "assistance.payment": ("account",),
    "governance.committeemember": ("phone",),
}
# employment/ records no personal field of its own: its people are assistance.Person rows


# a mobile number (11 digits from 13x to 19x) and an 18-digit resident ID number, each standing alone
MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![0-9A-Za-z])")
# a landline: an area code (010, 0316 …), bare or in ASCII or full-width brackets, an optional
# dash or space, and a 7- or 8-digit local number (which never begins with 0)
LANDLINE = re.compile(
    r"(?<![\d(（])(\(0\d{2,3}\)|（0\d{2,3}）|0\d{2,3})([-－ ]?)([1-9]\d{2,3})(\d{4})(?!\d)")


def _landline(m: re.Match) -> str:
    area, sep, head, tail = m.groups()
    return f"{area}{sep}{'*' * len(head)}{tail}"


def mask_text(text: str) -> str:
    """Free text (a case's description, a handling note) with the mobile, landline and resident
    ID numbers typed into it masked: 138****5678, 0316-***1234 (the area code and the last four
    digits stay), 131002********123X.

    >>> mask_text("电话13812345678，身份证13100219900101123X")
    '电话138****5678，身份证131002********123X'
    >>> mask_text("座机0316-5201234或(0316)5201234，北京010-12345678")
    '座机0316-***1234或(0316)***1234，北京010-****5678'
    """
    text = MOBILE.sub(r"\1****\2", text or "")
    text = ID_NUMBER.sub(r"\1********\2", text)
    return LANDLINE.sub(_landline, text)


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
    # PostgreSQL refuses an action longer than the column where SQLite would store it: say so on
    # every database, at the call that wrote it
    if len(action) > AuditLog._meta.get_field("action").max_length:
        raise ValueError(f"audit action too long for the log: {action!r}")
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
