from __future__ import annotations

from django.urls import path

from minsheng.accounts import views

app_name = "accounts"
urlpatterns = [
    path("2fa/", views.status, name="two-factor"),
    path("2fa/setup/", views.setup, name="two-factor-setup"),
    path("2fa/verify/", views.verify, name="two-factor-verify"),
    path("2fa/recovery-codes/", views.regenerate, name="two-factor-codes"),
    path("2fa/off/", views.turn_off, name="two-factor-off"),
]
