"""Real Celery workers for the reliability tests: one way to start them against this run's test
database and queue (the tests that need a worker's process boundary: T10, the status page)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

ROOT = Path(settings.BASE_DIR)


def database_url_of_this_run() -> str:
    """The URL of the test database pytest-django created, for a worker in another process."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def start_worker(*options: str, env: dict[str, str] | None = None, **popen: Any) -> subprocess.Popen[bytes]:
    """`celery -A cernai worker` on this run's test queue, running tasks against its test database."""
    command = [
        str(Path(sys.executable).with_name("celery")),
        "-A",
        "cernai",
        "worker",
        "-Q",
        settings.CELERY_TASK_DEFAULT_QUEUE,
        "--without-gossip",
        "--without-mingle",
        "--loglevel=WARNING",
        *options,
    ]
    full_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cernai.settings.test",
        "TEST_RUN_ID": os.environ.get("TEST_RUN_ID", ""),
        "DATABASE_URL": database_url_of_this_run(),
        **(env or {}),
    }
    return subprocess.Popen(command, cwd=ROOT, env=full_env, **popen)
