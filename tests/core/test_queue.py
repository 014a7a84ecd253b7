"""Code enqueues tasks by name; a web process (which never imported the tasks modules) must
still find every task the services name."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from django.conf import settings

NAMED = re.compile(r"enqueue_on_commit\(\s*\"([a-z_]+\.[a-z_]+)\"")


def test_every_task_named_in_the_code_resolves_in_a_fresh_web_process() -> None:
    apps = ("cernai", "governance", "fellowships", "compute")
    sources = [path.read_text() for app in apps for path in (Path(settings.BASE_DIR) / app).rglob("*.py")]
    names = sorted({name for text in sources for name in NAMED.findall(text)})
    assert len(names) >= 3, names
    script = (
        "import django; django.setup()\n"
        "from cernai.core.queue import task_by_name\n"
        f"for name in {names!r}: print(name, task_by_name(name).name)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=settings.BASE_DIR, env=os.environ.copy(), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == [part for name in names for part in (name, name)]
