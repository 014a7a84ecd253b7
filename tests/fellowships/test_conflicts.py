"""Conflicts of interest (rules.md §2) hold at assignment, in the portal and in the admin, and again
when a review is scored: the applicant never reviews her own application, whoever assigned it."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from fellowships.models import Review, ReviewAssignment
from fellowships.selectors import criteria_of, reviewer_pool
from tests.admin_forms import form_fields, messages_of, post_form
from tests.factories import UserFactory
from tests.fellowships import factories

pytestmark = pytest.mark.django_db

ADD = "/admin/fellowships/reviewassignment/add/"


def review_post(application: Any) -> dict[str, str]:
    keys = [c.key for c in criteria_of(application.call)]
    return {f"score_{keys[0]}": "4.5", f"score_{keys[1]}": "3.0", f"score_{keys[2]}": "3.5"}


def test_portal_refuses_to_assign_the_applicant_even_with_a_justification(
    submitted: Any, applicant: Any, secretariat: Any, login: Any
) -> None:
    factories.engaged_reviewer(applicant)  # she also reviews for other calls
    page = login(secretariat).post(
        reverse("fellowships:staff_assign", args=[submitted.call_id]),
        {"applications": [submitted.pk], "assign-reviewers": [applicant.pk], "assign-justification": "she knows it"},
        follow=True,
    )
    assert "Refused: Ana Applicant" in page.text and "the reviewer is the applicant" in page.text
    assert not ReviewAssignment.objects.filter(application=submitted).exists()


def test_admin_add_form_refuses_conflicted_reviewers_and_the_applicant(
    submitted: Any, applicant: Any, reviewer: Any, secretariat: Any, login: Any
) -> None:
    client = login(secretariat)
    page = post_form(
        client, ADD, {"application": str(submitted.pk), "reviewer": str(applicant.pk), "justification": "trust me"}
    )
    assert any("the reviewer is the applicant" in m for m in messages_of(page))
    colleague = UserFactory(name="Carla Colleague", home_institution=submitted.home_institution)
    page = post_form(client, ADD, {"application": str(submitted.pk), "reviewer": str(colleague.pk)})
    assert any("same home institution as the applicant" in m for m in messages_of(page))
    assert not ReviewAssignment.objects.exists()

    # A conflict the secretariat overrides with a written reason goes through the service (audited).
    page = post_form(
        client,
        ADD,
        {"application": str(submitted.pk), "reviewer": str(colleague.pk), "justification": "different department"},
    )
    assignment = ReviewAssignment.objects.get()
    assert assignment.conflict_override and assignment.override_justification == "different department"
    assert assignment.assigned_by == secretariat
    assert colleague in reviewer_pool()  # the assignment puts her in the pool, not a group
    event = assignment.events.get()  # type: ignore[attr-defined]
    assert event.pgh_context.metadata["justification"] == "different department"
    # Once made, an assignment's fields are not writable in the admin.
    shown = form_fields(client, f"/admin/fellowships/reviewassignment/{assignment.pk}/change/")
    assert not {"reviewer", "application", "conflict_override", "override_justification"} & set(shown)


def test_scoring_rechecks_conflicts(submitted: Any, reviewer: Any, secretariat: Any, login: Any) -> None:
    client = login(secretariat)
    post_form(client, ADD, {"application": str(submitted.pk), "reviewer": str(reviewer.pk)})
    assignment = ReviewAssignment.objects.get()
    # The reviewer moves to the applicant's institution after being assigned.
    reviewer.home_institution = submitted.home_institution
    reviewer.save()
    page = login(reviewer).post(reverse("fellowships:review_form", args=[assignment.pk]), review_post(submitted))
    assert "You cannot review this application: same home institution" in page.text
    assert not Review.objects.exists()


def test_an_applicant_assigned_behind_the_rules_sees_and_scores_nothing(
    submitted: Any, applicant: Any, login: Any
) -> None:
    assignment = ReviewAssignment.objects.create(application=submitted, reviewer=applicant)  # written around it
    client = login(applicant)
    assert submitted.title not in client.get(reverse("fellowships:review_queue")).text
    response = client.post(reverse("fellowships:review_form", args=[assignment.pk]), review_post(submitted))
    assert response.status_code == 404 and not Review.objects.exists()
