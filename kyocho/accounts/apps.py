from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "kyocho.accounts"
    label = "accounts"
