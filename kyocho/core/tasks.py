"""The background task worker: django-tasks-db's worker, run in short rounds between heartbeats.

The library's worker loops until a signal stops it, which only works in a main thread. Here it runs
in batch rounds (until the queue is empty or ``tasks_per_round`` tasks ran), so the loop around it
can write the "worker" heartbeat and stop promptly from any thread.
"""

from __future__ import annotations

import logging
import threading
import time

from django.core.management import call_command
from django.utils.crypto import get_random_string
from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS
from django_tasks_db.management.commands.db_worker import Worker

from kyocho.core import health
from kyocho.core.loops import repeat_until_stopped

# The library logs the start and end of every batch at INFO; with a round every second that is noise.
logging.getLogger("django_tasks_db").setLevel(logging.WARNING)


class TaskWorker(Worker):
    def __init__(self, *, interval: float = 1.0, tasks_per_round: int = 20, worker_id: str | None = None) -> None:
        super().__init__(
            queue_names=["*"],
            interval=interval,
            batch=True,
            backend_name=DEFAULT_TASK_BACKEND_ALIAS,
            startup_delay=False,
            max_tasks=tasks_per_round,
            worker_id=worker_id or get_random_string(32),
            excluded_queue_names=[],
        )
        self._stopping = threading.Event()
        self._next_beat = 0.0

    def run_round(self) -> None:
        """Run queued tasks until none is left or this round's share is done."""
        self._run_tasks = 0
        self.run()

    def run_forever(self) -> None:
        repeat_until_stopped(
            f"task worker {self.worker_id}", self.beat_and_run, stopping=self._stopping, pause=self.interval
        )

    def beat_and_run(self) -> None:
        if time.monotonic() >= self._next_beat:
            health.beat(health.WORKER)
            self._next_beat = time.monotonic() + health.heartbeat_seconds()
        self.run_round()

    def stop(self) -> None:
        """Finish the task in hand, then stop."""
        self.running = False  # read by the library's loop between tasks
        self._stopping.set()


# Finished task results are kept a while for diagnosis, failures longer than successes.
KEEP_SUCCEEDED_DAYS = 7
KEEP_FAILED_DAYS = 30


def prune_finished_tasks() -> None:
    """A scheduled job: the scheduler enqueues tasks every minute, so old results must go."""
    call_command(
        "prune_db_task_results",
        queue_name="*",
        min_age_days=KEEP_SUCCEEDED_DAYS,
        failed_min_age_days=KEEP_FAILED_DAYS,
        verbosity=0,
    )
