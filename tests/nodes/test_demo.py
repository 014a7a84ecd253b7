"""The demo data (`make run`) shows a plan in force, its execution, the fair-return board and the
national nodes, and seeding twice changes nothing of them."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from compute.models import Site
from finance.plan_models import Envelope, PlanLine, PlanVersion
from nodes.models import Node


@pytest.mark.django_db
def test_the_demo_has_a_plan_in_force_and_nodes_with_their_sites(client: Any) -> None:
    call_command("seed_demo", "--quiet")

    def counts() -> tuple[int, ...]:
        return tuple(m.objects.count() for m in (Node, PlanLine, PlanVersion, Envelope))

    first = counts()
    call_command("seed_demo", "--quiet")
    assert counts() == first and first[0] == 4
    year = timezone.localdate().year
    version = PlanVersion.objects.get()
    assert version.status == "adopted" and version.motion is not None
    plan = client.get("/finance/plan/").content.decode()
    assert f"In force: Medium-term plan {year}-{year + 4}" in plan and "Flagship compute" in plan
    assert client.get("/finance/fair-return/").status_code == 200
    milan = client.get("/nodes/milan/").content.decode()
    assert "cernai node Milan" in milan and "Politecnico di Milano" in milan
    assert Site.objects.get(slug="groningen").node == Node.objects.get(slug="groningen")
    assert "University of Groningen" in client.get("/nodes/").content.decode()
