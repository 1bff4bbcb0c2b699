"""Email text: subject on the first line, plain text never HTML-escaped, the recipient's language and
the display time zone, and the caller's own language left as it was."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import transaction
from django.template import TemplateDoesNotExist
from django.utils import translation

from kyocho.core.errors import InvalidInput
from kyocho.messaging import actions
from kyocho.messaging.rendering import render_email


def test_first_line_is_the_subject_and_blank_runs_are_squeezed(settings: Any) -> None:
    subject, body = render_email("portal_notice", {}, "en")
    assert subject == "[kyocho] There is news for you; please sign in"
    assert body.startswith("There is new information for you in kyocho.")
    assert f"\n\n{settings.SITE_URL}\n" in body
    assert "\n\n\n" not in body
    assert body.endswith("\n") and not body.endswith("\n\n")


def test_text_is_not_html_escaped() -> None:
    _subject, body = render_email("portal_notice", {"recipient_name": "O'Brien & <Co>"}, "en")
    assert body.startswith("Dear O'Brien & <Co>,\n")


def test_dates_follow_the_recipients_language_in_the_display_zone() -> None:
    at = dt.datetime(2026, 9, 18, 1, 0, tzinfo=dt.UTC)  # 10:00 in Tokyo
    report = SimpleNamespace(reference="KYR-TEST-TEST", product_name="Router", received_at=at, triage_due_at=at)
    _subject, english = render_email("report_acknowledgement", {"report": report}, "en")
    _subject, japanese = render_email("report_acknowledgement", {"report": report}, "ja")
    assert "Sept. 18, 2026 10:00 JST" in english
    assert "2026年9月18日 10:00 JST" in japanese
    assert translation.get_language() == "en"  # the caller's language is back


def test_unknown_language_and_template_are_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        render_email("portal_notice", {}, "de")
    assert refused.value.field == "language"
    with pytest.raises(TemplateDoesNotExist):
        render_email("no_such_message", {}, "en")


def test_enqueue_from_template_queues_the_rendered_text(db: None) -> None:
    with transaction.atomic():
        email = actions.enqueue_from_template(
            "portal_notice",
            {"link": "https://kyocho.example/cases/"},
            to="psirt@vendor.example",
            language="en",
            purpose="case:portal_notice",
            actor=None,
        )
    assert email.subject == "[kyocho] There is news for you; please sign in"
    assert "https://kyocho.example/cases/" in email.body
    assert email.purpose == "case:portal_notice"
