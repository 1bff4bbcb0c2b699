"""Thin tasks for the scheduler: take ids or nothing, call one action. Safe to run twice."""

from __future__ import annotations

from django_tasks import task

from kyocho.core.clock import now
from kyocho.intake import actions


@task()
def expire_unanswered_reports() -> list[int]:
    return actions.expire_unanswered(now())
