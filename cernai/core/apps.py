from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "cernai.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from . import observability, signals  # noqa: F401  (task signals: failures recorded, request ids, metrics)
