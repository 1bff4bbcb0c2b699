from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "kyocho.messaging"
    label = "messaging"
