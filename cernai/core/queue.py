"""Enqueue background work only after the transaction commits, and never let a broker outage break
the request: the database row that made the work due stays, and the next sweep re-drives it.

Services name the task instead of importing it (services never import tasks: the tasks module
imports the services, so importing back would be a circle). The name is resolved through the Celery
app's registry. A worker imports every app's ``tasks`` module when it starts; a web process does not,
so the first lookup of an unknown name imports them (without this, a web process could enqueue
nothing and every task waited for a sweeper; found by the T20 rehearsal).
"""

from __future__ import annotations

import logging
from typing import Any

from celery import current_app
from celery.app.task import Task
from celery.exceptions import NotRegistered
from django.db import transaction

logger = logging.getLogger(__name__)


def task_named(task_name: str) -> Task:
    try:
        return current_app.tasks[task_name]
    except NotRegistered:
        current_app.loader.import_default_modules()  # autodiscovers every app's tasks module
        return current_app.tasks[task_name]


def enqueue_on_commit(task_name: str, *args: Any, **kwargs: Any) -> None:
    """Send ``task_name`` with these arguments once the current transaction commits."""

    def send() -> None:
        try:
            task_named(task_name).apply_async(args=args, kwargs=kwargs)
        except Exception:  # the broker is down: the sweeper will find the work in the database
            logger.warning("could not enqueue %s%r; the sweeper will re-drive it", task_name, args, exc_info=True)

    transaction.on_commit(send)
