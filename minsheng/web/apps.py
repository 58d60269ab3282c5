from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "minsheng.web"
    verbose_name = _("网页")

    def ready(self):
        # last of the apps: every admin module is loaded by now (django.contrib.admin comes first)
        from django.contrib import admin  # noqa: PLC0415 - needs the apps loaded

        from minsheng.lib.validators import check_admin_forms  # noqa: PLC0415 - imports forms

        check_admin_forms(admin.site)
