"""Data entry, mounted at /indicators/entry/ in the "indicators" namespace (see urls.py)."""

from __future__ import annotations

from django.urls import path

from minsheng.indicators import entry_views as views

RETURN = "<slug:dataset>/<str:region>/<str:period>/"

urlpatterns = [
    path("", views.entry_list, name="entry"),
    path(RETURN, views.entry_form, name="entry_form"),
    path(RETURN + "excel.xlsx", views.entry_xlsx, name="entry_xlsx"),
    path(RETURN + "upload/", views.entry_upload, name="entry_upload"),
]
