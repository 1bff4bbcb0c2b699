from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "kyocho.api"
    label = "api"
