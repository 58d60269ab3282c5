from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "minsheng.projects"
    verbose_name = _("民生项目与资金")
