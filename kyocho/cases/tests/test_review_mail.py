"""A returned answer or statement is told to the developer: the details (and the comment) only to a
contact with a usable key, signed and encrypted; a contact without one gets the content-free notice.
The real gpg opens what is delivered to an in-process SMTP server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kyocho.accounts.models import Organisation, User
from kyocho.cases import actions, reviews
from kyocho.cases.models import Participation
from kyocho.conftest import VENDOR_A_CONTACTS, coordinating_case, list_developer
from kyocho.messaging import actions as outbox
from kyocho.messaging.gpgtesting import coordinator_data_dir, open_pgp_mime, peer, plain_text
from kyocho.messaging.models import OutboundEmail
from kyocho.messaging.testing import SmtpServer

pytestmark = pytest.mark.django_db

COMMENT = "Router X 2.0 ships the vulnerable library too: please check it again."


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
def participation(vendor_org: Organisation, coordinator: User, psirt: tuple[Path, str]) -> Participation:
    """Vendor A with a keyed PSIRT contact and a contact without a key, acknowledged in a case."""
    list_developer(vendor_org, VENDOR_A_CONTACTS, psirt[1], actor=coordinator)
    case = coordinating_case(coordinator, vendor_org, title="Overflow in the shared parser")
    participation = case.participations.get()
    return actions.acknowledge_participation(participation.pk, actor=coordinator)


def returned_mail() -> dict[str, OutboundEmail]:
    return {row.to: row for row in OutboundEmail.objects.filter(purpose="case:review_returned")}


def test_a_returned_answer_is_told_encrypted_with_the_comment(
    participation: Participation, coordinator: User, smtp_server: SmtpServer, psirt: tuple[Path, str]
) -> None:
    vulnerability = actions.add_vulnerability(
        participation.case_id, title="Heap overflow in the parser", actor=coordinator
    )
    answer = actions.record_answer(
        participation.pk, vulnerability_id=vulnerability.pk, product="Router X", status="not_affected",
        justification="component_not_present", actor=coordinator,
    )  # fmt: skip
    reviews.review_answer(answer.pk, approve=False, comment=COMMENT, actor=coordinator)
    rows = returned_mail()
    assert set(rows) == {"psirt@vendor-a.example", "okawa@vendor-a.example"}
    keyed, plain = rows["psirt@vendor-a.example"], rows["okawa@vendor-a.example"]
    assert keyed.encrypt_to and COMMENT in keyed.body and "Heap overflow in the parser" in keyed.body
    assert not plain.encrypt_to and COMMENT not in plain.body and "Heap overflow" not in plain.body
    assert COMMENT not in keyed.subject and "parser" not in keyed.subject  # the subject travels in the clear

    assert outbox.deliver_batch([keyed.pk, plain.pk])
    delivered = {received.recipients[0]: received for received in smtp_server.received}
    encrypted = delivered["psirt@vendor-a.example"].message
    assert COMMENT not in encrypted.as_string()
    good, inner = open_pgp_mime(psirt[0], encrypted)
    assert good and inner is not None
    text = plain_text(inner)
    assert COMMENT in text and "Router X" in text and "Not affected" in text
    assert COMMENT not in delivered["okawa@vendor-a.example"].message.as_string()


def test_a_returned_statement_is_told_too(participation: Participation, coordinator: User) -> None:
    statement = reviews.save_statement(
        participation.pk, text_ja="", text_en="We fixed it.", references=[], actor=coordinator
    )
    reviews.review_statement(statement.pk, approve=False, comment=COMMENT, actor=coordinator)
    keyed = returned_mail()["psirt@vendor-a.example"]
    assert COMMENT in keyed.body and "statement" in keyed.subject


def test_approval_sends_nothing(participation: Participation, coordinator: User) -> None:
    statement = reviews.save_statement(participation.pk, text_ja="", text_en="Fixed.", references=[], actor=coordinator)
    reviews.review_statement(statement.pk, approve=True, actor=coordinator)
    assert returned_mail() == {}
