"""Enqueue background work only after the transaction commits, and never let a broker outage break
the request: the database row that made the work due stays, and the next sweep re-drives it."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue_on_commit(task: Any, *args: Any, **kwargs: Any) -> None:
    def send() -> None:
        try:
            task.apply_async(args=args, kwargs=kwargs)
        except Exception:  # the broker is down: the sweeper will find the work in the database
            logger.warning("could not enqueue %s%r; the sweeper will re-drive it", task.name, args, exc_info=True)

    transaction.on_commit(send)
