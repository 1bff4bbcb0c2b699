from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from kyocho.core.bench import BENCHMARKS
from kyocho.core.management.commands._base import KyochoCommand

DEFAULT_SECONDS = 30
DEFAULT_CLIENTS = 8


class Command(KyochoCommand):
    help = (
        "Measure kyocho: start its real server on a fresh SQLite database and drive it. "
        "The last line of the output is one JSON object with the figures."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        benchmarks = parser.add_subparsers(dest="benchmark", required=True, metavar="BENCHMARK")
        for benchmark in BENCHMARKS.values():
            sub = benchmarks.add_parser(benchmark.name, help=benchmark.help, description=benchmark.help)
            sub.add_argument(
                "--seconds", type=float, default=DEFAULT_SECONDS, help="How long to run (default: %(default)s)."
            )
            sub.add_argument(
                "--clients",
                type=int,
                default=DEFAULT_CLIENTS,
                help="Client threads sending requests (default: %(default)s).",
            )

    def handle(self, *args: Any, benchmark: str, seconds: float, clients: int, **options: Any) -> None:
        result = BENCHMARKS[benchmark].run(seconds=seconds, clients=max(clients, 1), out=self.stdout)
        self.stdout.write(json.dumps(result))
