"""Registry state for the product, SBOM and matching tests, built through the registry's actions:
the applicant applies (signed in, so they become the new developer's vendor admin) and a coordinator
approves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kyocho.accounts.models import User
from kyocho.accounts.roles import OrganisationKind, Role
from kyocho.conftest import make_member, make_organisation
from kyocho.vendors import actions, products
from kyocho.vendors.models import Product, Registration, Sbom, TermsVersion
from kyocho.vendors.workflow import RegistrationStatus

SBOMS = Path(__file__).parent / "sboms"
TERMS = "test-1"


def registered(
    applicant: User | None = None,
    *,
    name: str = "Router Maker K.K.",
    keywords: list[str] | None = None,
    status: str = RegistrationStatus.LISTED,
) -> Registration:
    """A developer named ``name`` applied for by ``applicant`` (or by a new account), then approved
    (and, for ``status`` rejected or withdrawn, left that way)."""
    terms = TermsVersion.objects.first() or actions.publish_terms(TERMS, text_ja="規約", text_en="Terms", actor=None)
    slug = "".join(c for c in name.lower() if c.isalnum())
    fields = {
        "name": name,
        "registration_type": "general",
        "contacts": [{"name": "PSIRT", "email": f"psirt@{slug}.example", "responsible": True}],
        "keywords": keywords or [],
    }
    registration = actions.apply_for_registration(
        fields, actor=applicant, terms_version=terms.version, applicant_email=f"admin@{slug}.example", language="en"
    )
    reviewer = _reviewer()
    if status == RegistrationStatus.REJECTED:
        return actions.reject_registration(registration.pk, reason="Not a developer.", actor=reviewer)
    registration = actions.approve_registration(registration.pk, actor=reviewer)
    if status == RegistrationStatus.WITHDRAWN:
        return actions.withdraw_registration(registration.pk, actor=registration.applicant)
    return registration


def _reviewer() -> User:
    """A coordinator to approve with: the test's own when it has one."""
    existing = User.objects.filter(memberships__role=Role.COORDINATOR).first()
    if existing is not None:
        return existing
    team = make_organisation("Registry reviewers (test)", OrganisationKind.COORDINATOR_TEAM)
    return make_member("reviewer@registry.example", team, Role.COORDINATOR)


def fixture_bytes(name: str) -> bytes:
    return (SBOMS / name).read_bytes()


def cyclonedx(*components: tuple[str, str], spec: str = "1.5") -> bytes:
    """A small CycloneDX JSON SBOM holding (purl, version) components."""
    import json

    return json.dumps(
        {
            "bomFormat": "CycloneDX",
            "specVersion": spec,
            "version": 1,
            "components": [
                {
                    "type": "library",
                    "bom-ref": f"c{i}",
                    "name": purl.rsplit("/", 1)[-1],
                    "version": version,
                    "purl": f"{purl}@{version}",
                }
                for i, (purl, version) in enumerate(components)
            ],
        }
    ).encode()


def product_with_sbom(
    registration: Registration, actor: Any, *components: tuple[str, str], name: str = "Router", version: str = "1.0"
) -> tuple[Product, Sbom]:
    product = products.add_product(registration.pk, name=name, actor=actor)
    sbom = products.upload_sbom(
        product.pk, product_version=version, data=cyclonedx(*components), filename="bom.json", actor=actor
    )
    return product, sbom
