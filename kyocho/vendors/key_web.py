"""Shared pieces of the key and security.txt pages (portal and staff): the posted text, and the key that
belongs to the registration in the URL."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _

from kyocho.core.errors import InvalidInput, NotFound
from kyocho.vendors.key_queries import keys_of
from kyocho.vendors.models import PublicKey

UPLOAD_LIMIT = 64_000  # bytes; keys and security.txt files are a few kilobytes


def posted_text(request: HttpRequest, text_field: str, file_field: str) -> str:
    """The uploaded file's text if one was sent, otherwise the pasted text."""
    upload = request.FILES.get(file_field)
    if upload is None:
        return request.POST.get(text_field, "")
    data = upload.read(UPLOAD_LIMIT + 1)
    if len(data) > UPLOAD_LIMIT:
        raise InvalidInput(_("This file is too large."), field=text_field)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidInput(_("This file is not text (UTF-8)."), field=text_field) from error


def key_of(actor: object, registration_id: int, key_id: int) -> PublicKey:
    """The key ``key_id`` of that registration, or NotFound (another developer's key included)."""
    key = keys_of(actor, registration_id).filter(pk=key_id).first()
    if key is None:
        raise NotFound()
    return key
