from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "cernai.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from . import navigation, observability, signals  # noqa: F401  (header entries; task signals: failures recorded, request ids, metrics)
