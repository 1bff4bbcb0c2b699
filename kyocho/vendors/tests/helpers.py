"""Registrations built through the real actions, for the registry tests."""

from __future__ import annotations

from typing import Any

from kyocho.audit.queries import events_for
from kyocho.messaging.models import OutboundEmail
from kyocho.vendors import actions
from kyocho.vendors.models import Registration, TermsVersion

TERMS = "2026-01"


def application(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "name": "株式会社サンプル",
        "name_en": "Sample Corp.",
        "registration_type": "general",
        "contacts": [
            {"name": "Taro PSIRT", "email": "psirt@sample.example", "phone": "+81 3-1234-5678", "responsible": True},
            {"name": "Jiro Support", "email": "support@sample.example"},
        ],
        "phone": "03-1234-5678",
        "keywords": "router; VPN; firmware",
        "products": [
            {
                "name": "Sample Router",
                "versions": "1.x",
                "cpe": "cpe:2.3:h:sample:router:*:*:*:*:*:*:*:*",
                "purl": "pkg:generic/sample/router",
            }
        ],
        "listed_publicly": True,
    }
    fields.update(overrides)
    return fields


def publish_terms(lead: Any, version: str = TERMS) -> TermsVersion:
    return actions.publish_terms(version, text_ja="規約", text_en="Terms text", actor=lead)


def apply(actor: Any = None, *, email: str = "applicant@sample.example", **overrides: Any) -> Registration:
    return actions.apply_for_registration(
        application(**overrides), actor=actor, terms_version=TERMS, applicant_email=email, language="en"
    )


def listed(lead: Any, coordinator: Any, **overrides: Any) -> Registration:
    """A listed developer (publishes the terms first when there are none)."""
    if not TermsVersion.objects.exists():
        publish_terms(lead)
    registration = apply(**overrides)
    return actions.approve_registration(registration.pk, actor=coordinator)


def reload(registration: Registration) -> Registration:
    return Registration.objects.get(pk=registration.pk)


def audit_names(registration: Registration) -> list[str]:
    return [event.name for event in events_for(registration)]


def emails_about(registration: Registration) -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(related=f"vendors.registration:{registration.pk}").order_by("pk"))
