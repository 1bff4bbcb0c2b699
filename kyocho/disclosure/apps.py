from django.apps import AppConfig


class DisclosureConfig(AppConfig):
    name = "kyocho.disclosure"
    label = "disclosure"
