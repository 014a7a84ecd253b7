from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = "Governance"

    def ready(self) -> None:
        from . import (
            navigation,  # noqa: F401  (registers menu entries and dashboard panels)
            roles,  # noqa: F401  (registers where this app's roles come from)
        )
