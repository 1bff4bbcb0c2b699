from __future__ import annotations

import getpass
import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from kyocho.accounts import actions as accounts
from kyocho.accounts.models import Organisation
from kyocho.accounts.roles import STAFF_ROLES, OrganisationKind
from kyocho.core.bootstrap import ensure_membership, ensure_organisation
from kyocho.core.errors import InvalidInput
from kyocho.core.management.commands._base import KyochoCommand

DEFAULT_TEAM_NAME = "Coordinators"


class Command(KyochoCommand):
    help = (
        "Create an account for a member of the coordinator team: intake staff, coordinator or lead "
        "coordinator. The team is created when there is none yet. The password is asked for, or read "
        "from the first line of --password-file. The person sets up two-factor sign-in (MFA) at the first sign-in."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("email", help="The address the person signs in with.")
        parser.add_argument("--role", required=True, choices=sorted(STAFF_ROLES), help="What the person does.")
        parser.add_argument("--name", default="", help="The name shown to others.")
        parser.add_argument(
            "--team", default="", help="The coordinator team (default: the only one, or a new “Coordinators”)."
        )
        parser.add_argument("--password-file", type=Path, help="Read the password from this file instead of asking.")
        parser.add_argument(
            "--language", default="ja", choices=["ja", "en"], help="Language of pages and mail (default: ja)."
        )

    def handle(
        self,
        *args: Any,
        email: str,
        role: str,
        name: str,
        team: str,
        password_file: Path | None,
        language: str,
        **options: Any,
    ) -> None:
        password = read_password(password_file)
        with transaction.atomic():
            organisation = ensure_organisation(team or default_team_name(), OrganisationKind.COORDINATOR_TEAM)
            user = accounts.create_user(email, actor=None, password=password, display_name=name, language=language)
            ensure_membership(user, organisation, role)
        login_url = settings.SITE_URL + reverse("account_login")
        self.stdout.write(
            self.style.SUCCESS(
                _("Created %(email)s (%(role)s) in %(team)s.")
                % {"email": user.email, "role": role, "team": organisation.name}
            )
        )
        self.stdout.write(
            _(
                "Next: sign in at %(url)s. Before anything else kyocho asks to set up an authenticator app "
                "(TOTP, e.g. on a phone); passkeys and recovery codes can be added afterwards."
            )
            % {"url": login_url}
        )


def default_team_name() -> str:
    names = list(Organisation.objects.filter(kind=OrganisationKind.COORDINATOR_TEAM).values_list("name", flat=True)[:2])
    if len(names) > 1:
        raise InvalidInput(_("There are several coordinator teams: choose one with --team."), field="team")
    return names[0] if names else DEFAULT_TEAM_NAME


def read_password(password_file: Path | None) -> str:
    if password_file is not None:
        try:
            lines = password_file.read_text(encoding="utf-8").splitlines()
        except OSError as error:
            raise InvalidInput(
                _("Cannot read the password file: %(error)s") % {"error": error.strerror}, field="password-file"
            ) from error
        return lines[0] if lines else ""
    if not sys.stdin.isatty():
        raise InvalidInput(_("No terminal to ask for a password: use --password-file."), field="password")
    password = getpass.getpass(_("Password: "))
    if password != getpass.getpass(_("Password (again): ")):
        raise InvalidInput(_("The two passwords differ."), field="password")
    return password
