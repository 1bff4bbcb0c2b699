from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "kyocho.cases"
    label = "cases"

    def ready(self) -> None:
        from kyocho.cases import actions, cve_services  # noqa: F401 - cve_services registers its settings check
        from kyocho.messaging.signals import email_outcome

        email_outcome.connect(actions.follow_email_outcome, dispatch_uid="cases.contact_attempt_outcome")
