"""The admin as the secretariat over the demo data: every app has rows to open."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command


@pytest.fixture(scope="module")
def demo_data(django_db_setup: Any, django_db_blocker: Any) -> Any:
    """The demo data, seeded once for the module and flushed at the end."""
    with django_db_blocker.unblock():
        call_command("seed_demo", stdout=io.StringIO())
        yield
        call_command("flush", interactive=False, verbosity=0)
