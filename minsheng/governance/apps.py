from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GovernanceConfig(AppConfig):
    name = "minsheng.governance"
    verbose_name = _("小区治理与物业考评")

    def ready(self) -> None:
        # places' compound form, API and import refuse what the registry and the approved
        # committees contradict (places may not import governance: it asks its hooks)
        from minsheng.governance.committees import (  # noqa: PLC0415 - needs the apps loaded
            compound_edit_problems,
        )
        from minsheng.places.hooks import register_compound_check  # noqa: PLC0415 - as above

        register_compound_check(compound_edit_problems)
