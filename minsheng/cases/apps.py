from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "minsheng.cases"
    verbose_name = _("诉求与纠纷")

    def ready(self) -> None:
        from minsheng.cases import tally  # noqa: F401, PLC0415 - keeps the monthly sums current
