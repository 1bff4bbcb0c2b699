from django.apps import AppConfig


class VendorsConfig(AppConfig):
    name = "kyocho.vendors"
    label = "vendors"
