"""The indicator dashboard, one indicator's page and the Excel export (views.py), mounted at
/indicators/ in the "indicators" namespace (urls.py). An indicator's page must not catch the
data-entry pages mounted at /indicators/entry/ after this module."""

from __future__ import annotations

from django.urls import path, re_path

from minsheng.indicators import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("export.xlsx", views.export, name="export"),
    re_path(r"^(?!entry/)(?P<code>[-a-zA-Z0-9_]+)/$", views.detail, name="detail"),
]
