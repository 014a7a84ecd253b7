"""Requests, reviews, approvals within capacity (T12), top-ups, renewals, expiry, and the audit trail
of allocations under bulk and raw updates (T13)."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connection
from django.db.models import Sum
from django.test import TestCase
from django.utils import timezone

from cernai.core.errors import Refusal
from cernai.core.models import Notification
from compute import access_modes, services
from compute.access_modes import AccessMode, ReviewKind
from compute.models import Allocation, AllocationRequest, ExpiryReminder, ResourcePeriod
from tests.factories import UserFactory

from . import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("mode", "months", "ok"),
    [
        (AccessMode.BENCHMARK, 2, True),
        (AccessMode.BENCHMARK, 3, True),
        (AccessMode.BENCHMARK, 5, False),
        (AccessMode.BENCHMARK, 1, False),
        (AccessMode.DEVELOPMENT, 12, True),
        (AccessMode.DEVELOPMENT, 14, False),
        (AccessMode.REGULAR, 12, True),
        (AccessMode.EXTREME_SCALE, 12, True),
        (AccessMode.REGULAR, 6, False),
        (AccessMode.FAST, 5, True),
        (AccessMode.FAST, 6, False),
    ],
)
def test_access_mode_durations(mode: str, months: int, ok: bool) -> None:
    start = date(2026, 1, 1)
    end = start + timedelta(days=round(months * 365.25 / 12) - 1)
    assert (access_modes.duration_problem(mode, start, end) is None) is ok


def test_access_mode_reviews() -> None:
    assert access_modes.required_reviews(AccessMode.BENCHMARK) == (ReviewKind.TECHNICAL,)
    assert access_modes.required_reviews(AccessMode.REGULAR) == (ReviewKind.TECHNICAL, ReviewKind.SCIENTIFIC)


def regular_request(project: Any, gpu_period: Any, amount: int = 5000) -> AllocationRequest:
    call = factories.make_call([gpu_period.resource], mode=AccessMode.REGULAR)
    start = timezone.now().date()
    return services.submit_request(
        call=call,
        project=project,
        resource=gpu_period.resource,
        amount=amount,
        start=start,
        end=start + timedelta(days=364),
        justification="we train models",
        submitted_by=project.pi,
    )


def review(request: AllocationRequest, reviewer: Any, kind: str, actor: Any, **fields: Any) -> Any:
    assignment = services.assign_reviewer(request=request, reviewer=reviewer, kind=kind, actor=actor)
    return services.record_review(assignment=assignment, reviewer=reviewer, verdict="support", **fields)


def test_regular_requests_need_technical_and_scientific_review(
    project: Any, gpu_period: Any, secretariat: Any, reviewer: Any
) -> None:
    request = regular_request(project, gpu_period)
    with pytest.raises(Refusal, match="Technical review, Scientific peer review"):
        services.approve_request(request=request, actor=secretariat)
    review(request, reviewer, ReviewKind.TECHNICAL, secretariat)
    with pytest.raises(Refusal, match="Scientific peer review"):
        services.approve_request(request=request, actor=secretariat)
    review(request, reviewer, ReviewKind.SCIENTIFIC, secretariat, score=Decimal("4.5"))
    with TestCase.captureOnCommitCallbacks(execute=True):
        allocation = services.approve_request(request=request, actor=secretariat, note="Strong case.")
    assert allocation.amount == 5000
    assert ResourcePeriod.objects.get().granted == 5000
    notice = Notification.objects.get(kind="compute.request_decided", recipient=project.pi)
    assert "Strong case." in notice.body_text
    with pytest.raises(Refusal, match="already been decided"):
        services.approve_request(request=request, actor=secretariat)


def test_a_review_stops_counting_once_its_reviewer_declares_a_conflict(
    project: Any, gpu_period: Any, secretariat: Any, reviewer: Any
) -> None:
    request = regular_request(project, gpu_period)
    technical = review(request, reviewer, ReviewKind.TECHNICAL, secretariat)
    review(request, UserFactory(), ReviewKind.SCIENTIFIC, secretariat)
    assert services.missing_reviews(request) == []
    assignment = request.assignments.get(reviewer=reviewer)
    services.declare_conflict(assignment=assignment, reviewer=reviewer, reason="I co-authored with the PI.")
    assert services.missing_reviews(request) == [ReviewKind.TECHNICAL]
    with pytest.raises(Refusal, match="do not have access"):
        services.record_review(assignment=assignment, reviewer=reviewer, verdict="support")
    # The declared conflict also bars assigning the same person again.
    with pytest.raises(Refusal, match="declared a conflict"):
        services.assign_reviewer(request=request, reviewer=reviewer, kind=technical.kind, actor=secretariat)


@pytest.mark.parametrize("who", ["pi", "member"])
def test_project_people_cannot_be_assigned_to_review_their_own_request(
    project: Any, gpu_period: Any, secretariat: Any, who: str
) -> None:
    request = regular_request(project, gpu_period)
    person = project.pi if who == "pi" else project.memberships.get(role="member").user
    with pytest.raises(Refusal, match="cannot review this request") as caught:
        services.assign_reviewer(request=request, reviewer=person, kind=ReviewKind.TECHNICAL, actor=secretariat)
    assert caught.value.field == "reviewer"
    assert not request.assignments.exists()


def test_a_rejection_needs_a_reason_and_the_reason_reaches_the_pi(
    project: Any, gpu_period: Any, secretariat: Any
) -> None:
    request = regular_request(project, gpu_period)
    with pytest.raises(Refusal, match="reason"):
        services.reject_request(request=request, actor=secretariat, note="  ")
    services.reject_request(request=request, actor=secretariat, note="The scaling plan is missing.")
    notice = Notification.objects.get(kind="compute.request_decided", recipient=project.pi)
    assert "not approved" in notice.body_text and "The scaling plan is missing." in notice.body_text


def test_requests_outside_the_call_window_or_mode_are_refused(project: Any, gpu_period: Any) -> None:
    call = factories.make_call([gpu_period.resource], mode=AccessMode.BENCHMARK)
    start = timezone.now().date()
    with pytest.raises(ValidationError) as caught:
        services.submit_request(
            call=call,
            project=project,
            resource=gpu_period.resource,
            amount=10,
            start=start,
            end=start + timedelta(days=364),
            justification="x",
            submitted_by=project.pi,
        )
    assert "at most 3 months" in str(caught.value.message_dict["end"])
    with pytest.raises(ValidationError) as caught:
        services.submit_request(
            call=call,
            project=project,
            resource=gpu_period.resource,
            amount=10,
            start=start,
            end=start + timedelta(days=70),
            justification="x",
            submitted_by=project.pi,
            now=call.cutoff_at,
        )
    assert "not open" in str(caught.value.message_dict["call"])


def test_capacity_refusal_names_what_is_left(project: Any, fox: Any, secretariat: Any) -> None:
    period = factories.make_resource(fox, capacity=1000)
    factories.grant(project, period, 900, actor=secretariat)
    with pytest.raises(Refusal, match=r"Not enough capacity: .* has 100 of 1000 left"):
        factories.grant(project, period, 200, actor=secretariat)
    allocation = Allocation.objects.get()
    with pytest.raises(Refusal, match=r"100 of 1000 left .* needs 101"):
        services.top_up_allocation(allocation=allocation, amount=101, actor=secretariat)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_t12_fifty_concurrent_approvals_never_exceed_capacity(project: Any, fox: Any, secretariat: Any) -> None:
    period = factories.make_resource(fox, capacity=1000)
    call = factories.make_call([period.resource])
    start = timezone.now().date()
    requests = [
        services.submit_request(
            call=call,
            project=project,
            resource=period.resource,
            amount=70,
            start=start,
            end=start + timedelta(days=100),
            justification="x",
            submitted_by=project.pi,
        )
        for _ in range(50)
    ]
    barrier = threading.Barrier(50)
    outcomes: list[str] = []
    lock = threading.Lock()

    def approve(request: AllocationRequest) -> None:
        try:
            barrier.wait()
            services.approve_request(request=request, actor=secretariat, require_reviews=False)
            result = "ok"
        except Refusal as exc:
            result = str(exc)
        finally:
            close_old_connections()
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=approve, args=(r,)) for r in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    granted = Allocation.objects.aggregate(s=Sum("amount"))["s"]
    assert granted == 14 * 70 <= 1000
    assert outcomes.count("ok") == 14
    refusals = [o for o in outcomes if o != "ok"]
    assert len(refusals) == 36
    assert all(o.startswith("Not enough capacity") and "needs 70" in o for o in refusals)
    assert ResourcePeriod.objects.get().granted == granted


def test_t13_bulk_and_raw_updates_of_allocations_are_in_the_audit_trail(
    project: Any, gpu_period: Any, secretariat: Any
) -> None:
    allocation = factories.grant(project, gpu_period, 100, actor=secretariat)
    Allocation.objects.filter(pk=allocation.pk).update(amount=150)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE compute_allocation SET amount = 175 WHERE id = %s", [allocation.pk])
    amounts = list(allocation.events.order_by("pgh_id").values_list("pgh_label", "amount"))
    assert amounts == [("insert", 100), ("update", 150), ("update", 175)]
    # The event tables are append-only: the trail itself cannot be edited.
    with pytest.raises(Exception, match="append"), connection.cursor() as cursor:
        cursor.execute("UPDATE compute_allocationevent SET amount = 1")


def test_renewal_links_to_the_previous_allocation(project: Any, gpu_period: Any, secretariat: Any) -> None:
    first = factories.grant(project, gpu_period, 100, actor=secretariat)
    call = factories.make_call([gpu_period.resource])
    request = services.submit_request(
        call=call,
        project=project,
        resource=gpu_period.resource,
        amount=100,
        start=first.end + timedelta(days=1),
        end=first.end + timedelta(days=200),
        justification="more",
        submitted_by=project.pi,
        renews=first,
    )
    renewal = services.approve_request(request=request, actor=secretariat, require_reviews=False)
    assert renewal.renewal_of == first


def test_expiry_reminders_at_30_14_7_days_one_message_per_person_per_day(
    project: Any, fox: Any, secretariat: Any
) -> None:
    gpu = factories.make_resource(fox)
    from compute.models import Unit

    cpu = factories.make_resource(fox, unit=Unit.CORE_HOURS)
    today = timezone.now().date()
    a = factories.grant(
        project, gpu, 10, actor=secretariat, start=today - timedelta(days=60), end=today + timedelta(days=30)
    )
    factories.grant(
        project, cpu, 10, actor=secretariat, start=today - timedelta(days=60), end=today + timedelta(days=30)
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert services.send_expiry_reminders(today=today) == 1
        assert services.send_expiry_reminders(today=today) == 0  # the same day again: nothing
    notes = Notification.objects.filter(kind="compute.expiry_reminder")
    assert notes.count() == 1 and "30 days" in notes.get().body_text
    assert ExpiryReminder.objects.count() == 2
    assert services.send_expiry_reminders(today=today + timedelta(days=1)) == 0  # 29 days: not a reminder day
    assert services.send_expiry_reminders(today=today + timedelta(days=16)) == 1  # 14 days
    assert services.send_expiry_reminders(today=today + timedelta(days=23)) == 1  # 7 days
    assert services.expire_allocations(today=a.end + timedelta(days=1)) == 2
    assert not Allocation.objects.filter(status=Allocation.Status.ACTIVE).exists()


def test_jobs_started_before_the_end_still_count(
    project: Any, gpu_period: Any, secretariat: Any, site_fox: str
) -> None:
    from .conftest import post_json, token_client

    today = timezone.now().date()
    allocation = factories.grant(
        project, gpu_period, 100, actor=secretariat, start=today - timedelta(days=60), end=today
    )
    post_json(token_client(site_fox), [factories.job()])
    allocation.refresh_from_db()
    assert allocation.used_seconds == 36000


def test_unknown_reviewer_kind_is_refused(project: Any, gpu_period: Any) -> None:
    call = factories.make_call([gpu_period.resource], mode=AccessMode.FAST)
    start = timezone.now().date()
    request = services.submit_request(
        call=call,
        project=project,
        resource=gpu_period.resource,
        amount=10,
        start=start,
        end=start + timedelta(days=90),
        justification="x",
        submitted_by=project.pi,
    )
    with pytest.raises(Refusal, match="does not use"):
        services.assign_reviewer(request=request, reviewer=UserFactory(), kind=ReviewKind.SCIENTIFIC, actor=project.pi)


def test_a_job_straddling_the_allocations_end_is_charged_to_it_in_full(
    project: Any, gpu_period: Any, secretariat: Any, site_fox: str
) -> None:
    """rules §3 and the page's explanation: a job counts against the allocation whose period it
    started in, all of it, also the hours after the end; a job started after the end does not."""
    import time_machine

    from .conftest import post_json, token_client

    with time_machine.travel("2026-11-20T12:00:00Z", tick=False):
        allocation = factories.grant(
            project, gpu_period, 100, actor=secretariat, start=date(2026, 11, 1), end=date(2026, 11, 15)
        )
        straddling = factories.job(  # 15 Nov 20:00 in Oslo (19:00 UTC) for 10 hours: 5 of them after the end
            JobIDRaw="8001",
            JobID="8001",
            Submit="2026-11-15T19:00:00",
            Start="2026-11-15T20:00:00",
            End="2026-11-16T06:00:00",
            ElapsedRaw="36000",
        )
        after = factories.job(
            JobIDRaw="8002",
            JobID="8002",
            Submit="2026-11-16T09:00:00",
            Start="2026-11-16T10:00:00",
            End="2026-11-16T11:00:00",
            ElapsedRaw="3600",
        )
        assert post_json(token_client(site_fox), [straddling, after]).json()["created"] == 2
    allocation.refresh_from_db()
    assert allocation.used_seconds == 4 * 36000
