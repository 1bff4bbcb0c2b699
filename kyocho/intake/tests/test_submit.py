"""Submitting a report: validation of every field, the tracking token, the acknowledgement written in
the same transaction, and the triage target on the Japanese calendar."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction

from kyocho.core.clock import now
from kyocho.core.errors import InvalidInput
from kyocho.core.ids import hash_token
from kyocho.intake import actions, queries
from kyocho.intake.models import Report
from kyocho.intake.tests.helpers import SOFTWARE_REPORT, audit_names, emails_about, submit
from kyocho.messaging import actions as messaging
from kyocho.messaging.models import OutboundEmail
from kyocho.messaging.testing import SmtpServer

JST = ZoneInfo("Asia/Tokyo")
# A Friday before Japan's 2026 "Silver Week": Mon 21 to Wed 23 September are all holidays.
FRIDAY_BEFORE_SILVER_WEEK = dt.datetime(2026, 9, 18, 10, 0, tzinfo=JST)


def test_anonymous_report_gets_a_tracking_token_and_an_acknowledgement(db: None, settings: Any) -> None:
    with time_machine.travel(FRIDAY_BEFORE_SILVER_WEEK, tick=False):
        report, token = submit()
    assert token is not None and len(token) >= 22  # ≥ 128 bits, URL-safe
    assert report.status == "received"
    assert re.fullmatch(r"KYR-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}", report.reference)
    assert report.reporter is None
    assert report.tracking_token_hash == hash_token(token)
    assert token not in {report.tracking_token_hash, *map(str, report.__dict__.values())}
    assert report.received_at == FRIDAY_BEFORE_SILVER_WEEK
    assert report.product_name == "Example Router RT-500"
    assert audit_names(report) == ["intake:report:received"]
    assert queries.report_for_token(token) == report

    (ack,) = emails_about(report)
    assert (ack.to, ack.purpose, ack.language) == ("hanako@finder.example", "report:acknowledgement", "en")
    assert ack.subject == f"[{report.reference}] We have received your vulnerability report"
    assert f"Tracking id: {report.reference}" in ack.body
    assert f"{settings.SITE_URL}/track/{token}/" in ack.body
    assert "Received: Sept. 18, 2026 10:00 JST" in ack.body
    assert "by: Sept. 30, 2026 10:00 JST" in ack.body


def test_triage_target_skips_weekends_and_japanese_holidays(db: None) -> None:
    with time_machine.travel(FRIDAY_BEFORE_SILVER_WEEK, tick=False):
        report, _token = submit()
    # Business days after Fri 18 Sep: Thu 24, Fri 25, Mon 28, Tue 29, Wed 30.
    assert report.triage_due_at == dt.datetime(2026, 9, 30, 10, 0, tzinfo=JST)


def test_triage_target_is_configurable(db: None, settings: Any) -> None:
    settings.KYOCHO = {**settings.KYOCHO, "TRIAGE_BUSINESS_DAYS": 1}
    with time_machine.travel(FRIDAY_BEFORE_SILVER_WEEK, tick=False):
        report, _token = submit()
    assert report.triage_due_at == dt.datetime(2026, 9, 24, 10, 0, tzinfo=JST)


def test_acknowledgement_is_in_the_reporters_language(db: None) -> None:
    with time_machine.travel(FRIDAY_BEFORE_SILVER_WEEK, tick=False):
        report, _token = submit(language="ja")
    (ack,) = emails_about(report)
    assert (report.language, ack.language) == ("ja", "ja")
    assert "2026年9月18日 10:00 JST" in ack.body


def test_signed_in_reporter_is_linked_and_gets_no_token(reporter: Any) -> None:
    report, token = submit(reporter, reporter_email="")
    assert token is None
    assert report.reporter == reporter
    assert report.reporter_email == reporter.email  # the account's address when none is given
    assert report.tracking_token_hash == ""
    (ack,) = emails_about(report)
    assert "/track/" not in ack.body
    assert "Follow your report after signing in" in ack.body
    assert queries.get_report(reporter, report.pk) == report


def test_staff_entering_a_report_act_for_the_finder(intake_staff: Any) -> None:
    report, token = submit(intake_staff)
    assert token is not None
    assert report.reporter is None
    assert report.reporter_email == "hanako@finder.example"
    (ack,) = emails_about(report)
    assert ack.to == "hanako@finder.example"


def test_staff_must_give_the_finders_address(intake_staff: Any) -> None:
    with pytest.raises(InvalidInput) as refused:
        submit(intake_staff, reporter_email="")
    assert refused.value.field == "reporter_email"


def test_web_application_and_self_report_forms(vendor_member: Any) -> None:
    web, _token = submit(kind="web_application", site_url="https://shop.example.jp/cart")
    assert (web.kind, web.site_url) == ("web_application", "https://shop.example.jp/cart")
    own, token = submit(vendor_member, kind="self_report", developer_name="Example Vendor A")
    assert (own.kind, own.reporter, token) == ("self_report", vendor_member, None)


def test_acknowledgement_is_delivered_to_the_reporter(db: None, smtp_server: SmtpServer) -> None:
    _report, token = submit()
    messaging.deliver_due_emails(now())
    (mail,) = smtp_server.received
    assert mail.recipients == ["hanako@finder.example"]
    assert f"/track/{token}/" in mail.text
    assert "Example Router RT-500" in mail.text


def test_report_text_is_not_html_escaped_in_mail(db: None) -> None:
    report, _token = submit(product_name="<b>Router</b> & Co's")
    (ack,) = emails_about(report)
    assert "Product: <b>Router</b> & Co's" in ack.body


def test_acknowledgement_and_report_commit_together(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """If anything fails after the acknowledgement is queued, neither the report nor the email remains."""
    queue_for_real = actions.enqueue_from_template

    def queue_then_fail(*args: Any, **kwargs: Any) -> Any:
        queue_for_real(*args, **kwargs)
        raise RuntimeError("database went away")

    monkeypatch.setattr(actions, "enqueue_from_template", queue_then_fail)
    with transaction.atomic(), pytest.raises(RuntimeError):
        submit()
    assert not Report.objects.exists()
    assert not OutboundEmail.objects.exists()


LONG = "x" * 20_001


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"reporter_email": ""}, "reporter_email"),
        ({"reporter_email": "not an address"}, "reporter_email"),
        ({"reporter_email": "a@b.example\nBcc: x@y.example"}, "reporter_email"),
        ({"product_name": ""}, "product_name"),
        ({"product_name": "   "}, "product_name"),
        ({"product_name": "x" * 301}, "product_name"),
        ({"product_name": "two\nlines"}, "product_name"),
        ({"product_name": 42}, "product_name"),
        ({"description": ""}, "description"),
        ({"description": LONG}, "description"),
        ({"description": "nul \x00 byte"}, "description"),
        ({"reproduction": LONG}, "reproduction"),
        ({"impact": "bell \x07"}, "impact"),
        ({"reporter_name": "x" * 201}, "reporter_name"),
        ({"reporter_phone": "0" * 51}, "reporter_phone"),
        ({"product_version": "x" * 201}, "product_version"),
        ({"found_lawfully": False}, "found_lawfully"),
        ({"found_lawfully": "yes"}, "found_lawfully"),
        ({"found_lawfully": None}, "found_lawfully"),
        ({"credit": "famous"}, "credit"),
        ({"credit": "name", "reporter_name": ""}, "reporter_name"),
        ({"share_contact_with_developer": "on"}, "share_contact_with_developer"),
        ({"site_url": "javascript:alert(1)"}, "site_url"),
        ({"site_url": "ftp://files.example"}, "site_url"),
        ({"reporter_pgp_key": "my key is on keys.openpgp.org"}, "reporter_pgp_key"),
        ({"status": "accepted"}, "status"),
        ({"reporter": 1}, "reporter"),
    ],
)
def test_each_bad_field_is_refused_by_name(db: None, overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        submit(**overrides)
    assert refused.value.field == field
    assert refused.value.message
    assert not Report.objects.exists()
    assert not OutboundEmail.objects.exists()


def test_a_missing_found_lawfully_confirmation_is_refused(db: None) -> None:
    fields = {name: value for name, value in SOFTWARE_REPORT.items() if name != "found_lawfully"}
    with pytest.raises(InvalidInput) as refused:
        actions.submit_report(kind="software", fields=fields, actor=None, language="en")
    assert refused.value.field == "found_lawfully"


@pytest.mark.parametrize(
    ("kind", "overrides", "field"),
    [
        ("web_application", {}, "site_url"),
        ("web_application", {"site_url": "shop.example.jp"}, "site_url"),
        ("self_report", {"developer_name": ""}, "developer_name"),
        ("firmware", {}, "kind"),
        ("", {}, "kind"),
    ],
)
def test_each_form_requires_its_own_fields(db: None, kind: str, overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        submit(kind=kind, **overrides)
    assert refused.value.field == field


def test_unknown_language_and_unreadable_fields_are_refused(db: None) -> None:
    with pytest.raises(InvalidInput) as refused:
        submit(language="fr")
    assert refused.value.field == "language"
    with pytest.raises(InvalidInput) as refused:
        actions.submit_report(kind="software", fields=["not", "a", "mapping"], actor=None, language="en")  # type: ignore[arg-type]
    assert refused.value.field == "fields"


def test_refusal_messages_read_well(db: None) -> None:
    with pytest.raises(InvalidInput, match=r"^Product is too long \(at most 300 characters\)\.$"):
        submit(product_name="x" * 301)
    with pytest.raises(InvalidInput, match=r"^OpenPGP public key contains control characters\.$"):
        submit(reporter_pgp_key="-----BEGIN PGP PUBLIC KEY BLOCK-----\x00")
    with pytest.raises(InvalidInput, match=r"^Web site address is required\.$"):
        submit(kind="web_application")
