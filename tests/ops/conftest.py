"""Fixtures of the operations tests."""

from __future__ import annotations

from typing import Any

import pytest

from tests.core.conftest import form_login  # noqa: F401  (the real login form, shared with core's tests)

PROXY = "10.0.0.5"


@pytest.fixture
def behind_proxy(settings: Any) -> str:
    """The documented deployment: a TLS proxy at 10.0.0.5 in front of the portal."""
    settings.TRUSTED_PROXIES = [PROXY]
    return PROXY


# The personas and objects of the apps' own tests (delegates with an open ballot, an open call).
from tests.compute.conftest import flagship, fox, gpu_period, member, pi, project  # noqa: E402, F401
from tests.fellowships.conftest import call, states  # noqa: E402, F401
from tests.governance.conftest import (  # noqa: E402, F401
    delegate_fr_pol,
    delegate_fr_sci,
    delegates,
    france,
    make_ballot,
    members,
    session,
)
