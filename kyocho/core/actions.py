"""Small pieces every ``actions.py`` uses: loading a row under a lock, and checking arguments (ids, choices, text)."""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import TextChoices
from django.utils.translation import gettext as _

from kyocho.core.errors import InvalidInput, NotFound

M = TypeVar("M", bound=models.Model)


def lock(model: type[M], pk: int | str) -> M:
    """The row with primary key ``pk``, locked until the end of the transaction; NotFound otherwise."""
    try:
        return model._default_manager.select_for_update().get(pk=pk)
    except (ObjectDoesNotExist, ValueError, TypeError) as error:
        raise NotFound() from error


def required_text(value: str | None, field: str, label: str, *, max_length: int | None = None) -> str:
    """Stripped text that must not be empty (a reason, a note); a clear error names the field."""
    text = (value or "").strip()
    if not text:
        raise InvalidInput(_("%(label)s is required.") % {"label": label}, field=field)
    if max_length is not None and len(text) > max_length:
        raise InvalidInput(
            _("%(label)s is too long (at most %(limit)d characters).") % {"label": label, "limit": max_length},
            field=field,
        )
    return text


def one_of(value: Any, choices: type[TextChoices], field: str) -> str:
    if value not in choices.values:
        raise InvalidInput(
            _("“%(value)s” is not one of: %(allowed)s.") % {"value": value, "allowed": ", ".join(choices.values)},
            field=field,
        )
    return str(value)


def as_id(value: Any, field: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise InvalidInput(_("This is not a valid id."), field=field)


def optional_text(value: Any, field: str, *, max_length: int | None = None) -> str:
    """Optional text: stripped, may be empty."""
    if not isinstance(value, str):
        raise InvalidInput(_("This must be text."), field=field)
    text = value.strip()
    if max_length is not None and len(text) > max_length:
        raise InvalidInput(_("This is too long (at most %(limit)d characters).") % {"limit": max_length}, field=field)
    return text
