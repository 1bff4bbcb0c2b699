"""Thin tasks: take ids, call one action. All are safe to run twice."""

from __future__ import annotations

from django_tasks import task

from kyocho.core.clock import now
from kyocho.messaging import actions, imap, inbound


@task()
def deliver_email(email_id: int) -> str:
    return actions.deliver(email_id)


@task()
def deliver_due_emails() -> dict[str, int]:
    return actions.deliver_due_emails(now())


@task()
def deliver_emails(email_ids: list[int]) -> dict[str, int]:
    return actions.deliver_batch(email_ids)


@task()
def sort_inbound_mail(mail_id: int) -> str:
    return inbound.sort_inbound(mail_id)


@task()
def sort_received_mail() -> dict[str, int]:
    return inbound.sort_waiting_mail(now())


@task()
def poll_imap() -> dict[str, int]:
    return imap.poll(imap.configured())


def poll_imap_if_configured() -> None:
    """The scheduler's job: a poll task only when an IMAP mailbox is configured (most sites use the
    receiver instead, and an empty task every minute would only fill the task table)."""
    if imap.is_configured():
        poll_imap.enqueue()
