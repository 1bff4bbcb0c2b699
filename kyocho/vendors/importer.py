"""Bulk import of an existing vendor list (CSV or JSON; columns in docs/vendor-registry.md).

Every row is cleaned by the same rules as the registration form. ``check`` reports every problem of
every row (row number, field, message) and writes nothing; ``run`` writes all rows in one transaction
or, when any row has a problem, nothing at all.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kyocho.accounts import permissions
from kyocho.accounts.models import Organisation
from kyocho.accounts.roles import OrganisationKind
from kyocho.core.errors import DomainError, InvalidInput
from kyocho.vendors import actions
from kyocho.vendors.actions import DeveloperInput

COLUMNS = (
    "name",
    "name_en",
    "registration_type",
    "contact_name",
    "contact_email",
    "phone",
    "keywords",
    "products",
    "listed_publicly",
)
REQUIRED_COLUMNS = frozenset({"name", "registration_type", "contact_name", "contact_email"})
MAX_ROWS = 10_000
MAX_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Problem:
    row: int  # 1 = the first vendor (the CSV header is not counted)
    field: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.field}: {self.message}"


@dataclass(frozen=True)
class ImportResult:
    rows: int
    problems: list[Problem]
    written: int = 0


def read_rows(data: bytes, *, filename: str = "") -> list[dict[str, Any]]:
    """Rows from a JSON array of objects or a UTF-8 CSV file with a header line."""
    if len(data) > MAX_BYTES:
        raise InvalidInput(_("The file is too large."), field="file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInput(_("The file is not UTF-8 text."), field="file") from error
    is_json = filename.lower().endswith(".json") or text.lstrip().startswith("[")
    rows = _json_rows(text) if is_json else _csv_rows(text)
    if len(rows) > MAX_ROWS:
        raise InvalidInput(_("Too many rows (at most %(limit)d).") % {"limit": MAX_ROWS}, field="file")
    return rows


def _json_rows(text: str) -> list[dict[str, Any]]:
    try:
        rows = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidInput(_("The file is not valid JSON: %(error)s") % {"error": error}, field="file") from error
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise InvalidInput(_("A JSON vendor list is an array of objects."), field="file")
    return rows


def _csv_rows(text: str) -> list[dict[str, Any]]:
    reader = csv.DictReader(io.StringIO(text))
    header = set(reader.fieldnames or [])
    missing = sorted(REQUIRED_COLUMNS - header)
    if missing:
        raise InvalidInput(_("Columns missing: %(columns)s.") % {"columns": ", ".join(missing)}, field="file")
    return [dict(row) for row in reader]


def check(data: bytes, *, filename: str = "") -> tuple[list[DeveloperInput | None], list[Problem]]:
    """Every row cleaned, and every problem found (rows with problems give None)."""
    rows = read_rows(data, filename=filename)
    developers: list[DeveloperInput | None] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    existing = set(Organisation.objects.filter(kind=OrganisationKind.PRODUCT_DEVELOPER).values_list("name", flat=True))
    for number, row in enumerate(rows, start=1):
        developer, row_problems = _clean_row(number, row)
        if developer is not None:
            row_problems += _duplicate_problems(number, developer.name, seen, existing)
        problems += row_problems
        developers.append(None if row_problems else developer)
    return developers, problems


def _clean_row(number: int, row: Mapping[str, Any]) -> tuple[DeveloperInput | None, list[Problem]]:
    unknown = sorted(set(row) - set(COLUMNS) - {None})
    problems = [Problem(number, str(name), _("unknown column")) for name in unknown]
    try:
        developer = actions.clean_developer(_as_fields(row))
    except InvalidInput as error:
        return None, [*problems, Problem(number, _row_field(error.field), error.message)]
    return developer, problems


def _as_fields(row: Mapping[str, Any]) -> dict[str, Any]:
    """A flat row in the shape ``actions.clean_developer`` reads."""
    return {
        "name": row.get("name"),
        "name_en": row.get("name_en"),
        "registration_type": row.get("registration_type"),
        "contacts": [
            {"name": row.get("contact_name"), "email": row.get("contact_email"), "responsible": True},
        ],
        "phone": row.get("phone"),
        "keywords": row.get("keywords") or "",
        "products": _products(row.get("products")),
        "listed_publicly": row.get("listed_publicly") or False,
    }


def _products(value: Any) -> list[dict[str, str]]:
    """``name|cpe|purl`` entries separated by ``;`` (JSON may also give a list of such strings or objects)."""
    entries = value if isinstance(value, list) else [e for e in str(value or "").split(";") if e.strip()]
    products = []
    for entry in entries:
        if isinstance(entry, dict):
            products.append(entry)
            continue
        name, cpe, purl = ([*str(entry).split("|"), "", ""])[:3]
        products.append({"name": name, "cpe": cpe, "purl": purl})
    return products


def _row_field(field: str | None) -> str:
    """The column a cleaning error is about (``contacts.0.email`` → ``contact_email``)."""
    if not field:
        return "-"
    if field.startswith("contacts.0."):
        return "contact_" + field.rsplit(".", 1)[1]
    if field.startswith("products."):
        return "products (" + field.split(".", 1)[1] + ")"
    return field


def _duplicate_problems(number: int, name: str, seen: dict[str, int], existing: set[str]) -> list[Problem]:
    if name in existing:
        return [Problem(number, "name", _("a developer with this name is already registered"))]
    if name in seen:
        return [Problem(number, "name", _("same name as row %(row)d") % {"row": seen[name]})]
    seen[name] = number
    return []


def dry_run(data: bytes, *, actor: Any, filename: str = "") -> ImportResult:
    _require_lead(actor)
    developers, problems = check(data, filename=filename)
    return ImportResult(rows=len(developers), problems=problems)


def run(data: bytes, *, actor: Any, filename: str = "") -> ImportResult:
    """All rows or none: any problem (found first, or raised while writing) leaves the registry as it was."""
    _require_lead(actor)
    developers, problems = check(data, filename=filename)
    if problems:
        return ImportResult(rows=len(developers), problems=problems)
    written = 0
    try:
        with transaction.atomic():
            for developer in developers:
                assert developer is not None  # rows with problems were refused above
                actions.import_developer(developer, actor=actor)
                written += 1
    except DomainError as error:  # e.g. a name registered meanwhile: the whole import is undone
        problem = Problem(written + 1, _row_field(error.field), error.message)
        return ImportResult(rows=len(developers), problems=[problem])
    return ImportResult(rows=len(developers), problems=[], written=len(developers))


def _require_lead(actor: Any) -> None:
    if actor is not None:
        permissions.require(permissions.is_lead(actor))
