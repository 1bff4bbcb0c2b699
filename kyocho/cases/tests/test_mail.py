"""Mail to a developer's contacts: encrypted to each contact's own key, or a content-free notice; one
message per recipient over one SMTP connection; the outcome of each mail becomes its contact attempt's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from kyocho.accounts.models import Membership, Organisation, User
from kyocho.cases import actions, mail
from kyocho.cases.models import ContactAttempt, Participation, ReplyToken, ThreadKind
from kyocho.cases.workflow import ContactOutcome
from kyocho.conftest import VENDOR_A_CONTACTS, coordinating_case, list_developer
from kyocho.messaging import actions as outbox
from kyocho.messaging.gpgtesting import coordinator_data_dir, open_pgp_mime, peer, plain_text
from kyocho.messaging.models import OutboundEmail
from kyocho.messaging.testing import SmtpServer
from kyocho.messaging.workflow import EmailStatus

SECRET = "Stored XSS in the router's admin page"


@pytest.fixture(scope="session")
def server_data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield from coordinator_data_dir(tmp_path_factory)


@pytest.fixture(scope="session")
def psirt(server_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    yield from peer(tmp_path_factory, server_data, "psirt", "psirt@vendor-a.example")


@pytest.fixture(autouse=True)
def _server(settings: Any, server_data: Path) -> None:
    settings.DATA_DIR = server_data


@pytest.fixture
def registered(vendor_org: Organisation, coordinator: User, psirt: tuple[Path, str]) -> Organisation:
    """Vendor A with two contacts: the PSIRT has a key, the second contact none."""
    return list_developer(vendor_org, VENDOR_A_CONTACTS, psirt[1], actor=coordinator)


@pytest.fixture
def participation(coordinator: User, registered: Organisation) -> Participation:
    case = coordinating_case(coordinator, registered, title=SECRET)
    return case.participations.get()


def tell(participation: Participation) -> list[tuple[mail.Recipient, OutboundEmail]]:
    with transaction.atomic():
        sent = mail.tell_developer(
            participation, "case_notification", {"vulnerabilities": []}, purpose="case:notification", actor=None
        )
        for _recipient, row in sent:
            actions.log_email_attempt(participation, row, actor=None)
    return sent


def test_each_contact_gets_one_message_encrypted_to_its_own_key_or_a_notice(
    participation: Participation, smtp_server: SmtpServer, psirt: tuple[Path, str]
) -> None:
    sent = tell(participation)
    assert [(recipient.address, bool(row.encrypt_to)) for recipient, row in sent] == [
        ("psirt@vendor-a.example", True),
        ("okawa@vendor-a.example", False),
    ]
    assert outbox.deliver_batch([row.pk for _recipient, row in sent]) == {EmailStatus.SENT: 2}
    by_address = {received.recipients[0]: received for received in smtp_server.received}
    assert all(len(received.recipients) == 1 for received in smtp_server.received)

    encrypted = by_address["psirt@vendor-a.example"].message
    assert encrypted.get_content_type() == "multipart/encrypted"
    assert participation.case.reference in encrypted["Subject"] and SECRET not in encrypted.as_string()
    good, inner = open_pgp_mime(psirt[0], encrypted)
    assert good and inner is not None and SECRET in plain_text(inner)

    notice = by_address["okawa@vendor-a.example"]
    assert SECRET not in notice.message.as_string()
    assert notice.message["Content-Language"] == "ja"  # in the contact's own language
    assert "/portal/cases/" + participation.case.reference in notice.text
    assert "/accounts/password/reset/" in notice.text  # no account password yet: how to set one


def test_replies_go_to_the_developer_thread_token(participation: Participation, smtp_server: SmtpServer) -> None:
    sent = tell(participation)
    token = ReplyToken.objects.get()
    assert token.thread.kind == ThreadKind.DEVELOPER and token.organisation_id == participation.organisation_id
    assert len(token.token) == 32 and token.token.islower()
    for _recipient, row in sent:
        assert row.headers["Reply-To"] == mail.reply_address(token)
        assert mail.token_of_address(row.headers["Reply-To"].upper()) == token.token
    tell(participation)
    assert ReplyToken.objects.count() == 1  # the same conversation, the same address


def test_token_of_address_ignores_other_addresses(settings: Any) -> None:
    settings.KYOCHO = {**settings.KYOCHO, "REPLY_ADDRESS": "cvd@kyocho.example"}
    assert mail.token_of_address("cvd+abc@kyocho.example") == "abc"
    assert mail.token_of_address("Someone <cvd+abc@kyocho.example>") == "abc"
    assert mail.token_of_address("cvd@kyocho.example") is None
    assert mail.token_of_address("cvd+abc@elsewhere.example") is None
    assert mail.token_of_address("other+abc@kyocho.example") is None


def test_delivery_and_bounce_become_the_attempt_outcome(participation: Participation, smtp_server: SmtpServer) -> None:
    sent = tell(participation)
    attempts = ContactAttempt.objects.filter(email__in=[row for _recipient, row in sent])
    assert set(attempts.values_list("outcome", flat=True)) == {ContactOutcome.SENT}
    outbox.deliver_batch([row.pk for _recipient, row in sent])
    assert set(attempts.values_list("outcome", flat=True)) == {ContactOutcome.DELIVERED}
    bounced = sent[1][1]
    bounced.refresh_from_db()
    outbox.record_bounce(bounced.message_id, reason="550 5.1.1 mailbox unknown")
    attempt = ContactAttempt.objects.get(email=bounced)
    assert attempt.outcome == ContactOutcome.FAILED and "mailbox unknown" in attempt.note
    assert OutboundEmail.objects.get(pk=bounced.pk).status == EmailStatus.BOUNCED
    assert outbox.record_bounce(bounced.message_id, reason="again") is None  # once only
    assert outbox.record_bounce("<unknown@example>", reason="x") is None


def test_a_refused_recipient_fails_its_attempt_only(participation: Participation, smtp_server: SmtpServer) -> None:
    smtp_server.handler.refused.add("okawa@vendor-a.example")
    sent = tell(participation)
    assert outbox.deliver_batch([row.pk for _recipient, row in sent]) == {EmailStatus.SENT: 1, EmailStatus.FAILED: 1}
    mine = ContactAttempt.objects.filter(email__in=[row for _recipient, row in sent])
    outcomes = dict(mine.values_list("address", "outcome"))
    assert outcomes == {
        "psirt@vendor-a.example": ContactOutcome.DELIVERED,
        "okawa@vendor-a.example": ContactOutcome.FAILED,
    }


def test_portal_access_is_granted_to_every_contact(participation: Participation) -> None:
    # The notification granted it (cases.notify); granting again changes nothing.
    assert sorted(
        Membership.objects.filter(organisation=participation.organisation).values_list("user__email", flat=True)
    ) == [
        "okawa@vendor-a.example",
        "psirt@vendor-a.example",
    ]
    assert not User.objects.get(email="okawa@vendor-a.example").has_usable_password()
    assert Membership.objects.filter(organisation=participation.organisation).count() == 2
    with transaction.atomic():
        assert mail.grant_portal_access(participation) == []


@pytest.mark.django_db(transaction=True)
def test_tell_developer_outside_a_transaction_is_refused(participation: Participation) -> None:
    with pytest.raises(RuntimeError, match="inside the transaction"):
        mail.tell_developer(participation, "case_notification", {}, purpose="case:notification", actor=None)
