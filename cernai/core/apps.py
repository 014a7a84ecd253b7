from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "cernai.core"
    label = "core"
    verbose_name = _("Portal operations")

    def ready(self) -> None:
        from . import navigation, observability, signals  # noqa: F401  (header entries; task signals: failures recorded, request ids, metrics)
