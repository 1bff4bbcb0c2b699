from __future__ import annotations

import sys
from argparse import ArgumentParser
from typing import Any

from django.utils.translation import gettext as _

from kyocho.audit.models import AuditEvent
from kyocho.audit.queries import verify_chain
from kyocho.core.management.commands._base import KyochoCommand


class Command(KyochoCommand):
    help = "Work with the audit trail. `kyocho audit verify` checks that no event was edited, removed, inserted or re-ordered."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        actions.add_parser(
            "verify",
            help="Recompute the hash chain of every audit event; exit status 1 when anything is wrong.",
        )

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        problems = verify_chain()
        if not problems:
            count = AuditEvent.objects.count()
            self.stdout.write(self.style.SUCCESS(_("audit chain intact: %(count)d events") % {"count": count}))
            return
        for problem in problems:
            self.stderr.write(str(problem))
        self.stderr.write(_("audit chain broken: %(count)d problems") % {"count": len(problems)})
        sys.exit(1)
