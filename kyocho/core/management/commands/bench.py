from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from kyocho.core.bench import BENCHMARKS
from kyocho.core.management.commands._base import KyochoCommand


class Command(KyochoCommand):
    help = (
        "Measure kyocho (`kyocho bench NAME --help`). The last line of the output is one JSON object with the figures."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        benchmarks = parser.add_subparsers(dest="benchmark", required=True, metavar="BENCHMARK")
        for benchmark in BENCHMARKS.values():
            sub = benchmarks.add_parser(benchmark.name, help=benchmark.help, description=benchmark.help)
            for option in benchmark.options:
                sub.add_argument(option.flag, type=option.type, default=option.default, help=option.help)

    def handle(self, *args: Any, benchmark: str, **options: Any) -> None:
        chosen = BENCHMARKS[benchmark]
        arguments = {option.keyword: options[option.keyword] for option in chosen.options}
        result = chosen.run(**arguments, out=self.stdout)
        self.stdout.write(json.dumps(result))
