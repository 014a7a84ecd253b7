"""Fixtures of fellowships tests: member states, an open call, a submitted application."""

from __future__ import annotations

from typing import Any

import pytest

from fellowships import services
from tests.factories import UserFactory
from tests.fellowships import factories


@pytest.fixture
def states(db: Any) -> None:
    factories.member_states()


@pytest.fixture
def call(states: None) -> Any:
    return factories.CallFactory()


@pytest.fixture
def submitted(call: Any, applicant: Any) -> Any:
    application = factories.filled_application(call, applicant)
    return services.submit_application(application=application, actor=applicant)


@pytest.fixture
def reviewer2(db: Any) -> Any:
    return UserFactory(
        email="reviewer2@example.org",
        name="René Reviewer",
        groups=["Reviewers"],
        mfa=True,
        home_institution="KU Leuven",
    )


@pytest.fixture
def commits(django_capture_on_commit_callbacks: Any) -> Any:
    """``with commits(execute=True):`` runs what services enqueue on commit (tests run in a transaction)."""
    return django_capture_on_commit_callbacks
