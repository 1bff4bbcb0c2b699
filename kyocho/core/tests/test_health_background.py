"""The scheduler's job registry and claims, and the task worker's rounds and heartbeat."""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

import pytest
from django_tasks import TaskResultStatus, task

from kyocho.core import health, scheduler
from kyocho.core.loops import repeat_until_stopped
from kyocho.core.models import Heartbeat
from kyocho.core.scheduler import Job, Scheduler
from kyocho.core.tasks import TaskWorker

T0 = dt.datetime(2026, 4, 1, 3, 0, tzinfo=dt.UTC)
CALLS: list[str] = []


def count_call() -> None:
    CALLS.append("called")


def broken_job() -> None:
    raise RuntimeError("this job always fails")


@task()
def add_numbers(a: int, b: int) -> int:
    return a + b


@pytest.fixture(autouse=True)
def _no_calls_yet() -> None:
    CALLS.clear()


COUNTER = Job("counter", 60, f"{__name__}.count_call")


def test_the_heartbeat_job_is_registered() -> None:
    job = next(job for job in scheduler.JOBS if job.name == "heartbeat")
    assert job.function == "kyocho.core.health.scheduler_alive"
    assert job.interval() == dt.timedelta(seconds=health.heartbeat_seconds())


@pytest.mark.django_db
def test_registered_jobs_run_and_the_heartbeat_is_written() -> None:
    assert Scheduler().run_due(T0) == [job.name for job in scheduler.JOBS]  # all are due at first
    assert Heartbeat.objects.filter(name="scheduler").exists()


@pytest.mark.django_db
def test_a_job_runs_once_per_interval() -> None:
    runner = Scheduler([COUNTER])
    assert runner.run_due(T0) == ["counter"]
    assert runner.run_due(T0 + dt.timedelta(seconds=59)) == []
    assert runner.run_due(T0 + dt.timedelta(seconds=60)) == ["counter"]
    assert CALLS == ["called", "called"]


@pytest.mark.django_db
def test_two_schedulers_share_each_run() -> None:
    """As with ``kyocho serve`` and ``kyocho worker`` side by side: one run per interval in all."""
    first, second = Scheduler([COUNTER]), Scheduler([COUNTER])
    assert first.run_due(T0) == ["counter"]
    assert second.run_due(T0 + dt.timedelta(seconds=1)) == []
    assert second.run_due(T0 + dt.timedelta(seconds=61)) == ["counter"]
    assert first.run_due(T0 + dt.timedelta(seconds=62)) == []
    assert len(CALLS) == 2


@pytest.mark.django_db
def test_a_failing_job_does_not_stop_the_others(caplog: pytest.LogCaptureFixture) -> None:
    runner = Scheduler([Job("broken", 60, f"{__name__}.broken_job"), COUNTER])
    assert runner.run_due(T0) == ["broken", "counter"]
    assert "scheduled job broken failed" in caplog.text
    assert CALLS == ["called"]


def test_interval_from_settings(settings: Any) -> None:
    settings.KYOCHO = {**settings.KYOCHO, "WORKER_HEARTBEAT_SECONDS": 7}
    assert Job("x", "WORKER_HEARTBEAT_SECONDS", "x.y").interval() == dt.timedelta(seconds=7)
    assert Job("x", 2.5, "x.y").interval() == dt.timedelta(seconds=2.5)


# The library's loop closes connections that are inside a transaction: these tests must commit.
@pytest.mark.django_db(transaction=True)
def test_a_worker_round_runs_queued_tasks() -> None:
    result = add_numbers.enqueue(2, 3)
    TaskWorker(tasks_per_round=5).run_round()
    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 5


@pytest.mark.django_db(transaction=True)
def test_a_round_stops_after_its_share() -> None:
    results = [add_numbers.enqueue(n, n) for n in range(3)]
    TaskWorker(tasks_per_round=2).run_round()
    for result in results:
        result.refresh()
    assert sorted(result.status for result in results) == sorted(
        [TaskResultStatus.SUCCESSFUL, TaskResultStatus.SUCCESSFUL, TaskResultStatus.READY]
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("part", ["worker", "scheduler"])
def test_background_parts_beat_and_stop_promptly(part: str) -> None:
    runner = TaskWorker(interval=0.05) if part == "worker" else Scheduler(tick=0.05)
    thread = threading.Thread(target=runner.run_forever, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not Heartbeat.objects.filter(name=part).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    runner.stop()
    thread.join(5)
    assert not thread.is_alive()
    assert Heartbeat.objects.filter(name=part).exists()


def test_a_failing_round_is_logged_and_the_loop_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    stopping = threading.Event()
    rounds: list[int] = []

    def step() -> None:
        rounds.append(len(rounds))
        if len(rounds) == 1:
            raise RuntimeError("the database went away")
        stopping.set()

    # In a thread of its own, as in the server: its database connections are its own, unopened here.
    thread = threading.Thread(
        target=repeat_until_stopped, args=("test part", step), kwargs={"stopping": stopping, "pause": 0}
    )
    thread.start()
    thread.join(5)
    assert rounds == [0, 1]
    assert "test part: a round failed" in caplog.text and "test part stopped" in caplog.text


@task()
def scheduled_task() -> str:
    return "ran in the worker"


def test_every_registered_job_can_be_found() -> None:
    from django.utils.module_loading import import_string

    assert len({job.name for job in scheduler.JOBS}) == len(scheduler.JOBS)
    for job in scheduler.JOBS:
        assert callable(import_string(job.function)) or hasattr(import_string(job.function), "enqueue"), job
        assert job.interval() > dt.timedelta(0)


@pytest.mark.django_db
def test_a_task_job_is_enqueued_for_the_worker() -> None:
    from django_tasks_db.models import DBTaskResult

    Scheduler([Job("a task", 60, f"{__name__}.scheduled_task")]).run_due(T0)
    assert list(DBTaskResult.objects.values_list("task_path", "status")) == [
        (f"{__name__}.scheduled_task", TaskResultStatus.READY)
    ]


@pytest.mark.django_db
def test_pruning_removes_old_successes_and_keeps_recent_ones() -> None:
    from django_tasks_db.models import DBTaskResult

    from kyocho.core.tasks import prune_finished_tasks

    old, recent = scheduled_task.enqueue(), scheduled_task.enqueue()
    DBTaskResult.objects.filter(id=old.id).update(
        status=TaskResultStatus.SUCCESSFUL, finished_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    )
    prune_finished_tasks()
    assert [str(pk) for pk in DBTaskResult.objects.values_list("id", flat=True)] == [recent.id]
