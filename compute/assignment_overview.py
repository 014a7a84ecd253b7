"""What the secretariat sees before asking someone to review an allocation request: the people who
review compute requests, each with their load and whether they may review this one.

A read for the assignment page (a fixed number of queries, whatever the number of reviewers); the
assignment itself stays with ``services.assign_reviewer``, which checks the conflict again when it
writes. The conflicts are the service's own (``services.reviews.conflict_reason``), read in bulk."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Q

from .access_modes import ReviewKind
from .models import AllocationRequest, RequestReview, ReviewerAssignment
from .services.reviews import OPEN, conflict_reason


@dataclass
class ReviewerRow:
    reviewer: Any
    open_reviews: int  # assignments on undecided requests, no conflict declared, no review written yet
    reviews_written: int
    conflict: str | None = None
    assigned_here: list[str] = field(default_factory=list)  # the kinds of review already asked of them here


def reviewer_overview(request: AllocationRequest) -> list[ReviewerRow]:
    """Everyone who has been asked for a compute review, with their load and any conflict with ``request``."""
    written = RequestReview.objects.filter(
        request=OuterRef("request"), reviewer=OuterRef("reviewer"), kind=OuterRef("kind")
    )
    open_counts = dict(
        ReviewerAssignment.objects.filter(conflict_declared_at__isnull=True, request__status__in=OPEN)
        .exclude(Exists(written))
        .values_list("reviewer_id")
        .annotate(n=Count("id"))
        .values_list("reviewer_id", "n")
    )
    written_counts = dict(
        RequestReview.objects.values_list("reviewer_id").annotate(n=Count("id")).values_list("reviewer_id", "n")
    )
    reviewers = (
        get_user_model()
        .objects.filter(Q(compute_assignments__isnull=False) | Q(compute_reviews__isnull=False), is_active=True)
        .distinct()
        .order_by("name", "email")
        .only("pk", "name", "email")
    )
    members = set(request.project.memberships.values_list("user_id", flat=True))
    here = list(request.assignments.values_list("reviewer_id", "kind", "conflict_declared_at"))
    declared = {reviewer for reviewer, _kind, at in here if at is not None}
    rows = []
    for reviewer in reviewers:
        row = ReviewerRow(reviewer, open_counts.get(reviewer.pk, 0), written_counts.get(reviewer.pk, 0))
        row.conflict = conflict_reason(reviewer, request, members=members, declared=declared)
        row.assigned_here = [str(ReviewKind(kind).label) for pk, kind, at in here if pk == reviewer.pk and at is None]
        rows.append(row)
    return rows
