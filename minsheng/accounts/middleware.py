"""The gates that hold a password-only sign-in to what two-factor sign-in asks (two_factor.py):
the session middleware for pages, the back office and the API, and HTTP Basic on the API; and
the idle sign-out's clock (SessionRefreshMiddleware)."""

from __future__ import annotations

import time

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from rest_framework.authentication import BasicAuthentication
from rest_framework.exceptions import AuthenticationFailed

from minsheng.accounts import two_factor

# What a session that owes a code (or a device) may still reach, beside the page that asks for it.
ALWAYS_OPEN = frozenset({"web:logout", "set_language", "web:healthz"})
PAGE = {"verify": "accounts:two-factor-verify", "setup": "accounts:two-factor-setup"}


TOUCHED = "_minsheng_touched"  # when this session last pushed its expiry forward (epoch seconds)


def stamp_is_fresh(stamp, now: int) -> bool:
    """Whether a session stamp (epoch seconds) is under SESSION_REFRESH_SECONDS old; a stamp in
    the future or of another type is not (a clock set back, a forged value)."""
    return isinstance(stamp, int) and 0 <= now - stamp < settings.SESSION_REFRESH_SECONDS


class SessionRefreshMiddleware:
    """Sign-out after SESSION_COOKIE_AGE without a request, without writing the session on every
    page: its expiry is pushed forward when it was last pushed SESSION_REFRESH_SECONDS ago or
    more, so a session ends between AGE − REFRESH and AGE after its last request. Saving on every
    request (SESSION_SAVE_EVERY_REQUEST) was an UPDATE per page view on the shared database.
    After SessionMiddleware; a request without a session cookie is left alone (no session is
    made for it)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = request.session
        if session.session_key is not None:
            now = int(time.time())
            touched = session.get(TOUCHED)  # loads it: an unknown key is dropped here
            if session.session_key is not None and not stamp_is_fresh(touched, now):
                session[TOUCHED] = now  # marks the session modified: SessionMiddleware saves it
        return self.get_response(request)


def _url_name(request) -> str | None:
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None
    return match.view_name


class TwoFactorMiddleware:
    """After the password, a session that owes a second factor ("verify": the user has a device;
    "setup": enforced and the user must have one) reaches only that page and sign-out. Pages
    redirect there (keeping `next`); the API answers 403 in JSON."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        owed = two_factor.pending(request)
        request.two_factor_pending = owed
        if owed is None:
            return self.get_response(request)
        name = _url_name(request)
        if name in ALWAYS_OPEN or name == PAGE[owed]:
            return self.get_response(request)
        if request.path_info.startswith(("/api/", "/open311/")):
            return JsonResponse({"detail": _("请先完成两步验证。")}, status=403)
        url = reverse(PAGE[owed])
        if request.method == "GET":
            url += "?" + urlencode({"next": request.get_full_path()})
        return redirect(url)


class PasswordOnlyBasicAuthentication(BasicAuthentication):
    """HTTP Basic for the API, refused to an account that signs in with a second factor (it has a
    device, or two-factor sign-in is enforced for it): a password alone must not open what the
    sign-in page keeps behind a code."""

    def authenticate_credentials(self, userid, password, request=None):
        user, auth = super().authenticate_credentials(userid, password, request)
        if two_factor.needs_code(user):
            raise AuthenticationFailed(_("此账号须两步验证登录，不能只用密码访问 API。"))
        return user, auth
