from django.urls import include, path

app_name = "indicators"

urlpatterns = [
    path("indicators/", include("minsheng.indicators.dashboard_urls")),
    path("indicators/entry/", include("minsheng.indicators.entry_urls")),
]
