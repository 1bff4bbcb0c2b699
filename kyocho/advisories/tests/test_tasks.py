"""The publication task is a thin wrapper over publish_due_advisories."""

from __future__ import annotations

import pytest

from kyocho.advisories.tasks import publish_due_advisories_task
from kyocho.advisories.tests.helpers import scheduled

pytestmark = pytest.mark.django_db


def test_the_task_publishes_what_is_due(active, coordinator, time_machine) -> None:
    advisory = scheduled(active.case, coordinator)
    time_machine.move_to(active.end_at, tick=False)
    assert publish_due_advisories_task.call() == [active.case_id]
    advisory.refresh_from_db()
    assert advisory.status == "published"
    assert publish_due_advisories_task.call() == []


def test_the_task_can_be_enqueued_for_the_worker() -> None:
    result = publish_due_advisories_task.enqueue()
    assert result.status == "READY"
    assert result.task.module_path == "kyocho.advisories.tasks.publish_due_advisories_task"
