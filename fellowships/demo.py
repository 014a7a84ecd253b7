"""Demo data for fellowships, loaded by `manage.py seed_demo` (idempotent)."""

from __future__ import annotations

from typing import Any


def seed(personas: dict[str, Any]) -> list[tuple[str, str]]:
    """Create this app's demo records; return extra (label, value) lines to print."""
    return []
