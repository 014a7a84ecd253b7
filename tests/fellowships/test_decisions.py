"""Decisions obey the threshold and the call's minimum number of reviews (rules.md §2), wherever the
secretariat decides: the application page, the ranked list's bulk decision and the admin's actions."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from fellowships.models import Application, Placement
from tests.admin_forms import messages_of, post_form
from tests.fellowships import factories
from tests.fellowships.factories import BELOW, FUNDABLE

pytestmark = pytest.mark.django_db


def status_of(application: Application) -> str:
    application.refresh_from_db()
    return application.status


def test_application_page_refuses_to_accept_with_no_reviews_or_below_threshold(
    submitted: Any, secretariat: Any, login: Any
) -> None:
    client = login(secretariat)
    url = reverse("fellowships:staff_application_action", args=[submitted.pk, "accepted"])
    page = client.post(url, follow=True)
    assert "cannot be accepted: it has 0 completed review(s) and the call needs at least 2" in page.text
    waitlist = client.post(
        reverse("fellowships:staff_application_action", args=[submitted.pk, "waitlisted"]), follow=True
    )
    assert "cannot be waitlisted" in waitlist.text
    assert status_of(submitted) == "submitted"

    factories.scored(submitted, BELOW, BELOW)
    page = client.post(url, follow=True)
    assert "its score of 64.0 % is below the call&#x27;s threshold of 70.0 %" in page.text
    assert status_of(submitted) == "submitted" and not Placement.objects.exists()

    rejected = client.post(
        reverse("fellowships:staff_application_action", args=[submitted.pk, "rejected"]),
        {"rej-reason": "The score is below the call's threshold."},
        follow=True,
    )
    assert "Done." in rejected.text and status_of(submitted) == "rejected"


def test_application_page_accepts_a_fundable_application_with_enough_reviews(
    submitted: Any, secretariat: Any, login: Any
) -> None:
    factories.scored(submitted, FUNDABLE)
    client = login(secretariat)
    url = reverse("fellowships:staff_application_action", args=[submitted.pk, "accepted"])
    assert "needs at least 2" in client.post(url, follow=True).text
    factories.scored(submitted, FUNDABLE)
    assert "Done." in client.post(url, follow=True).text
    assert status_of(submitted) == "accepted" and Placement.objects.filter(application=submitted).exists()


def test_bulk_decision_refuses_the_whole_batch_when_one_is_below_threshold(
    call: Any, secretariat: Any, login: Any
) -> None:
    good = factories.scored(factories.submitted_application(call), FUNDABLE, FUNDABLE)
    weak = factories.scored(factories.submitted_application(call), BELOW, FUNDABLE)  # 70.5 %: fundable
    poor = factories.scored(factories.submitted_application(call), BELOW, BELOW)
    client = login(secretariat)
    url = reverse("fellowships:staff_decide", args=[call.pk])
    page = client.post(url, {f"decision_{good.pk}": "accepted", f"decision_{poor.pk}": "waitlisted"}, follow=True)
    assert f"{poor.reference} cannot be waitlisted: its score of 64.0 %" in page.text
    assert status_of(good) == "submitted"  # nothing of the batch was recorded
    page = client.post(
        url,
        {
            f"decision_{good.pk}": "accepted",
            f"decision_{weak.pk}": "waitlisted",
            f"decision_{poor.pk}": "rejected",
            "reason": "Below the threshold.",
        },
        follow=True,
    )
    assert "3 decision(s) recorded and sent." in page.text
    assert [status_of(a) for a in (good, weak, poor)] == ["accepted", "waitlisted", "rejected"]


def test_admin_actions_decide_through_the_same_rules(call: Any, secretariat: Any, login: Any) -> None:
    unreviewed = factories.submitted_application(call)
    good = factories.scored(factories.submitted_application(call), FUNDABLE, FUNDABLE)
    client = login(secretariat)
    changelist = "/admin/fellowships/application/"
    page = post_form(client, changelist, {"action": "accept", "_selected_action": str(unreviewed.pk)})
    assert any("cannot be accepted: it has 0 completed review(s)" in m for m in messages_of(page))
    assert status_of(unreviewed) == "submitted"
    page = post_form(client, changelist, {"action": "waitlist", "_selected_action": str(good.pk)})
    assert "1 decision(s) recorded and sent." in messages_of(page)
    assert status_of(good) == "waitlisted"
    page = post_form(client, changelist, {"action": "reject", "_selected_action": str(unreviewed.pk)})
    post_form(client, page.request["PATH_INFO"] + "?" + page.request["QUERY_STRING"], {"reason": "Out of scope."})
    assert status_of(unreviewed) == "rejected"
