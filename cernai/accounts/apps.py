from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "cernai.accounts"
    label = "accounts"
    verbose_name = _("People and accounts")

    def ready(self) -> None:
        from . import signals  # noqa: F401  (second factors added or removed go to the trail)
        from .permissions import register_module_permissions

        register_module_permissions()
