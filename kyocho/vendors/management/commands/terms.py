from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from kyocho.core.errors import InvalidInput
from kyocho.core.management.commands._base import KyochoCommand
from kyocho.vendors import actions


class Command(KyochoCommand):
    help = (
        "Manage the registration terms of the product developer list. `kyocho terms publish --version V "
        "--ja FILE --en FILE` makes a new version current; every listed developer is asked to accept it."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        commands = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        publish = commands.add_parser("publish", help="Publish a new version of the terms.")
        publish.add_argument("--version", dest="terms_version", required=True, help="Version name, e.g. 2026-04.")
        publish.add_argument("--ja", type=Path, required=True, help="UTF-8 text file with the Japanese terms.")
        publish.add_argument("--en", type=Path, required=True, help="UTF-8 text file with the English terms.")

    def handle(self, *args: Any, terms_version: str, ja: Path, en: Path, **options: Any) -> None:
        terms = actions.publish_terms(
            terms_version, text_ja=read_text(ja, "ja"), text_en=read_text(en, "en"), actor=None
        )
        self.stdout.write(
            self.style.SUCCESS(_("Published registration terms %(version)s.") % {"version": terms.version})
        )


def read_text(path: Path, field: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInput(
            _("Cannot read %(path)s: %(error)s") % {"path": path, "error": error}, field=field
        ) from error
