"""The Celery application: Redis broker, JSON only, settings under CELERY_* in Django settings."""

import os
from typing import Any

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cernai.settings.local")

app = Celery("cernai")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def log_through_django_settings(**kwargs: Any) -> None:
    """Workers log as the web processes do (settings.LOGGING: JSON lines with request ids).

    With a receiver on this signal Celery leaves logging alone; without one it would put its own
    handler on the root logger and lower it to the worker's ``--loglevel``, dropping INFO lines.
    """
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
