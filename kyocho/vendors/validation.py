"""Cleaning what a developer types about itself: contacts, keywords, products (CPE 2.3, purl).

Shared by the registration actions and the bulk importer, so a row of an imported vendor list is held
to exactly the rules of the registration form. Each function returns clean values or raises
InvalidInput naming the field at fault.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.utils.translation import gettext as _

from kyocho.core.actions import required_text
from kyocho.core.errors import InvalidInput
from kyocho.vendors.sbom import parse_cpe, parse_purl
from kyocho.vendors.workflow import RegistrationType

NAME_LIMIT = 200
PHONE_LIMIT = 50
KEYWORD_LIMIT = 100
MAX_KEYWORDS = 200
MAX_CONTACTS = 50
MAX_PRODUCTS = 500
PRODUCT_FIELD_LIMIT = 300
IDENTIFIER_LIMIT = 400

_PHONE = re.compile(r"^\+?[0-9()\-. ]{3,50}$")
_KEYWORD_SEPARATORS = re.compile(r"[;\n,、]")


@dataclass(frozen=True)
class ContactInput:
    name: str
    email: str
    phone: str = ""
    responsible: bool = False
    language: str = "ja"


@dataclass(frozen=True)
class ProductInput:
    name: str
    versions: str = ""
    cpe: str = ""
    purl: str = ""


def clean_registration_type(value: str | None) -> str:
    value = (value or "").strip()
    if value not in RegistrationType.values:
        raise InvalidInput(_("Choose general or individual registration."), field="registration_type")
    return value


def clean_name(value: str | None, field: str, label: str, *, required: bool = True) -> str:
    if not required and not (value or "").strip():
        return ""
    return required_text(value, field, label, max_length=NAME_LIMIT)


def clean_phone(value: str | None, field: str = "phone") -> str:
    phone = (value or "").strip()
    if phone and not _PHONE.match(phone):
        raise InvalidInput(_("Enter a phone number of digits, spaces, +, -, ( and )."), field=field)
    return phone


def clean_email(value: str | None, field: str = "email") -> str:
    email = (value or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as error:
        raise InvalidInput(_("Enter a valid email address."), field=field) from error
    return email


def clean_website(value: str | None) -> str:
    url = (value or "").strip()
    if not url:
        return ""
    try:
        URLValidator(schemes=["https", "http"])(url)
    except ValidationError as error:
        raise InvalidInput(_("Enter a web address starting with https://."), field="website") from error
    return url


def clean_keywords(value: str | Iterable[str] | None, *, most: int = MAX_KEYWORDS) -> list[str]:
    """Keywords from a list or from text separated by semicolons, commas or lines; duplicates dropped
    (compared case-insensitively). Used for a developer's keywords and for the words a coordinator
    looks for (``vendors.matching``), with its own ``most``."""
    items = _KEYWORD_SEPARATORS.split(value) if isinstance(value, str) else list(value or [])
    keywords: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise InvalidInput(_("Keywords must be text."), field="keywords")
        keyword = item.strip()
        if not keyword or keyword.casefold() in {k.casefold() for k in keywords}:
            continue
        if len(keyword) > KEYWORD_LIMIT:
            raise InvalidInput(
                _("A keyword is too long (at most %(limit)d characters).") % {"limit": KEYWORD_LIMIT}, field="keywords"
            )
        keywords.append(keyword)
    if len(keywords) > most:
        raise InvalidInput(_("Too many keywords (at most %(limit)d).") % {"limit": most}, field="keywords")
    return keywords


def clean_cpe(value: str | None, field: str = "cpe") -> str:
    """A CPE 2.3 formatted string, checked by the registry's CPE parser (``vendors.sbom.parse_cpe``)."""
    text = (value or "").strip()
    if not text:
        return ""
    return _bounded_identifier(parse_cpe(text, field=field).formatted(), field, _("This CPE name is too long."))


def clean_purl(value: str | None, field: str = "purl") -> str:
    """A valid package URL in its canonical form (``packageurl-python`` parses and re-serialises it)."""
    text = (value or "").strip()
    if not text:
        return ""
    return _bounded_identifier(parse_purl(text, field=field).to_string(), field, _("This package URL is too long."))


def _bounded_identifier(text: str, field: str, too_long: str) -> str:
    if len(text) > IDENTIFIER_LIMIT:
        raise InvalidInput(too_long, field=field)
    return text


def clean_bool(value: Any, field: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value if value is not None else "").strip().lower()
    if text in {"1", "true", "yes", "y", "on"}:
        return True
    if text in {"", "0", "false", "no", "n", "off"}:
        return False
    raise InvalidInput(_("Enter yes or no (true/false)."), field=field)


def clean_contact(fields: Mapping[str, Any], prefix: str = "contact") -> ContactInput:
    language = str(fields.get("language") or "ja")
    if language not in {"ja", "en"}:
        raise InvalidInput(_("Choose Japanese or English."), field=f"{prefix}.language")
    return ContactInput(
        name=clean_name(fields.get("name"), f"{prefix}.name", _("Contact name")),
        email=clean_email(fields.get("email"), f"{prefix}.email"),
        phone=clean_phone(fields.get("phone"), f"{prefix}.phone"),
        responsible=clean_bool(fields.get("responsible", False), f"{prefix}.responsible"),
        language=language,
    )


def clean_contacts(items: Iterable[Mapping[str, Any]] | None) -> list[ContactInput]:
    """At least one contact, distinct addresses, and exactly one person responsible (製品脆弱性対策管理者)."""
    contacts = [clean_contact(item, f"contacts.{n}") for n, item in enumerate(items or [])]
    if not contacts:
        raise InvalidInput(_("Give at least one point of contact."), field="contacts")
    if len(contacts) > MAX_CONTACTS:
        raise InvalidInput(_("Too many contacts (at most %(limit)d).") % {"limit": MAX_CONTACTS}, field="contacts")
    if len({c.email for c in contacts}) != len(contacts):
        raise InvalidInput(_("Each contact needs a different email address."), field="contacts")
    if sum(c.responsible for c in contacts) != 1:
        raise InvalidInput(
            _("Mark exactly one contact as the person responsible for product vulnerabilities."), field="contacts"
        )
    return contacts


def clean_product(fields: Mapping[str, Any], prefix: str = "") -> ProductInput:
    """A product's fields; error fields are named ``<prefix>.<field>`` (or just ``<field>``)."""

    def at(name: str) -> str:
        return f"{prefix}.{name}" if prefix else name

    return ProductInput(
        name=required_text(fields.get("name"), at("name"), _("Product name"), max_length=PRODUCT_FIELD_LIMIT),
        versions=_optional_text(fields.get("versions"), at("versions"), PRODUCT_FIELD_LIMIT),
        cpe=clean_cpe(fields.get("cpe"), at("cpe")),
        purl=clean_purl(fields.get("purl"), at("purl")),
    )


def clean_products(items: Iterable[Mapping[str, Any]] | None) -> list[ProductInput]:
    products = [clean_product(item, f"products.{n}") for n, item in enumerate(items or [])]
    if len(products) > MAX_PRODUCTS:
        raise InvalidInput(_("Too many products (at most %(limit)d).") % {"limit": MAX_PRODUCTS}, field="products")
    return products


def _optional_text(value: Any, field: str, limit: int) -> str:
    if value is not None and not isinstance(value, str):
        raise InvalidInput(_("Enter text."), field=field)
    text = (value or "").strip()
    if len(text) > limit:
        raise InvalidInput(_("This is too long (at most %(limit)d characters).") % {"limit": limit}, field=field)
    return text
