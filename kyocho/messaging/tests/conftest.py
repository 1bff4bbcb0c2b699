"""Fixtures for inbound mail: a coordinator key, correspondents with GnuPG homes of their own (the real
``gpg`` on the other side), and a registered developer in a coordinating case with a reply address."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from kyocho.accounts.models import Organisation, User
from kyocho.cases import mail
from kyocho.cases.models import Case, ThreadKind
from kyocho.conftest import coordinating_case
from kyocho.messaging import inbound
from kyocho.messaging.gpgtesting import coordinator_data_dir, peer
from kyocho.messaging.models import InboundMail
from kyocho.messaging.tests import mailmaker
from kyocho.messaging.workflow import InboundStatus
from kyocho.vendors import actions as vendors
from kyocho.vendors import key_actions

PSIRT = "psirt@vendor-a.example"


@pytest.fixture(scope="session")
def mail_server_data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield from coordinator_data_dir(tmp_path_factory)


@pytest.fixture(scope="session")
def psirt_gpg(mail_server_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """The developer's PSIRT: its key is registered with the developer."""
    yield from peer(tmp_path_factory, mail_server_data, "psirt", PSIRT)


@pytest.fixture(scope="session")
def stranger_gpg(mail_server_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """Someone whose key kyocho does not know."""
    yield from peer(tmp_path_factory, mail_server_data, "stranger", "someone@elsewhere.example")


@pytest.fixture
def mail_settings(settings: Any, mail_server_data: Path, db: None) -> Any:
    settings.DATA_DIR = mail_server_data
    settings.DEFAULT_FROM_EMAIL = "kyocho <cvd@kyocho.example>"
    settings.KYOCHO = {**settings.KYOCHO, "REPLY_ADDRESS": "cvd@kyocho.example"}
    return settings


@pytest.fixture
def registered(
    mail_settings: Any, vendor_org: Organisation, coordinator: User, psirt_gpg: tuple[Path, str]
) -> Organisation:
    """Vendor A, registered with its PSIRT as contact and the PSIRT's key."""
    contacts = [{"name": "PSIRT", "email": PSIRT, "responsible": True, "language": "en"}]
    developer = vendors.clean_developer({"name": vendor_org.name, "registration_type": "general", "contacts": contacts})
    registration = vendors.import_developer(developer, actor=None, organisation=vendor_org)
    key_actions.add_public_key(registration.pk, armored=psirt_gpg[1], actor=coordinator)
    return vendor_org


@dataclass(frozen=True)
class Conversation:
    case: Case
    thread_id: int
    reply_address: str


def developer_conversation(case: Case, organisation: Organisation) -> Conversation:
    """The developer's thread of the case and the reply address mail to the developer carries."""
    with transaction.atomic():
        thread = mail.party_thread(case, ThreadKind.DEVELOPER, organisation.pk, actor=None)
        address = mail.reply_address(mail.reply_token(thread, organisation.pk))
    return Conversation(case, thread.pk, address)


@pytest.fixture
def conversation(coordinator: User, registered: Organisation) -> Conversation:
    return developer_conversation(coordinating_case(coordinator, registered, title="Stored XSS in RT-500"), registered)


# --- Held mail ---------------------------------------------------------------------------------------

TEXT = "Our fix plan is attached. <script>alert('x')</script> <b>bold</b>"


def sorted_mail(raw: bytes, to: str = "cvd@kyocho.example", sender: str = PSIRT) -> InboundMail:
    stored, _new = inbound.store_inbound(raw, via="smtp", envelope_from=sender, envelope_to=[to])
    inbound.sort_inbound(stored.pk)
    stored.refresh_from_db()
    return stored


@pytest.fixture
def held_reply(conversation: Conversation, psirt_gpg: tuple[Path, str]) -> InboundMail:
    """A signed, encrypted reply from the PSIRT, held because its attachment is not a type we take."""
    entity = mailmaker.mime_entity(TEXT, [("tool.exe", b"MZ\x90\x00\x03\x00\x00\x00")])
    raw = mailmaker.pgp_mime(
        mailmaker.encrypt(psirt_gpg[0], entity),
        sender=PSIRT,
        to=conversation.reply_address,
        subject=f"Re: [kyocho {conversation.case.reference}] notification",
    )
    stored = sorted_mail(raw, to=conversation.reply_address)
    assert stored.status == InboundStatus.HELD
    return stored


@pytest.fixture
def held_bounce(mail_settings: Any) -> InboundMail:
    from kyocho.messaging.tests.test_bounces import dsn  # a test module: imported when used

    stored = sorted_mail(dsn("<never-sent@kyocho.example>"), sender="")
    assert stored.status == InboundStatus.HELD
    return stored
