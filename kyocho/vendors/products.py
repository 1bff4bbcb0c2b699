"""Actions on a registered developer's products and their SBOMs (the only writers of those rows).

Who may act is the registry's one rule (``vendors.actions.lock_registration_for_change``): the
developer's vendor admins and coordinators change; its vendor members see but may not change
(PermissionDenied); anyone else is told the registration does not exist (404); a rejected or
withdrawn registration changes no more (Conflict). Product fields are cleaned by
``vendors.validation.clean_product``, the same rules as the registration form and the importer.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from kyocho.audit.actions import record
from kyocho.core.actions import lock, required_text
from kyocho.core.clock import now
from kyocho.core.errors import InvalidInput
from kyocho.vendors.actions import lock_registration_for_change
from kyocho.vendors.models import Product, Sbom, SbomComponent
from kyocho.vendors.sbom import parse_sbom
from kyocho.vendors.validation import clean_product

COMPONENT_BATCH = 2000


def add_product(
    registration_id: int, *, name: str, versions: str = "", cpe: str = "", purl: str = "", actor: Any
) -> Product:
    """Add a product to a developer's registration."""
    clean = clean_product({"name": name, "versions": versions, "cpe": cpe, "purl": purl})
    with transaction.atomic():
        registration = lock_registration_for_change(registration_id, actor)
        product = Product.objects.create(registration=registration, **vars(clean))
        record("vendors:product:added", actor=actor, subject=registration, data=_audit_fields(product))
    return product


def update_product(
    product_id: int,
    *,
    name: str | None = None,
    versions: str | None = None,
    cpe: str | None = None,
    purl: str | None = None,
    actor: Any,
) -> Product:
    """Change a product; arguments left as None keep their value."""
    given = {"name": name, "versions": versions, "cpe": cpe, "purl": purl}
    with transaction.atomic():
        product = _locked_product(product_id, actor)
        before = _audit_fields(product)
        clean = clean_product(
            {field: getattr(product, field) if value is None else value for field, value in given.items()}
        )
        for field, value in vars(clean).items():
            setattr(product, field, value)
        after = _audit_fields(product)
        changed = {
            field: {"from": before[field], "to": after[field]} for field in after if before[field] != after[field]
        }
        if changed:
            product.save()
            record("vendors:product:updated", actor=actor, subject=product.registration, data=changed)
    return product


def remove_product(product_id: int, *, actor: Any) -> None:
    """Remove a product with its SBOMs (the audit trail keeps what it was)."""
    with transaction.atomic():
        product = _locked_product(product_id, actor)
        record("vendors:product:removed", actor=actor, subject=product.registration, data=_audit_fields(product))
        product.delete()


def _locked_product(product_id: int, actor: Any) -> Product:
    """The product, locked after its registration (the order every registry change locks in)."""
    registration_id = Product.objects.filter(pk=product_id).values_list("registration_id", flat=True).first()
    registration = lock_registration_for_change(registration_id or 0, actor)
    product = lock(Product, product_id)
    product.registration = registration
    return product


def _audit_fields(product: Product) -> dict[str, Any]:
    return {
        "product": product.pk,
        "name": product.name,
        "versions": product.versions,
        "cpe": product.cpe,
        "purl": product.purl,
    }


def upload_sbom(product_id: int, *, product_version: str, data: bytes, filename: str = "", actor: Any) -> Sbom:
    """Store the SBOM of one product version; the one it replaces stays as history (``current=False``).

    The file is checked whole before anything is written: a refusal changes nothing."""
    with transaction.atomic():
        product = _locked_product(product_id, actor)
        version = required_text(product_version, "product_version", _("The product version"), max_length=100)
        parsed = parse_sbom(_bounded(data))
        replaced = Sbom.objects.filter(product=product, product_version=version, current=True)
        SbomComponent.objects.filter(sbom__in=replaced, current=True).update(current=False)
        replaced.update(current=False)
        sbom = Sbom.objects.create(
            product=product,
            product_version=version,
            format=parsed.format,
            spec_version=parsed.spec_version,
            sha256=hashlib.sha256(data).hexdigest(),
            uploaded_at=now(),
            uploaded_by=actor,
            filename=(filename or "")[:255],
            component_count=len(parsed.components),
        )
        SbomComponent.objects.bulk_create(
            (
                SbomComponent(sbom=sbom, package=c.package, version=c.version, purl=c.purl, name=c.name)
                for c in parsed.components
            ),
            batch_size=COMPONENT_BATCH,
        )
        record(
            "vendors:sbom:uploaded",
            actor=actor,
            subject=product,
            data={
                "sbom": sbom.pk,
                "product_version": version,
                "format": sbom.format,
                "spec_version": sbom.spec_version,
                "sha256": sbom.sha256,
                "components": sbom.component_count,
            },
        )
    return sbom


def _bounded(data: Any) -> bytes:
    if not isinstance(data, bytes | bytearray):
        raise InvalidInput(_("The SBOM must be uploaded as a file."), field="data")
    if not data:
        raise InvalidInput(_("The SBOM file is empty."), field="data")
    limit = settings.KYOCHO["SBOM_MAX_BYTES"]
    if len(data) > limit:
        raise InvalidInput(
            _("The SBOM file is too large (%(size)d bytes; the limit is %(limit)d bytes).")
            % {"size": len(data), "limit": limit},
            field="data",
        )
    return bytes(data)
