"""What every ``kyocho`` command shares: plain messages for refusals, in the operator's language."""

from __future__ import annotations

import os
import sys
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import translation

from kyocho.core.errors import DomainError

REFUSED_EXIT_CODE = 2


def operator_language() -> str:
    """Japanese when the terminal's locale is Japanese, English otherwise."""
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable)
        if value:
            return "ja" if value.lower().startswith("ja") else "en"
    return "en"


class KyochoCommand(BaseCommand):
    """A domain error (bad input, not found, not allowed, conflict) ends the command with its message
    and exit status 2, not a traceback."""

    # Django's generic options still work; they only crowd the --help of an operator's command.
    suppressed_base_arguments = set(
        {
            "--version",
            "--verbosity",
            "--settings",
            "--pythonpath",
            "--traceback",
            "--no-color",
            "--force-color",
            "--skip-checks",
        }
    )

    def execute(self, *args: Any, **options: Any) -> Any:
        with translation.override(operator_language()):
            return super().execute(*args, **options)

    def run_from_argv(self, argv: list[str]) -> None:
        try:
            super().run_from_argv(argv)
        except DomainError as error:
            prefix = f"{error.field}: " if error.field else ""
            self.stderr.write(f"{prefix}{error.message}")
            sys.exit(REFUSED_EXIT_CODE)
