from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "kyocho.core"
    label = "core"
