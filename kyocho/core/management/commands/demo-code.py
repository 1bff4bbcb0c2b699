from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.utils.translation import gettext as _

from kyocho import demo
from kyocho.core.management.commands._base import KyochoCommand


class Command(KyochoCommand):
    help = (
        "Print the current sign-in code (TOTP) of a demo account, for signing in without an "
        "authenticator app. Only for accounts made by `kyocho demo`; refused in production."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("email", help="The demo account's email address.")

    def handle(self, *args: Any, email: str, **options: Any) -> None:
        code, seconds_left = demo.current_code(email)
        self.stdout.write(code)
        self.stderr.write(
            _("valid for %(seconds)d more seconds") % {"seconds": seconds_left}, style_func=lambda text: text
        )
