from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "cernai.accounts"
    label = "accounts"
    verbose_name = "Accounts"
