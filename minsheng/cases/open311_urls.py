"""Open311 GeoReport v2, mounted at /open311/v2/ (see minsheng/cases/open311.py)."""

from django.urls import path, re_path

from minsheng.cases import open311

FMT = r"(?P<fmt>[A-Za-z0-9]+)"

urlpatterns = [
    path("", open311.not_found, name="open311-root"),
    re_path(rf"^discovery\.{FMT}$", open311.discovery, name="open311-discovery"),
    re_path(rf"^services\.{FMT}$", open311.services, name="open311-services"),
    re_path(rf"^services/(?P<code>[^/]+?)\.{FMT}$", open311.service_definition,
            name="open311-service"),
    re_path(rf"^requests\.{FMT}$", open311.requests_view, name="open311-requests"),
    re_path(rf"^requests/(?P<sid>[^/]+?)\.{FMT}$", open311.request_detail,
            name="open311-request"),
    re_path(rf"^tokens/(?P<token>[^/]+?)\.{FMT}$", open311.token_view, name="open311-token"),
    re_path(r"^(?P<path>.+)$", open311.not_found),
]
