from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.utils.translation import gettext as _

from kyocho.core.management.commands._base import KyochoCommand
from kyocho.messaging import openpgp


class Command(KyochoCommand):
    help = "The coordinator's OpenPGP key for encrypted reports: `kyocho keys init` creates it, `kyocho keys show` prints it."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        actions.add_parser("init", help="Create the coordinator key if there is none; print its fingerprint.")
        actions.add_parser("show", help="Print the public key (ASCII armour) and its fingerprint.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "init":
            self.stdout.write(openpgp.ensure_coordinator_key())
            return
        armored, fingerprint = openpgp.coordinator_public_key()
        if not fingerprint:
            self.stderr.write(_("There is no coordinator key yet: run `kyocho keys init`."))
            raise SystemExit(1)
        self.stdout.write(fingerprint)
        self.stdout.write(armored)
