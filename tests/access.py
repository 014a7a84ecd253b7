"""The access matrix (quality.md T7): every URL x every persona → the expected status.

Each app's ``tests/<app>/test_access_matrix.py`` builds rows with ``Row`` and calls ``check_matrix``.
``None`` as the persona means an anonymous visitor. Redirects to the login page count as ``"login"``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.test import Client


@dataclass
class Row:
    url: str
    expected: dict[str | None, int | str]  # persona name (or None) → status code or "login"
    method: str = "get"
    data: dict[str, Any] | None = None


def status_of(response: Any) -> int | str:
    if response.status_code in (301, 302) and "/accounts/login/" in response.get("Location", ""):
        return "login"
    return int(response.status_code)


def check_matrix(
    rows: Iterable[Row], clients: dict[str | None, Client], *, reset: Callable[[], None] | None = None
) -> None:
    failures = []
    for row in rows:
        for persona, expected in row.expected.items():
            client = clients[persona]
            response = getattr(client, row.method)(row.url, row.data or {})
            got = status_of(response)
            if got != expected:
                failures.append(
                    f"{row.method.upper()} {row.url} as {persona or 'anonymous'}: expected {expected}, got {got}"
                )
            if reset:
                reset()
    assert not failures, "access matrix mismatches:\n" + "\n".join(failures)
