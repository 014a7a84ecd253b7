"""Benchmark settings: the production configuration (DEBUG off, the same middleware, cache and
session engine) served over plain http on 127.0.0.1, against its own database ``cernai_bench``,
with the floor views mounted beside the portal's URLs."""

from __future__ import annotations

import os

import dj_database_url

from cernai.settings.base import *  # noqa: F403
from cernai.settings.base import BASE_DIR, CACHES, env

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
ROOT_URLCONF = "tests.bench.urls"
DATABASES = {
    "default": dj_database_url.parse(
        env("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cernai_bench"),
        # Persistent connections, as a production deployment runs them.
        conn_max_age=600,
        conn_health_checks=True,
    )
}
# B8 serves the portal on a database of its own beside the main bench server: its own cache keys too.
CACHES["redis"]["KEY_PREFIX"] = CACHES["durable"]["KEY_PREFIX"] = env("BENCH_CACHE_PREFIX", "bench")
CELERY_TASK_DEFAULT_QUEUE = "cernai-bench"
MEDIA_ROOT = BASE_DIR / "var" / "bench-media"
STORAGES["default"]["OPTIONS"]["location"] = MEDIA_ROOT  # noqa: F405
# The manifest storage of production needs `collectstatic` (make bench runs it); fall back to the
# plain storage so `python -m tests.bench.run` also works on a tree where it has not run yet.
if not (BASE_DIR / "staticfiles" / "staticfiles.json").exists():
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LOGGING["root"]["level"] = os.environ.get("LOG_LEVEL", "WARNING")  # noqa: F405
