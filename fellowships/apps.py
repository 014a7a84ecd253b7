from django.apps import AppConfig


class FellowshipsConfig(AppConfig):
    name = "fellowships"
    verbose_name = "Fellowships"

    def ready(self) -> None:
        from . import (
            navigation,  # noqa: F401  (registers menu entries and dashboard panels)
            roles,  # noqa: F401  (registers where this app's roles come from)
        )
