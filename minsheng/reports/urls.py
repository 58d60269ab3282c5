from __future__ import annotations

from django.urls import path

from minsheng.reports import views

app_name = "reports"
urlpatterns = [
    path("reports/annual/", views.annual, name="annual"),
    path("reports/annual/download/", views.download, name="download"),
    path("reports/annual/narrative/", views.narrative, name="narrative"),
]
