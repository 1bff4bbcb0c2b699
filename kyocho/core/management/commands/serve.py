from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from kyocho.core import server
from kyocho.core.management.commands._base import KyochoCommand


class Command(KyochoCommand):
    help = (
        "Run kyocho: the web server (waitress, 8 threads; static files included) and, in the same "
        "process, the background task worker and the scheduler. Ctrl+C or SIGTERM stops it cleanly. "
        "With --no-worker only the web server runs; then run `kyocho worker` beside it."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on (default: %(default)s).")
        parser.add_argument(
            "--port", type=int, default=8000, help="Port to listen on; 0 picks a free one (default: %(default)s)."
        )
        parser.add_argument(
            "--no-worker",
            dest="worker",
            action="store_false",
            help="Serve web requests only: no task worker and no scheduler in this process.",
        )

    def handle(self, *args: Any, host: str, port: int, worker: bool, **options: Any) -> None:
        server.serve(host=host, port=port, worker=worker, out=self.stdout)
