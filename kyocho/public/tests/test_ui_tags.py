"""The template helpers every page uses."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings

from kyocho.public.templatetags.kyocho_ui import actor_name, audit_value, is_past, markdown, when

NOON_UTC = dt.datetime(2025, 4, 1, 3, 0, tzinfo=dt.UTC)


def test_times_show_date_hour_and_zone_with_the_utc_instant_for_machines() -> None:
    assert when(NOON_UTC) == '<time datetime="2025-04-01T03:00:00Z">2025-04-01 12:00 JST</time>'


@override_settings(TIME_ZONE="Europe/London")
def test_the_display_zone_is_configurable() -> None:
    assert when(NOON_UTC) == '<time datetime="2025-04-01T03:00:00Z">2025-04-01 04:00 BST</time>'


def test_a_missing_time_is_a_dash() -> None:
    assert when(None) == "—"


def test_is_past() -> None:
    assert is_past(NOON_UTC)
    assert not is_past(dt.datetime(2999, 1, 1, tzinfo=dt.UTC))
    assert not is_past(None)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("2025-04-01T03:00:00+00:00", '<time datetime="2025-04-01T03:00:00Z">2025-04-01 12:00 JST</time>'),
        ("2025-04-01T03:00:00", "2025-04-01T03:00:00"),  # no zone: not an instant, left as written
        ("2025-99-01T03:00:00+00:00", "2025-99-01T03:00:00+00:00"),
        ("Stored XSS", "Stored XSS"),
        (7, "7"),
    ],
)
def test_audit_values(value: object, shown: str) -> None:
    assert audit_value(value) == shown


def test_actor_names() -> None:
    assert actor_name("user:12:coordinator@example.org") == "coordinator@example.org"
    assert actor_name("system") == "System"


def test_markdown_is_sanitised() -> None:
    html = markdown("**bold** <script>alert(1)</script> [x](javascript:alert(1))")
    assert "<strong>bold</strong>" in html
    assert "<script>" not in html
    assert 'href="javascript' not in html
