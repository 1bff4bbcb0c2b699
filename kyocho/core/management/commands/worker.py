from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from kyocho.core import server
from kyocho.core.management.commands._base import KyochoCommand


class Command(KyochoCommand):
    help = (
        "Run the background task worker and the scheduler without the web server, for setups where "
        "the web server runs separately (`kyocho serve --no-worker`). Several may run at once. "
        "Ctrl+C or SIGTERM stops it after the task in hand."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--no-scheduler",
            dest="scheduler",
            action="store_false",
            help="Run tasks only; leave periodic jobs to another process.",
        )

    def handle(self, *args: Any, scheduler: bool, **options: Any) -> None:
        self.stdout.write("kyocho worker running (Ctrl+C stops it)")
        self.stdout.flush()
        server.run_with_background(server.wait_forever, server.background_parts(worker=True, scheduler=scheduler))
