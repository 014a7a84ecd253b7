from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = _("Governance")

    def ready(self) -> None:
        from . import (
            navigation,  # noqa: F401  (registers menu entries and dashboard panels)
            roles,  # noqa: F401  (registers where this app's roles come from)
        )
