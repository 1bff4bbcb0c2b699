"""Thin tasks: take ids, call one action. Both are safe to run twice."""

from __future__ import annotations

from django_tasks import task

from kyocho.core.clock import now
from kyocho.messaging import actions


@task()
def deliver_email(email_id: int) -> str:
    return actions.deliver(email_id)


@task()
def deliver_due_emails() -> dict[str, int]:
    return actions.deliver_due_emails(now())


@task()
def deliver_emails(email_ids: list[int]) -> dict[str, int]:
    return actions.deliver_batch(email_ids)
