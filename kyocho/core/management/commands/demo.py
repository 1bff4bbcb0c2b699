from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from kyocho import demo
from kyocho.core.management.commands._base import KyochoCommand


class Command(KyochoCommand):
    help = (
        "Fill the database with demo data: a coordinator team, two product developers, a partner team, "
        "a review committee, a reporter and a case in coordination. Safe to run again: it only adds what "
        "is missing and prints the same accounts. Refused in production."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        accounts = demo.seed()
        headers = [_("role"), _("organisation"), _("email"), _("password"), _("TOTP secret")]
        rows = [[a.role, a.organisation, a.email, a.password, a.totp_secret] for a in accounts]
        for line in table(headers, rows):
            self.stdout.write(line)
        self.stdout.write("")
        self.stdout.write(
            _(
                "Sign in at %(url)s. For the second step, add the TOTP secret to an authenticator app, "
                "or run `kyocho demo-code EMAIL` for the current code."
            )
            % {"url": settings.SITE_URL + reverse("account_login")}
        )


def table(headers: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=False)]

    def line(cells: list[str]) -> str:
        return "  ".join(str(cell).ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()

    return [line(headers), line(["-" * width for width in widths]), *(line(row) for row in rows)]
