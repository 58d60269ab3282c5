"""A URLconf for tests only: a view that fails, as a bug in any page would."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def fails(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug in a page")


def works(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


urlpatterns = [path("fails/", fails), path("works/", works)]
