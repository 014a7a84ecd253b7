"""Eligibility as the applicant meets it: the check-and-submit page and the submission."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from tests.fellowships import factories

pytestmark = pytest.mark.django_db


def test_phd_exactly_8_years_before_a_17_00_deadline_is_eligible_on_submission(
    states: None, applicant: Any, login: Any
) -> None:
    deadline = datetime(2027, 3, 1, 17, 0, tzinfo=ZoneInfo("Europe/Brussels"))
    call = factories.CallFactory(
        career_stage="postdoc", deadline=deadline, opens_at=deadline - timedelta(days=60), check_mobility=False
    )
    application = factories.filled_application(call, applicant, phd_date=date(2019, 3, 1))
    client = login(applicant)
    with time_machine.travel(deadline - timedelta(days=1)):
        page = client.get(reverse("fellowships:application_step", args=[application.pk, 5]))
        assert "8.0 years from the PhD (2019-03-01) to the deadline 2027-03-01 17:00 CET" in page.text
        client.post(reverse("fellowships:submit", args=[application.pk]), {"confirm": "on"})
    application.refresh_from_db()
    assert application.status == "submitted" and application.eligible is True
