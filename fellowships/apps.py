from django.apps import AppConfig


class FellowshipsConfig(AppConfig):
    name = "fellowships"
    verbose_name = "Fellowships"

    def ready(self) -> None:
        from . import (
            navigation,  # noqa: F401  (registers menu entries and dashboard panels)
            tasks,  # noqa: F401  (registers the tasks that services enqueue by name)
        )
