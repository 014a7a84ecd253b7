"""PI self-service on the project's page (issue 11): members added and removed (audited), renewals
and extensions (more time or quota) requested with a justification and reviewed like requests; an
ended allocation says "ended"."""

from __future__ import annotations

from datetime import timedelta
from html import unescape
from typing import Any

import pytest
from django.apps import apps
from django.test import Client
from django.utils import timezone

from compute.models import Allocation, AllocationRequest, ProjectMembership, ResourcePeriod, ReviewerAssignment
from tests.admin_forms import messages_of, post_form
from tests.factories import UserFactory

from . import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def pi_client(project: Any, login: Any) -> Client:
    return login(project.pi)


@pytest.fixture
def allocation(project: Any, gpu_period: ResourcePeriod, secretariat: Any) -> Allocation:
    """A development allocation of 1000 GPU-hours, 40 days in, ending in 324 days."""
    return factories.grant(project, gpu_period, 1000, actor=secretariat)


def page_text(client: Client, project: Any) -> str:
    return unescape(client.get(f"/compute/projects/{project.code}/").content.decode())


def shown_after(response: Any) -> str:
    return unescape(response.content.decode())


def test_the_pi_adds_and_removes_a_member_and_both_are_audited(pi_client: Client, project: Any) -> None:
    newcomer = UserFactory(email="nora@example.org", name="Nora Newcomer")
    response = pi_client.post(
        f"/compute/projects/{project.code}/members/",
        {"member-email": "Nora@Example.org", "member-role": "member"},
        follow=True,
    )
    assert "Nora Newcomer is now in the project." in shown_after(response)
    assert "nora@example.org" in page_text(pi_client, project)
    membership = ProjectMembership.objects.get(project=project, user=newcomer)
    response = pi_client.post(f"/compute/projects/{project.code}/members/{newcomer.pk}/remove/", follow=True)
    assert "Nora Newcomer is no longer in the project." in shown_after(response)
    assert not ProjectMembership.objects.filter(pk=membership.pk).exists()
    events = apps.get_model("compute", "ProjectMembershipEvent").objects.filter(pgh_obj_id=membership.pk)
    trail = [
        (e.pgh_label, e.pgh_context.metadata["reason"], e.pgh_context.metadata["actor"])
        for e in events.order_by("pgh_id")
    ]
    assert trail == [
        ("insert", "project member added", project.pi_id),
        ("delete", "project member removed", project.pi_id),
    ]


def test_unknown_addresses_duplicates_and_the_pi_are_refused_with_a_reason(
    pi_client: Client, project: Any, member: Any
) -> None:
    url = f"/compute/projects/{project.code}/members/"
    response = pi_client.post(url, {"member-email": "ghost@example.org", "member-role": "member"}, follow=True)
    assert "No one has an account with the address ghost@example.org; ask them to sign up first." in shown_after(
        response
    )
    response = pi_client.post(url, {"member-email": member.email, "member-role": "manager"}, follow=True)
    assert "Max Member is already in the project." in shown_after(response)
    response = pi_client.post(url, {"member-email": "not an address", "member-role": "member"}, follow=True)
    assert "Email address of their account: Enter a valid email address." in shown_after(response)
    response = pi_client.post(f"/compute/projects/{project.code}/members/{project.pi_id}/remove/", follow=True)
    assert "The PI cannot be removed from their project." in shown_after(response)
    assert project.memberships.count() == 2


def test_a_plain_member_cannot_manage_the_project(project: Any, member: Any, login: Any, allocation: Any) -> None:
    client = login(member)
    page = page_text(client, project)
    assert "Add the member" not in page and "Request a renewal" not in page
    newcomer = UserFactory()
    for url, data in (
        (f"/compute/projects/{project.code}/members/", {"member-email": newcomer.email, "member-role": "member"}),
        (f"/compute/projects/{project.code}/members/{project.pi_id}/remove/", {}),
        (f"/compute/projects/{project.code}/allocations/{allocation.pk}/extend/", {}),
        (f"/compute/projects/{project.code}/allocations/{allocation.pk}/renew/", {}),
    ):
        assert client.post(url, data).status_code == 403, url
    assert not ProjectMembership.objects.filter(user=newcomer).exists()


def review_and_decide(staff: Client, request: AllocationRequest, reviewer: Any, login: Any, note: str) -> list[str]:
    """The secretariat assigns a technical reviewer, who reviews in the portal; then the decision."""
    post_form(staff, f"/admin/compute/allocationrequest/{request.pk}/assign/", {"email": reviewer.email})
    assignment = ReviewerAssignment.objects.get(request=request)
    post_form(login(reviewer), f"/compute/reviews/{assignment.pk}/", {"verdict": "support"})
    response = post_form(
        staff, f"/admin/compute/allocationrequest/{request.pk}/decide/", {"decision": "approve", "note": note}
    )
    return [unescape(m) for m in messages_of(response)]


def test_an_extension_adds_time_and_quota_once_reviewed_and_approved(
    pi_client: Client,
    project: Any,
    allocation: Allocation,
    gpu_period: ResourcePeriod,
    secretariat: Any,
    reviewer: Any,
    login: Any,
) -> None:
    new_end = allocation.start + timedelta(days=400)  # development: up to a year (12.5 months counted)
    url = f"/compute/projects/{project.code}/allocations/{allocation.pk}/extend/"
    too_long = pi_client.post(url, {"amount": "0", "end": new_end.isoformat(), "justification": "More time."})
    assert "Development allocations run at most 12 months" in shown_after(too_long)
    nothing = pi_client.post(url, {"amount": "0", "end": allocation.end.isoformat(), "justification": "x"})
    assert "Ask for more quota, more time, or both." in shown_after(nothing)
    new_end = allocation.end + timedelta(days=10)
    response = pi_client.post(
        url, {"amount": "500", "end": new_end.isoformat(), "justification": "The sweep needs a second pass."}
    )
    assert response.status_code == 302
    request = AllocationRequest.objects.get(kind=AllocationRequest.Kind.EXTENSION)
    assert (request.renews, request.amount, request.end, request.call) == (allocation, 500, new_end, None)
    again = pi_client.post(url, {"amount": "1", "end": new_end.isoformat(), "justification": "and more"})
    assert "An extension of this allocation is already waiting for a decision." in shown_after(again)

    shown = review_and_decide(login(secretariat), request, reviewer, login, "Granted for the second pass.")
    assert any(m.startswith("Approved:") for m in shown), shown
    allocation.refresh_from_db()
    assert (allocation.amount, allocation.end) == (1500, new_end)
    assert ResourcePeriod.objects.get(pk=gpu_period.pk).granted == 1500
    assert Allocation.objects.count() == 1
    page = page_text(pi_client, project)
    assert "GrpTRESMins=gres/gpu=90000" in page and "Granted for the second pass." in page


def test_a_renewal_is_a_new_allocation_that_follows_the_old_one(
    pi_client: Client,
    project: Any,
    allocation: Allocation,
    gpu_period: ResourcePeriod,
    secretariat: Any,
    reviewer: Any,
    login: Any,
) -> None:
    call = factories.make_call([gpu_period.resource])
    start = allocation.end + timedelta(days=1)
    url = f"/compute/projects/{project.code}/allocations/{allocation.pk}/renew/"
    form = pi_client.get(url).content.decode()
    assert f'value="{start.isoformat()}"' in form  # the day after the end is proposed
    response = pi_client.post(
        url,
        {
            "call": call.pk,
            "amount": "800",
            "start": start.isoformat(),
            "end": (start + timedelta(days=300)).isoformat(),
            "justification": "Year two of the project.",
        },
    )
    assert response.status_code == 302
    request = AllocationRequest.objects.get(kind=AllocationRequest.Kind.RENEWAL)
    assert request.renews == allocation and request.resource == allocation.resource
    shown = review_and_decide(login(secretariat), request, reviewer, login, "Renewed.")
    assert any(m.startswith("Approved:") for m in shown), shown
    renewal = Allocation.objects.get(request=request)
    assert renewal.renewal_of == allocation and renewal.amount == 800 and renewal.start == start


def test_an_ended_allocation_says_ended_not_active(
    pi_client: Client, project: Any, gpu_period: ResourcePeriod, secretariat: Any
) -> None:
    today = timezone.now().date()
    ended = factories.grant(
        project, gpu_period, 10, actor=secretariat, start=today - timedelta(days=100), end=today - timedelta(days=1)
    )
    running = factories.grant(project, gpu_period, 10, actor=secretariat)
    assert ended.status == Allocation.Status.ACTIVE  # the expiry task has not run yet
    client_page = pi_client.get(f"/compute/projects/{project.code}/").content.decode()
    assert f'data-testid="state-{ended.pk}">ended' in client_page
    assert f'data-testid="state-{running.pk}">active' in client_page
    # No extension of an ended allocation: a renewal is offered instead.
    assert f"/allocations/{ended.pk}/extend/" not in client_page
    assert f"/allocations/{ended.pk}/renew/" in client_page
    dashboard = pi_client.get("/dashboard/").content.decode()
    assert "10 (0.0 %)" in dashboard and dashboard.count(f"{project.code}</a>:") == 1
