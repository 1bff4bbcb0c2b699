"""Thin tasks for the scheduler: call one follow-up function. Each is safe to run twice (claims)."""

from __future__ import annotations

from django_tasks import task

from kyocho.cases import followup
from kyocho.core.clock import now


@task()
def send_due_reminders() -> int:
    return followup.send_due_reminders(now())


@task()
def send_due_escalations() -> int:
    return followup.send_due_escalations(now())
