"""Running the real ``kyocho`` command in a subprocess, against a throw-away SQLite database."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

# The console script installed beside this interpreter (pip install -e .).
KYOCHO = str(Path(sys.executable).with_name("kyocho"))


def kyocho_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a development installation in ``data_dir``, whatever this test run uses."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("KYOCHO_")}
    env.update(
        KYOCHO_ENV="development",
        KYOCHO_DATA_DIR=str(data_dir),
        KYOCHO_DATABASE_URL=f"sqlite:///{data_dir / 'kyocho.sqlite3'}",
        LANG="C.UTF-8",
        LC_ALL="C.UTF-8",
        PYTHONUNBUFFERED="1",
    )
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(extra)
    return env


def run_kyocho(
    *args: str, env: dict[str, str], timeout: float = 60, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [KYOCHO, *args], env=env, capture_output=True, text=True, timeout=timeout, input=stdin, check=False
    )


def migrated_copy(template: Path, data_dir: Path) -> Path:
    """A fresh data directory holding a copy of an already migrated database (migrating takes seconds)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(template / "kyocho.sqlite3", data_dir / "kyocho.sqlite3")
    return data_dir


def migrate(data_dir: Path) -> Path:
    result = run_kyocho("migrate", "--verbosity", "0", env=kyocho_env(data_dir))
    assert result.returncode == 0, result.stderr
    return data_dir
