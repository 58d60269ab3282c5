from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GovernanceConfig(AppConfig):
    name = "minsheng.governance"
    verbose_name = _("小区治理与物业考评")
