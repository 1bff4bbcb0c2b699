from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "kyocho.cases"
    label = "cases"
