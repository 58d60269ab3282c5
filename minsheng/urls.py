from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from minsheng.cases.devices import alarms_view, heartbeats_view, openapi_view

admin.site.site_header = "民生 Minsheng 后台"
admin.site.site_title = "民生 Minsheng"
admin.site.index_title = "后台管理"

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("open311/v2/", include("minsheng.cases.open311_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/devices/alarms/", alarms_view, name="device-alarms"),
    path("api/devices/heartbeats/", heartbeats_view, name="device-heartbeats"),
    path("api/devices/openapi.yaml", openapi_view, name="device-openapi"),
    path("api/", include("minsheng.places.api")),
    path("admin/", admin.site.urls),
    path("account/", include("minsheng.accounts.urls")),
    path("assistance/monitoring/", include("minsheng.assistance.monitoring_urls")),
    path("", include("minsheng.governance.urls")),
    path("", include("minsheng.projects.urls")),
    path("", include("minsheng.lifecircle.urls")),
    path("", include("minsheng.cases.urls")),
    path("", include("minsheng.cases.stats_urls")),
    path("", include("minsheng.indicators.urls")),
    path("", include("minsheng.employment.urls")),
    path("", include("minsheng.reports.urls")),
    path("", include("minsheng.assistance.urls")),
    path("", include("minsheng.places.urls")),
    path("", include("minsheng.web.urls")),
]
