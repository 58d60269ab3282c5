from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssistanceConfig(AppConfig):
    name = "minsheng.assistance"
    verbose_name = _("社会救助与防返贫")

    def ready(self) -> None:
        from minsheng.assistance.monitoring import on_district_loaded  # noqa: PLC0415 - the app registry must be ready
        from minsheng.places.signals import district_loaded  # noqa: PLC0415 - idem

        # a district loaded after migration 0013 gets the default working-age rows too
        district_loaded.connect(on_district_loaded, dispatch_uid="assistance.working_age")
