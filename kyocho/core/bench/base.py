"""What a benchmark is, and the fresh kyocho server each one runs against."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

STARTUP_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 30
RUNNING_LINE = re.compile(r"kyocho is running at (http://\S+?)/?\s")
# `kyocho` as a module call, so the bench works from a checkout without the console script on PATH.
KYOCHO = [sys.executable, "-c", "from kyocho.cli import main; main()"]


class Output(Protocol):
    def write(self, text: str) -> object: ...


@dataclass(frozen=True)
class Option:
    """One command-line option of a benchmark: ``--name`` becomes the keyword ``name`` of its run."""

    flag: str
    type: type
    default: Any
    help: str

    @property
    def keyword(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")


@dataclass(frozen=True)
class Benchmark:
    name: str
    help: str
    run: Callable[..., dict[str, Any]]  # (**options, out=) → the result line's fields
    options: tuple[Option, ...] = ()


@dataclass
class Server:
    url: str
    database: Path  # the SQLite file, for counting what was stored once the server has stopped
    process: subprocess.Popen[str]

    def stop(self) -> None:
        """SIGTERM lets waitress finish the requests in hand, so every answered request is committed."""
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@contextmanager
def fresh_server(settings: Mapping[str, str] = {}) -> Iterator[Server]:
    """kyocho's real server (``kyocho serve`` → waitress) on a free loopback port, against a new,
    migrated SQLite database in a temporary directory, with ``settings`` as extra KYOCHO_* variables.
    It runs in its own process so the benchmark measures the server, not the client threads beside it.
    No worker: outgoing mail stays in the outbox, where it is counted."""
    with tempfile.TemporaryDirectory(prefix="kyocho-bench-") as directory:
        database = Path(directory) / "kyocho.sqlite3"
        env = {
            **os.environ,
            "KYOCHO_DATA_DIR": directory,
            "KYOCHO_DATABASE_URL": f"sqlite:///{database}",
            "KYOCHO_DEBUG": "false",
            **settings,
        }
        env.pop("KYOCHO_CACHE_URL", None)  # a shared cache would mix the bench's rate limits with others'
        subprocess.run([*KYOCHO, "migrate", "--no-input"], env=env, check=True, capture_output=True)  # noqa: S603 (fixed arguments)
        process = subprocess.Popen(  # noqa: S603 (fixed arguments)
            [*KYOCHO, "serve", "--host", "127.0.0.1", "--port", "0", "--no-worker"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        server = Server(url="", database=database, process=process)
        try:
            server.url = _wait_until_running(process)
            yield server
        finally:
            server.stop()


def _wait_until_running(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    for line in process.stdout:
        found = RUNNING_LINE.search(line)
        if found:
            return found.group(1)
    raise RuntimeError("kyocho serve stopped before it was ready")


@contextmanager
def scratch_database(entry: Mapping[str, Any]) -> Iterator[None]:
    """Point Django's default connection at the database ``entry`` (a DATABASES entry for a new
    SQLite file), migrated, for the duration of an in-process benchmark; then put the old one back."""
    from django.core.management import call_command
    from django.db import connections

    original = connections.settings["default"]
    connections["default"].close()
    connections.settings["default"] = {**original, **entry}
    del connections["default"]
    try:
        call_command("migrate", verbosity=0, interactive=False)
        yield
    finally:
        connections["default"].close()
        connections.settings["default"] = original
        del connections["default"]


def sqlite_in(directory: Path) -> dict[str, Any]:
    """The DATABASES entry kyocho uses for a SQLite file (WAL, as in production) in ``directory``."""
    from kyocho.core.env import database_from_url

    return database_from_url(f"sqlite:///{directory / 'bench.sqlite3'}", directory)
