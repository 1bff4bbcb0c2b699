"""Periodic jobs: a small registry and the loop that runs them.

To add a job, add a ``Job`` to ``JOBS``: a name, how often (seconds, or the name of a
``settings.KYOCHO`` entry holding seconds) and the dotted path of what to run: a function taking no
arguments, called in the scheduler's thread (keep it quick), or a django-tasks ``@task`` without
arguments, which is enqueued for the task worker (for anything that may take a while).
Either must be safe to run twice.

Several processes may run a scheduler (``kyocho serve`` and ``kyocho worker`` on more than one
machine): each run of a job is claimed in the database first, so it runs once per interval
whichever process gets there.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string
from django_tasks.base import Task

from kyocho.core.clock import now
from kyocho.core.loops import repeat_until_stopped
from kyocho.core.models import Heartbeat

logger = logging.getLogger(__name__)

# The claim rows live beside the heartbeats; their names cannot clash with a part's name.
CLAIM_PREFIX = "job:"
NEVER = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Job:
    name: str
    every: float | str  # seconds, or the key of a settings.KYOCHO entry in seconds
    function: str  # dotted path of a function or a @task, either without arguments

    def interval(self) -> dt.timedelta:
        seconds = settings.KYOCHO[self.every] if isinstance(self.every, str) else self.every
        return dt.timedelta(seconds=float(seconds))


MINUTE, HOUR, DAY = 60, 60 * 60, 24 * 60 * 60

JOBS: list[Job] = [
    Job("heartbeat", "WORKER_HEARTBEAT_SECONDS", "kyocho.core.health.scheduler_alive"),
    Job("publish-due-advisories", MINUTE, "kyocho.advisories.tasks.publish_due_advisories_task"),
    Job("deliver-due-emails", MINUTE, "kyocho.messaging.tasks.deliver_due_emails"),
    Job("sort-received-mail", MINUTE, "kyocho.messaging.tasks.sort_received_mail"),
    Job("poll-imap", "IMAP_POLL_SECONDS", "kyocho.messaging.tasks.poll_imap_if_configured"),
    Job("expire-unanswered-reports", HOUR, "kyocho.intake.tasks.expire_unanswered_reports"),
    Job("warn-expiring-keys", HOUR, "kyocho.vendors.key_actions.warn_expiring_keys"),
    Job("remind-silent-developers", HOUR, "kyocho.cases.tasks.send_due_reminders"),
    Job("escalate-silent-developers", HOUR, "kyocho.cases.tasks.send_due_escalations"),
    # Quick when not due (one query); the digest itself claims its day, so several schedulers send one.
    Job("staff-digest", 10 * MINUTE, "kyocho.cases.digest.send_staff_digest"),
    Job("prune-finished-tasks", DAY, "kyocho.core.tasks.prune_finished_tasks"),
]


def claim(job: Job, at: dt.datetime) -> bool:
    """Take this interval's run of ``job``; False when another process already ran it."""
    key = CLAIM_PREFIX + job.name
    Heartbeat.objects.get_or_create(name=key, defaults={"at": NEVER})
    return Heartbeat.objects.filter(name=key, at__lte=at - job.interval()).update(at=at) == 1


def last_claimed(job: Job) -> dt.datetime:
    row = Heartbeat.objects.filter(name=CLAIM_PREFIX + job.name).first()
    return row.at if row else NEVER


class Scheduler:
    """Runs each due job in turn, checking once a ``tick``; stops when ``stop()`` is called."""

    def __init__(self, jobs: Sequence[Job] | None = None, tick: float = 1.0) -> None:
        self.jobs = list(JOBS if jobs is None else jobs)
        self.tick = tick
        self._stopping = threading.Event()
        self._next_run: dict[str, dt.datetime] = {}

    def run_due(self, at: dt.datetime | None = None) -> list[str]:
        """Run every job due at ``at`` (default: now) and return the names of those that ran here."""
        at = at or now()
        ran = []
        for job in self.jobs:
            if self._next_run.get(job.name, NEVER) > at:
                continue
            if claim(job, at):
                _run(job)
                ran.append(job.name)
                self._next_run[job.name] = at + job.interval()
            else:
                self._next_run[job.name] = last_claimed(job) + job.interval()
        return ran

    def run_forever(self) -> None:
        repeat_until_stopped("scheduler", self.run_due, stopping=self._stopping, pause=self.tick)

    def stop(self) -> None:
        self._stopping.set()


def _run(job: Job) -> None:
    target = import_string(job.function)
    try:
        if isinstance(target, Task):
            target.enqueue()
        else:
            target()
    except Exception:
        logger.exception("scheduled job %s failed", job.name)
