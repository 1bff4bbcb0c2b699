"""`kyocho bench intake`: a short real run against its own server and database."""

from __future__ import annotations

import json
import subprocess

from kyocho.core.bench import BENCHMARKS
from kyocho.core.bench.base import KYOCHO


def test_every_benchmark_is_a_subcommand() -> None:
    assert "intake" in BENCHMARKS
    help_text = subprocess.run([*KYOCHO, "bench", "--help"], capture_output=True, text=True, check=True).stdout
    assert "intake" in help_text


def test_intake_bench_ends_with_one_json_line_and_loses_nothing() -> None:
    finished = subprocess.run(
        [*KYOCHO, "bench", "intake", "--seconds", "1", "--clients", "2"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    result = json.loads(finished.stdout.strip().splitlines()[-1])
    assert set(result) == {"submitted", "per_second", "lost"}
    assert result["submitted"] > 0
    assert result["per_second"] > 0
    assert result["lost"] == 0


def test_case_page_bench_renders_both_pages_and_counts_queries(tmp_path) -> None:
    import os

    environment = {**os.environ, "KYOCHO_DATA_DIR": str(tmp_path)}
    environment.pop("KYOCHO_DATABASE_URL", None)
    finished = subprocess.run(
        [*KYOCHO, "bench", "case-page", "--vendors", "12", "--repeats", "2"],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
        timeout=180,
    )
    result = json.loads(finished.stdout.strip().splitlines()[-1])
    assert set(result) == {"vendors", "staff_p50_ms", "portal_p50_ms", "staff_queries", "staff_queries_at_10"}
    assert result["vendors"] == 12
    assert result["staff_p50_ms"] > 0 and result["portal_p50_ms"] > 0
    assert result["staff_queries"] == result["staff_queries_at_10"]  # a page's queries do not grow with developers
