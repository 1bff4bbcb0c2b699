from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "kyocho.portal"
    label = "portal"
