"""Test runs: the real PostgreSQL and Redis, fast password hashing, mail kept in memory."""

import os

from .base import *  # noqa: F403
from .base import CACHES, DATABASES, env_bool

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Mail stays in memory, unless a test starts processes of its own with EMAIL_URL (T20 has its
# workers write files it counts).
if "EMAIL_URL" not in os.environ:
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Several test runs can share one PostgreSQL and Redis (parallel sessions, CI beside a developer),
# and `make test` runs the suite in several pytest-xdist workers: each run, and each worker in it,
# names its own test database, cache prefix, media folder and queue. The processes a test starts
# (gunicorn, Celery workers) inherit both variables and so find the same names.
_suffix = "_".join(
    part for part in (os.environ.get("TEST_RUN_ID", ""), os.environ.get("PYTEST_XDIST_WORKER", "")) if part
)
DATABASES["default"]["TEST"] = {"NAME": f"test_cernai{'_' + _suffix if _suffix else ''}"}
DATABASES["default"]["CONN_MAX_AGE"] = 0
CACHES["redis"]["KEY_PREFIX"] = CACHES["durable"]["KEY_PREFIX"] = f"test-{_suffix or 'cernai'}"
MEDIA_ROOT = BASE_DIR / "var" / f"test-media{'-' + _suffix if _suffix else ''}"  # noqa: F405
STORAGES["default"]["OPTIONS"]["location"] = MEDIA_ROOT  # noqa: F405
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True
CELERY_TASK_DEFAULT_QUEUE = f"cernai-test{'-' + _suffix if _suffix else ''}"
ALLOWED_HOSTS = ["*"]
# Tasks run in-process when enqueued (after commit); the reliability tests start real workers.
# (T20 starts web processes with CELERY_TASK_ALWAYS_EAGER=false so they enqueue to the broker.)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", True)
CELERY_TASK_EAGER_PROPAGATES = True
# The live server of browser tests serves static files through finders, not a manifest.
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
