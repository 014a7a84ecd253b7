"""The demo data loads, is idempotent, and gives the reviewer persona a queue."""

from __future__ import annotations

from typing import Any

import pytest

from cernai.core.demo import seed_people
from fellowships import demo
from fellowships.models import Application, Placement, ReviewAssignment
from fellowships.selectors import review_queue

pytestmark = pytest.mark.django_db


def test_seed_twice(states: None) -> None:
    personas = seed_people()
    demo.seed(personas)
    counts = (Application.objects.count(), Placement.objects.count(), ReviewAssignment.objects.count())
    demo.seed(personas)
    assert (Application.objects.count(), Placement.objects.count(), ReviewAssignment.objects.count()) == counts
    assert review_queue(personas["reviewer"]).count() == 2
    assert Application.objects.get(applicant=personas["applicant"]).status == "draft"


def test_demo_pages_render(states: None, client: Any) -> None:
    demo.seed(seed_people())
    assert "AI research exchanges 2027" in client.get("/fellowships/").text
    assert "Returned to a member state within 12 months" in client.get("/fellowships/circulation/").text
