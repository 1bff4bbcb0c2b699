"""The loop of a long-running background part (task worker, scheduler)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from django.db import close_old_connections, connections

logger = logging.getLogger(__name__)


def repeat_until_stopped(name: str, step: Callable[[], object], *, stopping: threading.Event, pause: float) -> None:
    """Call ``step``, then wait ``pause`` seconds, until ``stopping`` is set (the wait ends at once then).

    A failing step is logged and the next one tried: the database may be away for a moment, and a
    background part that dies silently is worse than one that complains every round.
    """
    logger.info("%s started", name)
    try:
        while not stopping.is_set():
            close_old_connections()
            try:
                step()
            except Exception:
                logger.exception("%s: a round failed", name)
            stopping.wait(pause)
    finally:
        connections.close_all()  # this thread's connections only
    logger.info("%s stopped", name)
