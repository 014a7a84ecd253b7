from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FinanceConfig(AppConfig):
    name = "finance"
    verbose_name = _("Finance")

    def ready(self) -> None:
        from . import (
            navigation,  # noqa: F401  (registers menu entries)
            permissions,  # noqa: F401  (registers the secretariat's model permissions)
        )
