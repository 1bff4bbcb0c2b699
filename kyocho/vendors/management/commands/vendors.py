from __future__ import annotations

import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from kyocho.core.errors import InvalidInput
from kyocho.core.management.commands._base import KyochoCommand
from kyocho.vendors import importer


class Command(KyochoCommand):
    help = (
        "Work with the product developer list. `kyocho vendors import FILE [--dry-run]` imports a CSV or "
        "JSON vendor list (columns: docs/vendor-registry.md): every row or none."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        commands = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        imports = commands.add_parser("import", help="Import a vendor list (CSV or JSON).")
        imports.add_argument("file", type=Path, help="The vendor list (.csv or .json, UTF-8).")
        imports.add_argument("--dry-run", action="store_true", help="Only check the rows and print their problems.")

    def handle(self, *args: Any, file: Path, dry_run: bool, **options: Any) -> None:
        try:
            data = file.read_bytes()
        except OSError as error:
            raise InvalidInput(
                _("Cannot read %(path)s: %(error)s") % {"path": file, "error": error.strerror}
            ) from error
        run = importer.dry_run if dry_run else importer.run
        result = run(data, actor=None, filename=file.name)
        for problem in result.problems:
            self.stdout.write(str(problem))
        if result.problems:
            self.stderr.write(
                _("%(count)d problems in %(rows)d rows; nothing was imported.")
                % {"count": len(result.problems), "rows": result.rows}
            )
            sys.exit(1)
        if dry_run:
            self.stdout.write(self.style.SUCCESS(_("%(rows)d rows, no problems.") % {"rows": result.rows}))
        else:
            self.stdout.write(self.style.SUCCESS(_("Imported %(count)d developers.") % {"count": result.written}))
