"""Reviews of allocation requests through the interfaces people use (issue 8 §4): the secretariat
assigns reviewers and decides on the request's admin forms; reviewers see their queue, record their
review and declare conflicts on the portal's pages."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from cernai.core.models import Notification
from compute.access_modes import AccessMode
from compute.models import Allocation, AllocationRequest, RequestReview, ReviewerAssignment
from tests.admin_forms import messages_of, post_form
from tests.factories import UserFactory

from . import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def request_(project: Any, gpu_period: Any, login: Any) -> AllocationRequest:
    """A regular request (technical and scientific review), submitted by the PI on the portal."""
    call = factories.make_call([gpu_period.resource], mode=AccessMode.REGULAR)
    start = timezone.now().date()
    response = login(project.pi).post(
        f"/compute/projects/{project.code}/request/",
        {
            "call": call.pk,
            "resource": gpu_period.resource_id,
            "amount": "5000",
            "start": start.isoformat(),
            "end": (start + timedelta(days=364)).isoformat(),
            "justification": "Pre-training ablations.",
        },
    )
    assert response.status_code == 302
    return AllocationRequest.objects.get()


@pytest.fixture
def staff(secretariat: Any, login: Any) -> Client:
    return login(secretariat)


def assign(staff: Client, request: AllocationRequest, email: str, kind: str) -> list[str]:
    url = f"/admin/compute/allocationrequest/{request.pk}/assign/"
    return [unescape(m) for m in messages_of(post_form(staff, url, {"email": email, "kind": kind}))]


def decide(staff: Client, request: AllocationRequest, **changes: str) -> list[str]:
    url = f"/admin/compute/allocationrequest/{request.pk}/decide/"
    return [unescape(m) for m in messages_of(post_form(staff, url, changes))]


def review_page(client: Client, assignment: ReviewerAssignment, **changes: str) -> Any:
    return post_form(client, f"/compute/reviews/{assignment.pk}/", changes)


def test_an_assigned_reviewer_finds_the_request_in_the_queue_and_records_the_review(
    staff: Client, request_: AllocationRequest, reviewer: Any, login: Any
) -> None:
    assert assign(staff, request_, reviewer.email, "technical") == ["Rita Reviewer is asked for the Technical review."]
    assignment = ReviewerAssignment.objects.get()
    assert Notification.objects.filter(kind="compute.review_assigned", recipient=reviewer).exists()
    client = login(reviewer)
    queue = client.get("/compute/reviews/").content.decode()
    assert f"/compute/reviews/{assignment.pk}/" in queue and "to do" in queue
    page = client.get(f"/compute/reviews/{assignment.pk}/").content.decode()
    assert "Pre-training ablations." in page
    response = review_page(client, assignment, verdict="reduce", score="3.5", comment="Halve the sweep.")
    assert response.redirect_chain[-1][0] == "/compute/reviews/"
    review = RequestReview.objects.get()
    assert (review.kind, review.verdict, str(review.score), review.comment) == (
        "technical",
        "reduce",
        "3.5",
        "Halve the sweep.",
    )
    request_.refresh_from_db()
    assert request_.status == AllocationRequest.Status.IN_REVIEW
    assert "recorded" in client.get("/compute/reviews/").content.decode()


def test_the_pi_or_a_member_cannot_be_assigned_to_review_their_request(
    staff: Client, request_: AllocationRequest, member: Any
) -> None:
    shown = assign(staff, request_, "pi@example.org", "technical")
    assert "Pia Investigator cannot review this request: the reviewer is the project's PI." in shown
    shown = assign(staff, request_, member.email, "scientific")
    assert "Max Member cannot review this request: the reviewer is a member of the project." in shown
    assert not ReviewerAssignment.objects.exists()


def test_a_declared_conflict_ends_access_and_the_review_stops_counting(
    staff: Client, request_: AllocationRequest, reviewer: Any, login: Any
) -> None:
    assign(staff, request_, reviewer.email, "technical")
    assignment = ReviewerAssignment.objects.get()
    client = login(reviewer)
    review_page(client, assignment, verdict="support")
    response = client.post(
        f"/compute/reviews/{assignment.pk}/conflict/", {"coi-reason": "I co-supervise the PI's student."}, follow=True
    )
    assert "Your conflict is declared" in response.content.decode()
    assert client.get(f"/compute/reviews/{assignment.pk}/").status_code == 404
    assert f"/compute/reviews/{assignment.pk}/" not in client.get("/compute/reviews/").content.decode()
    assert client.post(f"/compute/reviews/{assignment.pk}/", {"verdict": "oppose"}).status_code == 404
    # The secretariat sees the review missing again, and cannot ask the same person again.
    shown = decide(staff, request_, decision="approve", note="ok")
    assert "Reviews missing before a decision: Technical review, Scientific peer review." in shown
    shown = assign(staff, request_, reviewer.email, "technical")
    assert "Rita Reviewer cannot review this request: the reviewer declared a conflict of interest." in shown


def test_someone_not_assigned_cannot_open_or_review_the_request(
    staff: Client, request_: AllocationRequest, reviewer: Any, login: Any
) -> None:
    assign(staff, request_, reviewer.email, "technical")
    assignment = ReviewerAssignment.objects.get()
    other = login(UserFactory(groups=["Reviewers"], mfa=True))
    assert other.get(f"/compute/reviews/{assignment.pk}/").status_code == 404
    assert other.post(f"/compute/reviews/{assignment.pk}/", {"verdict": "oppose"}).status_code == 404
    assert other.post(f"/compute/reviews/{assignment.pk}/conflict/", {"coi-reason": "x"}).status_code == 404
    assert not RequestReview.objects.exists()


def test_approval_waits_for_the_reviews_then_grants_and_tells_the_pi_why(
    staff: Client, request_: AllocationRequest, reviewer: Any, login: Any, project: Any
) -> None:
    scientist = UserFactory(email="sci@example.org", mfa=True)
    assign(staff, request_, reviewer.email, "technical")
    shown = decide(staff, request_, decision="approve", amount="4000", note="Reduced as advised.")
    assert "Reviews missing before a decision: Technical review, Scientific peer review." in shown
    assert not Allocation.objects.exists()
    assign(staff, request_, scientist.email, "scientific")
    for person in (reviewer, scientist):
        review_page(login(person), ReviewerAssignment.objects.get(reviewer=person), verdict="reduce")
    shown = decide(staff, request_, decision="approve", amount="4000", note="Reduced as advised.")
    assert any(m.startswith("Approved:") for m in shown), shown
    allocation = Allocation.objects.get()
    assert allocation.amount == 4000 and allocation.access_mode == AccessMode.REGULAR
    notice = Notification.objects.get(kind="compute.request_decided", recipient=project.pi)
    assert "is approved: 4000" in notice.body_text and "Reduced as advised." in notice.body_text
    page = login(project.pi).get(f"/compute/projects/{project.code}/").content.decode()
    assert "GrpTRESMins=gres/gpu=240000" in page and "Reduced as advised." in page


def test_a_rejection_needs_its_reason_and_the_pi_receives_it(
    staff: Client, request_: AllocationRequest, project: Any
) -> None:
    shown = decide(staff, request_, decision="reject", note="")
    assert "This field is required." in shown
    shown = decide(staff, request_, decision="reject", note="The call is oversubscribed.")
    assert any(m.startswith("Rejected:") for m in shown)
    request_.refresh_from_db()
    assert request_.status == AllocationRequest.Status.REJECTED
    notice = Notification.objects.get(kind="compute.request_decided", recipient=project.pi)
    assert "not approved" in notice.body_text and "The call is oversubscribed." in notice.body_text
    # Decided: no more reviewers, no second decision.
    assert "This request has already been decided." in decide(staff, request_, decision="approve", note="x")


def test_an_approval_beyond_capacity_shows_the_refusal_only(staff: Client, project: Any, fox: Any, login: Any) -> None:
    period = factories.make_resource(fox, capacity=100)
    call = factories.make_call([period.resource], mode=AccessMode.FAST)
    start = timezone.now().date()
    login(project.pi).post(
        f"/compute/projects/{project.code}/request/",
        {
            "call": call.pk,
            "resource": period.resource_id,
            "amount": "150",
            "start": start.isoformat(),
            "end": (start + timedelta(days=90)).isoformat(),
            "justification": "Quick test.",
        },
    )
    request = AllocationRequest.objects.get()
    reviewer = UserFactory(mfa=True)
    assign(staff, request, reviewer.email, "technical")
    review_page(login(reviewer), ReviewerAssignment.objects.get(), verdict="support")
    shown = decide(staff, request, decision="approve", note="ok")
    assert any("Not enough capacity" in m and "has 100 of 100 left" in m for m in shown), shown
    assert not any(m.startswith("Approved") for m in shown)
    assert not Allocation.objects.exists()


def test_the_assignment_page_shows_each_reviewers_load_and_conflict_before_anyone_is_asked(
    staff: Client, request_: AllocationRequest, reviewer: Any, member: Any, login: Any, gpu_period: Any, fox: Any
) -> None:
    # Max Member has reviewed for another project; on this one he is a member.
    other_pi = UserFactory(email="opi@example.org", name="Olga Other")
    other = factories.make_project(code="vision", pi=other_pi, cluster=fox, account="ec86", logins=("olga",))
    start = timezone.now().date()
    response = login(other_pi).post(
        f"/compute/projects/{other.code}/request/",
        {
            "call": request_.call_id,
            "resource": gpu_period.resource_id,
            "amount": "100",
            "start": start.isoformat(),
            "end": (start + timedelta(days=364)).isoformat(),
            "justification": "Vision baselines.",
        },
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert assign(staff, AllocationRequest.objects.get(project=other), member.email, "technical")
    assert assign(staff, request_, reviewer.email, "technical")

    page = staff.get(f"/admin/compute/allocationrequest/{request_.pk}/assign/").content.decode()
    assert reviewer_rows(page) == [
        "Max Member member@example.org 1 0 Conflict: the reviewer is a member of the project",
        f"Rita Reviewer {reviewer.email} 1 0 Already asked: Technical review",
    ]
    # The address field offers the people who may review, not the conflicted one.
    assert 'list="known-reviewers"' in page
    assert f'<option value="{reviewer.email}">' in page and 'value="member@example.org"' not in page

    # Once Rita writes her review, her open load falls and her written count rises.
    review_page(login(reviewer), ReviewerAssignment.objects.get(reviewer=reviewer), verdict="support")
    page = staff.get(f"/admin/compute/allocationrequest/{request_.pk}/assign/").content.decode()
    assert reviewer_rows(page)[1] == f"Rita Reviewer {reviewer.email} 0 1 Already asked: Technical review"


def reviewer_rows(page: str) -> list[str]:
    """The rows of the reviewers' table as a person reads them (name, address, open, written, this request)."""
    table = page.split('id="reviewer-overview"', 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1]
    return [" ".join(re.sub(r"<[^>]+>", " ", unescape(row)).split()) for row in body.split("</tr>")[:-1]]
