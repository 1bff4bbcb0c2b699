from __future__ import annotations

import argparse
from typing import Any

from kyocho.core.management.commands._base import KyochoCommand


class Command(KyochoCommand):
    help = (
        "Run a benchmark in a throw-away SQLite database; its last line is one JSON object. "
        "`kyocho bench sbom-match --components 1000000`."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("benchmark", choices=["sbom-match"])
        parser.add_argument("--components", type=int, default=1_000_000, help="SBOM components in the registry.")
        parser.add_argument("--scan-repeats", type=int, default=3, help="How often the plain scan is timed.")

    def handle(self, *args: Any, **options: Any) -> None:
        from kyocho.core.bench import sbom_match

        sbom_match.run(options["components"], self.stdout, scan_repeats=options["scan_repeats"])
