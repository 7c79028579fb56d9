from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("Relationship journal")

    def ready(self) -> None:
        from crm.payments import claims  # noqa: F401 (connects the rates' cache receivers)
        from crm.trust import signals

        signals.connect()
