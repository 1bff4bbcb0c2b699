from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "kyocho.intake"
    label = "intake"
