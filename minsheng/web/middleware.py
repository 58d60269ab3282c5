from __future__ import annotations

from django.conf import settings


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
