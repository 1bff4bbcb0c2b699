from django.apps import AppConfig


class PublicConfig(AppConfig):
    name = "kyocho.public"
    label = "public"
