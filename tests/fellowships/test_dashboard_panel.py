"""The fellowships panel of the dashboard, as an applicant and a reviewer see it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from fellowships.models import ReviewAssignment
from tests.fellowships import factories

pytestmark = pytest.mark.django_db


def _panel(html: str) -> str:
    section = re.search(r'<section aria-labelledby="fellowships-panel-heading">(.*?)</section>', html, re.S)
    assert section, "no fellowships panel on the dashboard"
    return " ".join(section.group(1).split())


def test_an_applicant_sees_their_applications_and_the_open_calls(
    call: Any, submitted: Any, applicant: Any, login: Any
) -> None:
    other_call = factories.CallFactory(title="Sabbatical call")
    factories.filled_application(other_call, applicant)  # a draft
    panel = _panel(login(applicant).get(reverse("core:dashboard")).text)
    status = reverse("fellowships:application_status", args=[submitted.pk])
    assert f'<a href="{status}">{call.title}</a> <span class="status-badge status-submitted">Submitted</span>' in panel
    assert 'Sabbatical call</a> <span class="status-badge status-draft">Draft</span>' in panel
    assert "2 open calls" in panel and "to review" not in panel


def test_a_reviewer_sees_how_many_applications_wait_for_them(
    call: Any, submitted: Any, reviewer: Any, login: Any
) -> None:
    ReviewAssignment.objects.create(application=submitted, reviewer=reviewer)
    panel = _panel(login(reviewer).get(reverse("core:dashboard")).text)
    assert f'<a href="{reverse("fellowships:review_queue")}">1 application to review</a>' in panel
    assert "1 open call" in panel and "status-badge" not in panel
