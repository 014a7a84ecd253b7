from django.apps import AppConfig


class ComputeConfig(AppConfig):
    name = "compute"
    verbose_name = "Compute"

    def ready(self) -> None:
        from . import (
            navigation,  # noqa: F401  (registers menu entries and dashboard panels)
            roles,  # noqa: F401  (registers where this app's roles come from)
        )
