"""Heartbeats of the long-running parts (task worker, scheduler) and the health report ``/healthz`` gives.

A heartbeat is one row per part holding the last time it showed it was alive. The report calls a part
healthy when it beat within three heartbeat intervals, so one slow round is not an alarm.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.db import DatabaseError

from kyocho.core.clock import now
from kyocho.core.models import Heartbeat

logger = logging.getLogger(__name__)

WORKER = "worker"
SCHEDULER = "scheduler"
MONITORED = (WORKER, SCHEDULER)
MISSED_BEATS_ALLOWED = 3


def heartbeat_seconds() -> int:
    return int(settings.KYOCHO["WORKER_HEARTBEAT_SECONDS"])


def beat(name: str) -> None:
    """Record that the part called ``name`` is alive now."""
    Heartbeat.objects.update_or_create(name=name, defaults={"at": now()})


def scheduler_alive() -> None:
    """The scheduler's own periodic job: it ran, so the scheduler is alive."""
    beat(SCHEDULER)


def report() -> tuple[dict[str, Any], bool]:
    """The health document and whether everything is healthy. Holds times and booleans only: no
    configuration, host names or error text reach an unauthenticated caller."""
    try:
        seen = dict(Heartbeat.objects.filter(name__in=MONITORED).values_list("name", "at"))
    except DatabaseError:
        logger.exception("health check: the database did not answer")
        return {"database": "unavailable", **{name: _part(None) for name in MONITORED}}, False
    parts = {name: _part(seen.get(name)) for name in MONITORED}
    return {"database": "ok", **parts}, all(part["ok"] for part in parts.values())


def _part(last_seen: dt.datetime | None) -> dict[str, Any]:
    fresh_after = now() - dt.timedelta(seconds=MISSED_BEATS_ALLOWED * heartbeat_seconds())
    return {
        "last_seen": last_seen.isoformat() if last_seen else None,
        "ok": last_seen is not None and last_seen >= fresh_after,
    }
