"""Registry state for the product, SBOM and matching tests.

Registrations are written directly here because the registration actions live on another branch;
once they are merged, ``registered`` should call them instead (apply → approve)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kyocho.accounts.models import Organisation
from kyocho.core.clock import now
from kyocho.vendors import products
from kyocho.vendors.models import Product, Registration, Sbom
from kyocho.vendors.workflow import RegistrationStatus, RegistrationType

SBOMS = Path(__file__).parent / "sboms"


def registered(
    organisation: Organisation, *, keywords: list[str] | None = None, status: str = RegistrationStatus.LISTED
) -> Registration:
    return Registration.objects.create(
        organisation=organisation,
        status=status,
        registration_type=RegistrationType.GENERAL,
        keywords=keywords or [],
        applied_at=now(),
    )


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
