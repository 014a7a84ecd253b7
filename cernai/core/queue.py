"""Enqueue background work only after the transaction commits, and never let a broker outage break
the request: the database row that made the work due stays, and the next sweep re-drives it.

Services name the task instead of importing it (services never import tasks: the tasks module
imports the services, so importing back would be a circle). The name is resolved through the Celery
app's registry, which imports every app's ``tasks`` module when first asked.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import current_app
from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue_on_commit(task_name: str, *args: Any, **kwargs: Any) -> None:
    """Send ``task_name`` with these arguments once the current transaction commits."""

    def send() -> None:
        try:
            if task_name not in current_app.tasks:
                # Outside a worker nothing has imported the apps' tasks modules yet: autodiscovery
                # runs on this signal (a worker sends it at start-up).
                current_app.loader.import_default_modules()
            current_app.tasks[task_name].apply_async(args=args, kwargs=kwargs)
        except Exception:  # the broker is down: the sweeper will find the work in the database
            logger.warning("could not enqueue %s%r; the sweeper will re-drive it", task_name, args, exc_info=True)

    transaction.on_commit(send)
