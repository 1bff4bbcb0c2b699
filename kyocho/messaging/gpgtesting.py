"""Test helpers for OpenPGP: a coordinator key in a throw-away DATA_DIR, and gpg-agent clean-up."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import override_settings

from kyocho.messaging import openpgp


def kill_agent(home: Path) -> None:
    # A fixed command line of the gpg suite (tests only).
    subprocess.run(  # noqa: S603
        ["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"],  # noqa: S607
        check=False,
        capture_output=True,
    )


def coordinator_data_dir(factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A DATA_DIR holding a coordinator key, for a session fixture: Ed25519 generation is quick, not free."""
    data = factory.mktemp("server")
    with override_settings(DATA_DIR=data):
        openpgp.ensure_coordinator_key()
    yield data
    kill_agent(data / "gnupg")
