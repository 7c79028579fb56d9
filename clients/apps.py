from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClientsConfig(AppConfig):
    name = "clients"
    verbose_name = _("Client book")

    def ready(self) -> None:
        from clients import signals  # noqa: F401  (connects the receiver that gives each new account its profile)
