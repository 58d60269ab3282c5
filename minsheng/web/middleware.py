from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar

from django.conf import settings

# A proxy's id (nginx $request_id, a uuid) is kept when it looks like one; anything else
# (a log-injection attempt, a 2 KB header) is replaced by a fresh uuid4.
WELL_FORMED_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{7,63}")
current_request_id: ContextVar[str] = ContextVar("minsheng_request_id", default="-")


class RequestIdMiddleware:
    """`request.id` from a well-formed `X-Request-ID`, else a new uuid4; sent back in the response
    header, and put on every log line written while the request runs (RequestIdFilter), so a
    user's "错误编号" finds the traceback in the log. First in MIDDLEWARE: it sees every response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get("X-Request-ID", "")
        request.id = given if WELL_FORMED_ID.fullmatch(given) else str(uuid.uuid4())
        token = current_request_id.set(request.id)
        try:
            response = self.get_response(request)
        finally:
            current_request_id.reset(token)
        response["X-Request-ID"] = request.id
        return response


class RequestIdFilter(logging.Filter):
    """Adds `record.request_id` (the request's, or "-" outside a request) for the log formatter."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        record.request_id = getattr(request, "id", None) or current_request_id.get()
        return True


class ChineseFirstMiddleware:
    """Chinese unless the user picked another language (the language cookie set by the switcher).

    Django's LocaleMiddleware would follow the browser's Accept-Language; our users read Chinese
    whatever their phone's system language, so English is one click away but never a guess.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


def policy_header(policy: dict[str, list[str]]) -> str:
    """`{"script-src": ["'self'"], …}` as the header's text: `script-src 'self'; …`."""
    return "; ".join(" ".join([directive, *sources]) for directive, sources in policy.items())


class ContentSecurityPolicyMiddleware:
    """Sends settings.CONTENT_SECURITY_POLICY on every response (pages, API, admin, errors, static
    files) unless a view set its own. Django 5.2 has no CSP of its own; 6.0's SECURE_CSP can
    replace this."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault(
            "Content-Security-Policy", policy_header(settings.CONTENT_SECURITY_POLICY))
        return response
