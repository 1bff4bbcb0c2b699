"""`kyocho bench notify`: a short real run (a few developers) through the whole path."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from kyocho.core.bench.base import KYOCHO


def test_notify_bench_ends_with_one_json_line_of_the_figures(tmp_path: Path) -> None:
    environment = {**os.environ, "KYOCHO_DATA_DIR": str(tmp_path)}
    environment.pop("KYOCHO_DATABASE_URL", None)  # the bench makes its own SQLite database
    finished = subprocess.run(
        [*KYOCHO, "bench", "notify", "--vendors", "3"],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
        env=environment,
    )
    result = json.loads(finished.stdout.strip().splitlines()[-1])
    assert list(result) == ["messages", "seconds", "baseline_seconds", "ratio", "gpg_cli_seconds", "speedup_vs_gpg_cli"]
    assert result["messages"] == 3  # one encrypted message per recipient, checked by the bench itself
    assert all(result[name] > 0 for name in ("seconds", "baseline_seconds", "gpg_cli_seconds"))
