from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "kyocho.staff"
    label = "staff"
