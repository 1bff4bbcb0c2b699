"""One process that runs kyocho: the waitress web server, plus the task worker and the scheduler in
background threads. SIGINT or SIGTERM stops it cleanly: waitress finishes the requests in hand, the
worker the task in hand, and the process exits with status 0.
"""

from __future__ import annotations

import errno
import logging
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Protocol

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.utils.translation import gettext as _

from kyocho.core.errors import InvalidInput

logger = logging.getLogger(__name__)

WEB_THREADS = 8
JOIN_TIMEOUT_SECONDS = 30


class Output(Protocol):
    def write(self, text: str) -> object: ...

    def flush(self) -> object: ...


class LongRunning(Protocol):
    def run_forever(self) -> None: ...

    def stop(self) -> None: ...


@dataclass
class Background:
    """Daemon threads for long-running parts; daemon so a stuck one cannot keep the process alive."""

    parts: dict[str, LongRunning]

    def __post_init__(self) -> None:
        self.threads = [
            threading.Thread(target=part.run_forever, name=f"kyocho-{name}", daemon=True)
            for name, part in self.parts.items()
        ]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def stop(self) -> None:
        for part in self.parts.values():
            part.stop()
        for thread in self.threads:
            if thread.is_alive():
                thread.join(JOIN_TIMEOUT_SECONDS)
                if thread.is_alive():
                    logger.warning("%s did not stop within %d s", thread.name, JOIN_TIMEOUT_SECONDS)


def background_parts(*, worker: bool, scheduler: bool) -> dict[str, LongRunning]:
    from kyocho.core.scheduler import Scheduler
    from kyocho.core.tasks import TaskWorker

    parts: dict[str, LongRunning] = {}
    if worker:
        parts["worker"] = TaskWorker()
    if scheduler:
        parts["scheduler"] = Scheduler()
    return parts


@contextmanager
def interrupted_by_signals(signals: Sequence[signal.Signals] = (signal.SIGINT, signal.SIGTERM)) -> Iterator[None]:
    """Turn the first SIGINT/SIGTERM into KeyboardInterrupt in the main thread (waitress stops its loop
    on it); a second one is handled the default way, so a stuck shutdown can still be forced."""
    previous = {number: signal.getsignal(number) for number in signals}

    def interrupt(signum: int, frame: FrameType | None) -> None:
        for number in signals:
            signal.signal(number, signal.SIG_DFL)
        raise KeyboardInterrupt

    for number in signals:
        signal.signal(number, interrupt)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def run_with_background(main: Callable[[], None], parts: dict[str, LongRunning]) -> None:
    """Run ``main`` in this thread and ``parts`` beside it until a signal arrives or ``main`` returns."""
    background = Background(parts)
    with interrupted_by_signals():
        try:
            background.start()
            main()
        except KeyboardInterrupt:
            pass
        finally:
            logger.info("stopping")
            background.stop()


def wait_forever() -> None:
    threading.Event().wait()


def serve(*, host: str, port: int, worker: bool = True, out: Output) -> None:
    """Serve kyocho's WSGI application on ``host:port`` (port 0: any free port) until stopped."""
    from waitress import create_server  # type: ignore[import-untyped]

    from kyocho.wsgi import application

    warn_about_unapplied_migrations(out)
    try:
        server = create_server(application, host=host, port=port, threads=WEB_THREADS, ident="kyocho")
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            message = _("Port %(port)d on %(host)s is already in use: stop the other server or choose another --port.")
            raise InvalidInput(message % {"port": port, "host": host}, field="port") from error
        raise
    display_host = f"[{host}]" if ":" in host else host
    out.write(f"kyocho is running at http://{display_host}:{server.effective_port}/  (Ctrl+C stops it)\n")
    if not worker:
        out.write("No task worker in this process: run `kyocho worker` beside it.\n")
    out.flush()
    try:
        run_with_background(server.run, background_parts(worker=worker, scheduler=worker))
    finally:
        server.close()


def warn_about_unapplied_migrations(out: Output) -> None:
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        out.write("The database is not up to date: run `kyocho migrate` first.\n")
