"""The real ``kyocho serve`` (and ``kyocho worker``) as an operator runs them: started as processes
on a free port against a temporary SQLite database, fetched over HTTP, stopped with SIGTERM."""

from __future__ import annotations

import json
import queue
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from kyocho.core.tests.processes import KYOCHO, kyocho_env, migrate, migrated_copy, run_kyocho

pytestmark = pytest.mark.smoke

STARTUP_SECONDS = 30
ASSET = re.compile(r'(?:href|src)="(/static/[^"]+)"')


class Running:
    def __init__(self, process: subprocess.Popen[str], url: str) -> None:
        self.process, self.url = process, url

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(self.url + path.lstrip("/"), timeout=10) as response:  # noqa: S310 - our own server
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def wait_for(self, path: str, status: int) -> bytes:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            got, body = self.get(path)
            if got == status:
                return body
            assert time.monotonic() < deadline, f"{path} still answers {got}: {body[:300]!r}"
            time.sleep(0.2)


def read_lines(stream: object, into: queue.Queue[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        into.put(line)


@contextmanager
def kyocho_process(*args: str, env: dict[str, str], announces: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """Start ``kyocho ARGS``, wait for the line matching ``announces``; stop it with SIGTERM afterwards
    and check it exited cleanly (status 0, no traceback)."""
    process = subprocess.Popen([KYOCHO, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=read_lines, args=(process.stdout, lines), daemon=True).start()
    errors: list[str] = []
    threading.Thread(target=lambda: errors.extend(process.stderr or []), daemon=True).start()
    try:
        try:
            while not (found := re.search(announces, line := lines.get(timeout=STARTUP_SECONDS))):
                pass
        except queue.Empty:
            pytest.fail(f"kyocho {' '.join(args)} did not start: {''.join(errors)}")
        yield process, found.group(0) if found else line
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            status = process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    time.sleep(0.1)  # let the reader thread take the last lines
    assert status == 0, "".join(errors)
    assert "Traceback" not in "".join(errors), "".join(errors)


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return migrate(tmp_path_factory.mktemp("smoke"))


@pytest.fixture
def data_dir(migrated: Path, tmp_path: Path) -> Path:
    return migrated_copy(migrated, tmp_path / "var")


def test_serve_answers_and_stops_cleanly(data_dir: Path) -> None:
    env = kyocho_env(data_dir, KYOCHO_WORKER_HEARTBEAT_SECONDS="1")
    with kyocho_process("serve", "--port", "0", env=env, announces=r"http://127\.0\.0\.1:\d+/") as (_process, url):
        server = Running(_process, url)
        home = server.wait_for("/", 200)
        health = json.loads(server.wait_for("/healthz", 200))
        assert health["database"] == "ok" and health["worker"]["ok"] and health["scheduler"]["ok"]
        login = server.wait_for("/accounts/login/", 200)
        assert b'name="password"' in login
        document = json.loads(server.wait_for("/api/v1/openapi.json", 200))
        assert "/api/v1/cases" in document["paths"]
        assets = set(ASSET.findall(home.decode()) + ASSET.findall(login.decode()))
        assert assets, "the pages link no local assets"
        for asset in sorted(assets):
            assert server.get(asset)[0] == 200, asset


def test_web_only_server_with_a_separate_worker(data_dir: Path) -> None:
    """Scaled out: ``serve --no-worker`` is unhealthy until a ``kyocho worker`` beats beside it."""
    env = kyocho_env(data_dir, KYOCHO_WORKER_HEARTBEAT_SECONDS="1")
    with kyocho_process("serve", "--port", "0", "--no-worker", env=env, announces=r"http://127\.0\.0\.1:\d+/") as (
        process,
        url,
    ):
        server = Running(process, url)
        health = json.loads(server.wait_for("/healthz", 503))
        assert health["database"] == "ok" and not health["worker"]["ok"] and not health["scheduler"]["ok"]
        with kyocho_process("worker", env=env, announces="worker running"):
            health = json.loads(server.wait_for("/healthz", 200))
            assert health["worker"]["ok"] and health["scheduler"]["ok"]


def test_a_port_in_use_is_a_plain_message_not_a_traceback(data_dir: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_kyocho("serve", "--port", str(port), env=kyocho_env(data_dir))
    assert result.returncode == 2
    assert f"Port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "Traceback" not in result.stderr
