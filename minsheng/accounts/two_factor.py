"""Two-factor sign-in (django-otp): a TOTP authenticator app on the phone, with ten one-time
recovery codes for when the phone is lost.

- Who must: anyone whose rights read personal data unmasked (roles.PERSONAL_DATA_RIGHTS) or who can
  use the back office (is_staff, is_superuser) — `must_use(user)` — when settings.REQUIRE_2FA is on
  (`minsheng serve` turns it on unless MINSHENG_REQUIRE_2FA=false; the demo and tests leave it off).
- Whoever has a confirmed device gives a code after the password, forced or not.
- `pending(request)` says what a signed-in session still owes ("verify", "setup" or None);
  accounts.middleware.TwoFactorMiddleware confines such a session to that page and sign-out.
- Failed codes are limited here (`FAILURES`, a lib.http.RateLimit in the shared cache, per user,
  not reset by signing in again with the password) on top of django-otp's own per-device
  throttle (a wait that doubles after each failure). django-axes is not used for codes: its
  counter is reset by every successful password sign-in, which would give fresh guesses.
- The writers (`do_*`) are audited through masking.log.
- Recovery codes are stored as keyed digests (`stored_code`: HMAC-SHA256 under SECRET_KEY and the
  user's id, 80 bits in django-otp's 16-character token field), never in clear: someone who reads
  the database or a backup cannot sign in with them. They are shown once, when made.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from base64 import b32encode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.safestring import SafeString
from django_otp import DEVICE_ID_SESSION_KEY, user_has_device
from django_otp import login as otp_login
from django_otp import verify_token as otp_verify_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from minsheng.accounts import masking
from minsheng.accounts.roles import PERSONAL_DATA_RIGHTS
from minsheng.lib import qr
from minsheng.lib.http import RateLimit
from minsheng.places.scope import scope_of

RECOVERY_CODES = 10
DEVICE_NAME = "authenticator"
# after the password: a 6-digit code from the app, or an 8-character recovery code (shown to the
# user as xxxx-xxxx; spaces and dashes are ignored)
TOTP_CODE = re.compile(r"[0-9]{6}")
RECOVERY_CODE = re.compile(r"[a-z2-7]{8}")
MAX_INPUT = 32  # longer input is refused before any device is asked

FAILURES = RateLimit("two-factor", settings.TWO_FACTOR_FAILURE_LIMIT,
                     settings.TWO_FACTOR_COOLOFF_SECONDS)


def enforced() -> bool:
    return bool(settings.REQUIRE_2FA)


def must_use(user) -> bool:
    """Whether the rules make this user use two-factor sign-in (when enforced): rights, never
    role names."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_staff or user.is_superuser:
        return True
    s = scope_of(user)
    return any(s.has_right(right) for right in PERSONAL_DATA_RIGHTS)


def accounts_without_device() -> list[str]:
    """Active accounts that must use two-factor sign-in and have no device yet (usernames, for
    `minsheng serve` to say)."""
    users = get_user_model().objects.filter(is_active=True).exclude(
        pk__in=TOTPDevice.objects.filter(confirmed=True).values("user_id")).order_by("username")
    return [u.username for u in users.prefetch_related("memberships__organisation")
            if must_use(u)]


def has_device(user) -> bool:
    return user.is_authenticated and user_has_device(user, confirmed=True)


def is_verified(user) -> bool:
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def pending(request) -> str | None:
    """What the signed-in session still owes: "verify" (has a device, no code given yet),
    "setup" (enforced, must use it, has no device yet) or None."""
    user = request.user
    if not user.is_authenticated or is_verified(user):
        return None
    if has_device(user):
        return "verify"
    if enforced() and must_use(user):
        return "setup"
    return None


def needs_code(user) -> bool:
    """A password alone does not sign this user in (HTTP Basic on the API is refused)."""
    return has_device(user) or (enforced() and must_use(user))


# --- setting up --------------------------------------------------------------------------------

def unconfirmed_device(user) -> TOTPDevice:
    """The device being set up: the same key on every reload (the QR code stays still while it is
    scanned) until it is confirmed with a code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def secret_text(device: TOTPDevice) -> str:
    """The key in base32, in groups of four, to type into an app that cannot scan."""
    raw = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(raw[i:i + 4] for i in range(0, len(raw), 4))


def qr_svg(device: TOTPDevice) -> SafeString:
    """The otpauth:// URL as an inline SVG (lib.qr owns how QR codes are drawn)."""
    return qr.svg(device.config_url)


def new_codes(user) -> list[str]:
    """Ten fresh recovery codes, replacing any earlier ones."""
    # the same device keeps a session verified by a recovery code verified
    device = StaticDevice.objects.filter(user=user).order_by("pk").first() or \
        StaticDevice.objects.create(user=user, name="recovery", confirmed=True)
    StaticDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=stored_code(user.pk, c))
                                    for c in codes)
    return codes


def stored_code(user_id: int, code: str) -> str:
    """What is kept of a recovery code: a keyed digest (16 base32 characters, django-otp's token
    field), so the codes cannot be read back from the database or a backup."""
    mac = hmac.new(settings.SECRET_KEY.encode(), f"recovery:{user_id}:{code}".encode(),
                   hashlib.sha256).digest()
    return b32encode(mac[:10]).decode().lower()


def shown(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def remaining_codes(user) -> int:
    return StaticToken.objects.filter(device__user=user).count()


def _log(user, action: str, request, detail: str = "") -> None:
    masking.log(user, action, object_type="auth.user", object_id=str(user.pk), detail=detail,
                request=request)


@transaction.atomic
def do_confirm_device(request, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the device with a code from the app: then it counts, the session is verified and
    ten recovery codes are made (returned, to show once). None when the code is wrong."""
    user = request.user
    if device.user_id != user.pk or device.confirmed or not device.verify_token(code):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    codes = new_codes(user)
    request.session.cycle_key()
    otp_login(request, device)
    _log(user, "two_factor.device_added", request)
    return codes


@transaction.atomic
def do_regenerate_codes(request) -> list[str]:
    codes = new_codes(request.user)
    _log(request.user, "two_factor.codes_regenerated", request)
    return codes


@transaction.atomic
def do_remove(request) -> None:
    """Turn two-factor sign-in off: every device of the user goes (the caller checked a code or
    the password)."""
    user = request.user
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    request.session.pop(DEVICE_ID_SESSION_KEY, None)
    _log(user, "two_factor.device_removed", request)


# --- giving a code -----------------------------------------------------------------------------

def normalise(raw: str) -> str:
    return re.sub(r"[\s\-]", "", raw or "").lower()


def kind_of(code: str) -> str | None:
    """ "totp", "recovery" or None (neither shape: no device is asked, nothing is counted)."""
    if TOTP_CODE.fullmatch(code):
        return "totp"
    if RECOVERY_CODE.fullmatch(code):
        return "recovery"
    return None


def wait_seconds(user) -> int:
    """Seconds until this user may try a code again (0: now)."""
    return FAILURES.wait([f"user:{user.pk}"])


def devices_of(user, kind: str | None) -> list:
    """The user's confirmed devices that take codes of this kind."""
    model = TOTPDevice if kind == "totp" else StaticDevice
    return list(model.objects.devices_for_user(user, confirmed=True))


def held_for(devices) -> int:
    """Seconds django-otp's own throttle (a wait that doubles after each wrong code) still holds
    these devices (0: none)."""
    longest = 0
    for device in devices:
        allowed, data = device.verify_is_allowed()
        if not allowed and data and data.get("locked_until"):
            left = (data["locked_until"] - timezone.now()).total_seconds()
            longest = max(longest, int(left) + 1)
    return longest


def check_code(request, code: str) -> tuple[bool, str | None]:
    """Check a normalised code against the user's devices of its kind; on success the session is
    verified (a recovery code is used up and audited). Returns (ok, kind)."""
    user = request.user
    kind = kind_of(code)
    if kind is None:
        return False, None
    token = stored_code(user.pk, code) if kind == "recovery" else code
    for device in devices_of(user, kind):
        verified = otp_verify_token(user, device.persistent_id, token)
        if verified is not None:
            request.session.cycle_key()  # a new session id for the verified session
            otp_login(request, verified)
            if kind == "recovery":
                _log(user, "two_factor.recovery_code_used", request,
                     detail=f"remaining={remaining_codes(user)}")
            return True, kind
    return False, kind


def record_failure(request) -> int:
    """Count a wrong code (or password on the turn-off page); the seconds to wait now (0 while the
    user may still try). Reaching the limit is audited."""
    user = request.user
    FAILURES.hit([f"user:{user.pk}"])
    wait = wait_seconds(user)
    if wait:
        _log(user, "two_factor.locked", request)
    return wait
