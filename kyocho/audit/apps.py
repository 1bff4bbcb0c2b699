from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "kyocho.audit"
    label = "audit"
