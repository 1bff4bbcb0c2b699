"""Template helpers shared by every page: times with their zone, safe Markdown, audit actors, MFA state."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.http import QueryDict
from django.utils import dateformat
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from kyocho.accounts.middleware import must_set_up_mfa_first
from kyocho.core.clock import display_zone, now
from kyocho.core.text import render_markdown

register = template.Library()

# Every time a person reads carries its zone: deadlines are the product (PRODUCT.md §2).
TIME_FORMAT = "Y-m-d H:i T"


@register.filter
def when(value: dt.datetime | None) -> SafeString | str:
    """``<time>`` with the instant in UTC for machines and date, hour and zone for people."""
    if value is None:
        return "—"
    local = value.astimezone(display_zone())
    return format_html(
        '<time datetime="{}">{}</time>',
        value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        dateformat.format(local, TIME_FORMAT),
    )


@register.filter
def audit_value(value: Any) -> SafeString | str:
    """A value from an audit event's data: instants (stored as ISO 8601 text) read like every other time."""
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and "T" in value:
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is not None:
            return when(moment)
    return str(value)


@register.filter
def is_past(value: dt.datetime | None) -> bool:
    return value is not None and value < now()


@register.filter
def markdown(value: str | None) -> SafeString:
    return mark_safe(render_markdown(value or ""))  # noqa: S308 - render_markdown sanitises with an allow-list


@register.filter
def actor_name(label: str) -> str:
    """An audit event's actor as a person reads it: the email address, or "System"."""
    if label == "system":
        return _("System")
    return label.split(":", 2)[-1]


@register.simple_tag(takes_context=True)
def mfa_setup_required(context: template.Context) -> bool:
    """True while the signed-in person's role demands MFA and no authenticator is set up yet."""
    return must_set_up_mfa_first(context.get("user"))


@register.simple_tag(takes_context=True)
def query_with(context: template.Context, name: str, value: Any) -> str:
    """The current page's query string with ``name`` set to ``value`` (the other parameters kept)."""
    request = context.get("request")
    query = request.GET.copy() if request is not None else QueryDict(mutable=True)
    query[name] = str(value)
    return query.urlencode()
