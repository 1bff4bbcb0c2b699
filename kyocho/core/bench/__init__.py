"""``kyocho bench NAME``: measurements of kyocho running as it runs in production.

Each benchmark is a module here with a ``BENCHMARK`` (name, help, run); ``BENCHMARKS`` lists them, and
the ``bench`` command offers each as a subcommand. A run ends with one JSON object on the last line of
its output, so scripts and CI can read the figure without parsing prose.
"""

from __future__ import annotations

from kyocho.core.bench import case_page, intake, notify, sbom_match
from kyocho.core.bench.base import Benchmark

BENCHMARKS: dict[str, Benchmark] = {
    benchmark.name: benchmark
    for benchmark in (intake.BENCHMARK, sbom_match.BENCHMARK, case_page.BENCHMARK, notify.BENCHMARK)
}
