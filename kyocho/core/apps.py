from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "kyocho.core"
    label = "core"

    def ready(self) -> None:
        from kyocho.core import checks  # noqa: F401 - registers the production settings check
