from django.apps import AppConfig


class AdvisoriesConfig(AppConfig):
    name = "kyocho.advisories"
    label = "advisories"
