"""Compute fixtures: the flagship site with cluster fox (Europe/Oslo), a national node, their site
tokens, the PI's project with Slurm account ec85 on fox, and a GPU resource with capacity."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, TestCase

from compute import services
from compute.models import Cluster
from tests.factories import UserFactory

from . import factories


@pytest.fixture
def flagship(db: Any) -> Any:
    return factories.make_site("flagship", {"fox": "Europe/Oslo"})


@pytest.fixture
def national(db: Any) -> Any:
    return factories.make_site("national", {"hb": "Europe/Amsterdam"})


@pytest.fixture
def fox(flagship: Any) -> Cluster:
    return Cluster.objects.get(name="fox")


@pytest.fixture
def site_fox(flagship: Any) -> str:
    """The raw token of the flagship site (the persona ``site_fox``)."""
    return services.create_site_token(site=flagship, label="fox slurmdbd")[1]


@pytest.fixture
def site_national(national: Any) -> str:
    return services.create_site_token(site=national, label="hb")[1]


@pytest.fixture
def pi(db: Any) -> Any:
    return UserFactory(email="pi@example.org", name="Pia Investigator", nationality="DE", home_country="DE")


@pytest.fixture
def member(db: Any) -> Any:
    return UserFactory(email="member@example.org", name="Max Member")


@pytest.fixture
def project(pi: Any, member: Any, fox: Cluster) -> Any:
    project = factories.make_project(code="llm-alignment", pi=pi, cluster=fox, account="ec85", logins=("alice",))
    project.memberships.create(user=member, role="member")
    return project


@pytest.fixture
def gpu_period(fox: Cluster) -> Any:
    return factories.make_resource(fox, capacity=100_000)


def token_client(raw: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {raw}")


def post_json(client: Client, records: list[dict[str, str]]) -> Any:
    """POST a JSON batch; the accounting enqueued on commit runs (Celery is eager in tests)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post("/api/v1/compute/usage/", {"records": records}, content_type="application/json")


def post_text(client: Client, text: str) -> Any:
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post("/api/v1/compute/usage/", text, content_type="text/plain")
