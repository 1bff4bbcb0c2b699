"""Checking advisory content and references before they are stored (no I/O, no state)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _

from kyocho.advisories.workflow import SECTIONS
from kyocho.core.errors import InvalidInput

LANGUAGES = ("ja", "en")
TITLE_MAX = 300
SECTION_MAX = 50_000
REFERENCES_MAX = 200
URL_MAX = 2000

_url_validator = URLValidator(schemes=["http", "https"])


def language_name(language: str) -> str:
    return _("Japanese") if language == "ja" else _("English")


def clean_content(content: Any) -> dict[str, dict[str, str]]:
    """``{"ja": {section: text}, "en": {…}}`` with known sections only, text only, within size limits."""
    if not isinstance(content, dict):
        raise InvalidInput(_("The content must give sections per language."), field="content")
    if set(content) - set(LANGUAGES):
        raise InvalidInput(_("Content is written in Japanese (ja) and English (en) only."), field="content")
    return {language: _clean_sections(content.get(language) or {}, language) for language in LANGUAGES}


def _clean_sections(sections: Any, language: str) -> dict[str, str]:
    if not isinstance(sections, dict):
        raise InvalidInput(_("The content must give sections per language."), field=f"content.{language}")
    unknown = sorted(set(sections) - set(SECTIONS), key=str)
    if unknown:
        raise InvalidInput(
            _("“%(section)s” is not a section of an advisory.") % {"section": unknown[0]},
            field=f"content.{language}.{unknown[0]}",
        )
    cleaned = {}
    for section, text in sections.items():
        field = f"content.{language}.{section}"
        if not isinstance(text, str):
            raise InvalidInput(_("Each section is text."), field=field)
        limit = TITLE_MAX if section == "title" else SECTION_MAX
        if len(text.strip()) > limit:
            raise InvalidInput(
                _("This section is too long (at most %(limit)d characters).") % {"limit": limit}, field=field
            )
        cleaned[section] = text.strip()
    return cleaned


def require_titles(content: dict[str, dict[str, str]]) -> None:
    """An advisory goes to review, and is published, only with a title in both languages."""
    for language in LANGUAGES:
        if not content.get(language, {}).get("title"):
            raise InvalidInput(
                _("A title in %(language)s is required.") % {"language": language_name(language)},
                field=f"content.{language}.title",
            )


def clean_references(references: Any) -> list[dict[str, str]]:
    """``[{"url": "https://…", "title": "…"}]``: http(s) addresses only."""
    if references is None:
        return []
    if not isinstance(references, list | tuple):
        raise InvalidInput(_("References must be a list."), field="references")
    if len(references) > REFERENCES_MAX:
        raise InvalidInput(
            _("At most %(limit)d references can be given.") % {"limit": REFERENCES_MAX}, field="references"
        )
    return [_clean_reference(reference, index) for index, reference in enumerate(references)]


def _clean_reference(reference: Any, index: int) -> dict[str, str]:
    field = f"references.{index}"
    if not isinstance(reference, dict) or set(reference) - {"url", "title"}:
        raise InvalidInput(_("A reference has a URL and optionally a title."), field=field)
    url, title = reference.get("url"), reference.get("title", "")
    if not isinstance(url, str) or not isinstance(title, str):
        raise InvalidInput(_("A reference has a URL and optionally a title."), field=field)
    url, title = url.strip(), title.strip()
    try:
        if len(url) > URL_MAX:
            raise ValidationError("too long")
        _url_validator(url)
    except ValidationError as error:
        raise InvalidInput(_("Enter a valid http or https address."), field=f"{field}.url") from error
    if len(title) > TITLE_MAX:
        raise InvalidInput(_("The title is too long."), field=f"{field}.title")
    return {"url": url, "title": title}
