from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LifecircleConfig(AppConfig):
    name = "minsheng.lifecircle"
    verbose_name = _("15分钟生活圈")

    def ready(self) -> None:
        from minsheng.lifecircle import signals  # noqa: F401, PLC0415 - connects the receivers once the apps are ready
