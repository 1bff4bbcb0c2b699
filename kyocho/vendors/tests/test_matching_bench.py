"""The sbom-match benchmark runs end to end (small) and ends with its JSON line."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def test_the_benchmark_prints_its_figures_as_the_last_line(tmp_path):
    environment = {**os.environ, "KYOCHO_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "kyocho.settings"}
    environment.pop("KYOCHO_DATABASE_URL", None)
    finished = subprocess.run(
        [
            sys.executable,
            "-c",
            "from kyocho.cli import main; main()",
            "bench",
            "sbom-match",
            "--components",
            "5000",
            "--scan-repeats",
            "1",
        ],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=True,
    )
    figures = json.loads(finished.stdout.strip().splitlines()[-1])
    assert figures["components"] == 5000
    assert set(figures) >= {"p50_ms", "p95_ms", "scan_p50_ms", "speedup"}
    assert figures["p50_ms"] <= figures["p95_ms"]
    assert figures["speedup"] > 1
    assert not list(tmp_path.glob("*.sqlite3"))  # the real database was never touched
