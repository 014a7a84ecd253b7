"""Fixtures of the foundation tests: more personas and the real login form."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from cernai.accounts import roles
from tests import factories


@pytest.fixture
def delegate_fr_sci(db: Any) -> Any:
    return factories.UserFactory(
        email="delegate.fr.sci@example.org", name="Denise Delegate", groups=[roles.DELEGATE], mfa=True
    )


@pytest.fixture
def form_login() -> Any:
    """``form_login(client, email, password)`` posts the real allauth login form; returns the response."""

    def do(client: Client, email: str, password: str = factories.PASSWORD, next_url: str = "") -> Any:
        url = "/accounts/login/" + (f"?next={next_url}" if next_url else "")
        return client.post(url, {"login": email, "password": password})

    return do
