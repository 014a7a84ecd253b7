from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NodesConfig(AppConfig):
    name = "nodes"
    verbose_name = _("National nodes")

    def ready(self) -> None:
        from . import (
            navigation,  # noqa: F401  (registers menu entries)
            permissions,  # noqa: F401  (registers the secretariat's model permissions)
        )
