"""Actions on a registered developer's products and their SBOMs (the only writers of those rows).

Who may act: a member (admin or member) of the developer's organisation, or a coordinator. Anyone
else is told the product or registration does not exist (404).
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from kyocho.accounts import permissions
from kyocho.audit.actions import record
from kyocho.core.actions import lock, required_text
from kyocho.core.clock import now
from kyocho.core.errors import InvalidInput, NotFound
from kyocho.vendors.models import Product, Registration, Sbom, SbomComponent
from kyocho.vendors.sbom import parse_cpe, parse_purl, parse_sbom

COMPONENT_BATCH = 2000


def may_manage(registration: Registration, actor: Any) -> bool:
    """Coordinators, and the members of the developer's own organisation."""
    return permissions.is_coordinator(actor) or registration.organisation_id in permissions.vendor_organisation_ids(
        actor
    )


def _require_manager(registration: Registration, actor: Any) -> None:
    if not may_manage(registration, actor):
        raise NotFound()


def _product_fields(*, name: str, versions: str, cpe: str, purl: str) -> dict[str, str]:
    """Validated product fields: a CPE 2.3 name and a purl are optional, but well-formed when given."""
    cpe_text = (cpe or "").strip()
    purl_text = (purl or "").strip()
    if cpe_text:
        cpe_text = parse_cpe(cpe_text).formatted()
    if purl_text:
        purl_text = parse_purl(purl_text).to_string()
        if len(purl_text) > Product._meta.get_field("purl").max_length:  # type: ignore[operator]
            raise InvalidInput(_("The purl is too long."), field="purl")
    if len(cpe_text) > Product._meta.get_field("cpe").max_length:  # type: ignore[operator]
        raise InvalidInput(_("The CPE name is too long."), field="cpe")
    return {
        "name": required_text(name, "name", _("The product name"), max_length=300),
        "versions": _optional_text(versions, "versions", _("The versions"), max_length=300),
        "cpe": cpe_text,
        "purl": purl_text,
    }


def _optional_text(value: Any, field: str, label: str, *, max_length: int) -> str:
    if value is not None and not isinstance(value, str):
        raise InvalidInput(_("%(label)s must be text.") % {"label": label}, field=field)
    return required_text(value, field, label, max_length=max_length) if (value or "").strip() else ""


def add_product(
    registration_id: int, *, name: str, versions: str = "", cpe: str = "", purl: str = "", actor: Any
) -> Product:
    """Add a product to a developer's registration."""
    with transaction.atomic():
        registration = lock(Registration, registration_id)
        _require_manager(registration, actor)
        product = Product(
            registration=registration, **_product_fields(name=name, versions=versions, cpe=cpe, purl=purl)
        )
        product.save()
        record("vendor:product:added", actor=actor, subject=product, data=_audit_fields(product))
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
    with transaction.atomic():
        product = _locked_product(product_id, actor)
        before = _audit_fields(product)
        fields = _product_fields(
            name=product.name if name is None else name,
            versions=product.versions if versions is None else versions,
            cpe=product.cpe if cpe is None else cpe,
            purl=product.purl if purl is None else purl,
        )
        for field, value in fields.items():
            setattr(product, field, value)
        after = _audit_fields(product)
        changed = {
            field: {"from": before[field], "to": after[field]} for field in after if before[field] != after[field]
        }
        if changed:
            product.save()
            record("vendor:product:updated", actor=actor, subject=product, data=changed)
    return product


def remove_product(product_id: int, *, actor: Any) -> None:
    """Remove a product with its SBOMs (the audit trail keeps what it was)."""
    with transaction.atomic():
        product = _locked_product(product_id, actor)
        record("vendor:product:removed", actor=actor, subject=product.registration, data=_audit_fields(product))
        product.delete()


def _locked_product(product_id: int, actor: Any) -> Product:
    product = lock(Product, product_id)
    _require_manager(Registration.objects.get(pk=product.registration_id), actor)
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
            "vendor:sbom:uploaded",
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
