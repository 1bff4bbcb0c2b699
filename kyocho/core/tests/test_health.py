"""/healthz: 200 only when the database answers and the worker and the scheduler beat recently."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.db import OperationalError
from django.test import Client

from kyocho.core import health

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2026, 4, 1, 3, 0, tzinfo=dt.UTC)


def beat_at(name: str, at: dt.datetime) -> None:
    with time_machine.travel(at, tick=False):
        health.beat(name)


def healthz(client: Client, at: dt.datetime = NOON) -> Any:
    with time_machine.travel(at, tick=False):
        return client.get("/healthz")


def test_nothing_has_beaten_yet(client: Client) -> None:
    response = healthz(client)
    assert response.status_code == 503
    assert response.json() == {
        "database": "ok",
        "worker": {"last_seen": None, "ok": False},
        "scheduler": {"last_seen": None, "ok": False},
    }


def test_fresh_heartbeats_are_healthy(client: Client) -> None:
    beat_at("worker", NOON - dt.timedelta(seconds=5))
    beat_at("scheduler", NOON)
    response = healthz(client)
    assert response.status_code == 200
    body = response.json()
    assert body["worker"] == {"last_seen": "2026-04-01T02:59:55+00:00", "ok": True}
    assert body["scheduler"]["ok"] is True
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.parametrize(("age", "healthy"), [(89, True), (90, True), (91, False)])
def test_a_heartbeat_is_fresh_for_three_intervals(client: Client, settings: Any, age: int, healthy: bool) -> None:
    settings.KYOCHO = {**settings.KYOCHO, "WORKER_HEARTBEAT_SECONDS": 30}
    beat_at("worker", NOON - dt.timedelta(seconds=age))
    beat_at("scheduler", NOON)
    response = healthz(client)
    assert response.json()["worker"]["ok"] is healthy
    assert response.status_code == (200 if healthy else 503)


def test_the_interval_is_configurable(client: Client, settings: Any) -> None:
    settings.KYOCHO = {**settings.KYOCHO, "WORKER_HEARTBEAT_SECONDS": 300}
    beat_at("worker", NOON - dt.timedelta(minutes=14))
    beat_at("scheduler", NOON - dt.timedelta(minutes=14))
    assert healthz(client).status_code == 200


def test_a_stale_scheduler_alone_makes_it_unhealthy(client: Client) -> None:
    beat_at("worker", NOON)
    beat_at("scheduler", NOON - dt.timedelta(hours=1))
    response = healthz(client)
    assert response.status_code == 503
    assert response.json()["scheduler"]["ok"] is False


def test_database_failure_is_503_without_details(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("could not connect to server at 10.0.0.5 password=hunter2")

    monkeypatch.setattr(health.Heartbeat.objects, "filter", fail)
    response = healthz(client)
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"
    assert b"10.0.0.5" not in response.content and b"hunter2" not in response.content


def test_beat_keeps_one_row_per_part() -> None:
    beat_at("worker", NOON)
    beat_at("worker", NOON + dt.timedelta(seconds=30))
    assert list(health.Heartbeat.objects.values_list("name", "at")) == [("worker", NOON + dt.timedelta(seconds=30))]


def test_only_reading_methods_are_allowed(client: Client) -> None:
    assert client.head("/healthz").status_code == 503
    assert client.post("/healthz").status_code == 405
