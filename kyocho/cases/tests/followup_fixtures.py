"""A registered developer for the follow-up tests: two contacts with phone numbers, one of them with
its own OpenPGP key (a real gpg home on the other side of the mail), notified in a case."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kyocho.accounts.models import Organisation, User
from kyocho.cases.models import Case, Participation
from kyocho.conftest import coordinating_case
from kyocho.messaging.gpgtesting import coordinator_data_dir, peer
from kyocho.vendors import actions as vendors
from kyocho.vendors import key_actions

SECRET = "Stored XSS in the router's admin page"
CONTACTS = [
    {
        "name": "PSIRT",
        "email": "psirt@vendor-a.example",
        "phone": "+81-3-1111-2222",
        "responsible": True,
        "language": "en",
    },
    {
        "name": "大川",
        "email": "okawa@vendor-a.example",
        "phone": "+81-3-3333-4444",
        "responsible": False,
        "language": "ja",
    },
]


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
    """Vendor A in the registry: the PSIRT has a key, the second contact none."""
    developer = vendors.clean_developer(
        {"name": vendor_org.name, "registration_type": "general", "phone": "+81-3-0000-0000", "contacts": CONTACTS}
    )
    registration = vendors.import_developer(developer, actor=None, organisation=vendor_org)
    key_actions.add_public_key(registration.pk, armored=psirt[1], actor=coordinator)
    return vendor_org


@pytest.fixture
def silent_case(coordinator: User, registered: Organisation) -> Case:
    """A case owned by ``coordinator`` with Vendor A notified (and silent so far)."""
    return coordinating_case(coordinator, registered, title=SECRET)


@pytest.fixture
def silent(silent_case: Case) -> Participation:
    return silent_case.participations.get()
