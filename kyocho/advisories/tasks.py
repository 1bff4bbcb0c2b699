"""Background work for advisories: thin wrappers that call one action."""

from __future__ import annotations

from django_tasks import task

from kyocho.advisories.actions import publish_due_advisories
from kyocho.core.clock import now


@task()
def publish_due_advisories_task() -> list[int]:
    """Publish every advisory whose disclosure date has come (run every minute by the worker's schedule)."""
    return publish_due_advisories(now())
