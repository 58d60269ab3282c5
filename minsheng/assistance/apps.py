from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssistanceConfig(AppConfig):
    name = "minsheng.assistance"
    verbose_name = _("社会救助与防返贫")
