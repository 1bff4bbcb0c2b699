"""Email text from templates, in the recipient's language and the display time zone.

A template ``messaging/email/<name>.txt`` (in any app's ``templates`` folder) renders to the subject
on its first line, then the body. Plain text is not HTML: nothing is escaped, so a reporter's
``<script>`` stays readable text instead of turning into ``&lt;script&gt;``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.template import Context, Engine
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kyocho.core.errors import InvalidInput


@lru_cache(maxsize=1)
def _text_engine() -> Engine:
    return Engine(app_dirs=True, autoescape=False, builtins=["django.templatetags.i18n"])


def language_codes() -> frozenset[str]:
    return frozenset(code for code, _name in settings.LANGUAGES)


def check_language(language: str) -> str:
    if language not in language_codes():
        raise InvalidInput(
            _("Unknown language “%(language)s”; use one of: %(known)s.")
            % {"language": language, "known": ", ".join(sorted(language_codes()))},
            field="language",
        )
    return language


def render_email(template: str, context: Mapping[str, Any], language: str) -> tuple[str, str]:
    """(subject, body) of ``messaging/email/<template>.txt`` rendered in ``language``."""
    check_language(language)
    with translation.override(language), timezone.override(settings.TIME_ZONE):
        text = (
            _text_engine()
            .get_template(f"messaging/email/{template}.txt")
            .render(Context({"site_url": settings.SITE_URL, **context}, autoescape=False))
        )
    subject, _newline, body = text.strip().partition("\n")
    if not subject.strip():
        raise ValueError(f"email template {template!r} rendered no subject line")
    return subject.strip(), _tidy(body)


def _tidy(body: str) -> str:
    """Trailing spaces off, runs of blank lines (left by template tags) squeezed to one."""
    lines = [line.rstrip() for line in body.strip("\n").splitlines()]
    tidy: list[str] = []
    for line in lines:
        if line or (tidy and tidy[-1]):
            tidy.append(line)
    return "\n".join(tidy).strip() + "\n"
