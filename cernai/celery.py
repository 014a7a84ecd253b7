"""The Celery application: Redis broker, JSON only, settings under CELERY_* in Django settings."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cernai.settings.local")

app = Celery("cernai")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
