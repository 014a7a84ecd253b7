from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "cernai.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (records tasks that fail for good)
