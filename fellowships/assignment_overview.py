"""What the secretariat sees before assigning reviewers: each reviewer's load and conflicts.

A read for the assignment page (a fixed number of queries, whatever the pool's size); the assignment
itself stays with ``services.assign_reviewers``, which checks the conflicts again when it writes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef

from .models import Application, Call, Review, ReviewAssignment
from .selectors import reviewer_pool
from .services.review import conflict_between


@dataclass
class ReviewerRow:
    reviewer: Any
    open_assignments: int  # applications under review, not declared conflicted, with no current review yet
    completed_in_call: int  # reviews written for applications of this call (any revision)
    conflicts: list[tuple[Application, str]] = field(default_factory=list)
    already_assigned: list[Application] = field(default_factory=list)

    @property
    def assignable(self) -> bool:
        """Not conflicted with any selected application (an override needs the admin's written justification)."""
        return not self.conflicts


def selected_applications(call: Call, ids: Sequence[int]) -> list[Application]:
    return list(
        call.applications.filter(pk__in=ids, erased_at__isnull=True)
        .select_related("applicant", "host_site")
        .order_by("id")
    )


def reviewer_overview(call: Call, applications: Sequence[Application]) -> list[ReviewerRow]:
    """Every reviewer of the pool with their load and their conflicts with ``applications``."""
    reviewers = list(reviewer_pool().only("pk", "name", "email", "home_institution", "nationality"))
    current = Review.objects.filter(assignment=OuterRef("pk"), revision=OuterRef("application__revision"))
    open_counts = dict(
        ReviewAssignment.objects.filter(
            conflict_declared_at__isnull=True,
            application__status=Application.Status.SUBMITTED,
            application__erased_at__isnull=True,
        )
        .exclude(Exists(current))
        .values_list("reviewer_id")
        .annotate(n=Count("id"))
        .values_list("reviewer_id", "n")
    )
    done_counts = dict(
        Review.objects.filter(application__call=call)
        .values_list("assignment__reviewer_id")
        .annotate(n=Count("id"))
        .values_list("assignment__reviewer_id", "n")
    )
    pairs = ReviewAssignment.objects.filter(application__in=applications).values_list(
        "application_id", "reviewer_id", "conflict_declared_at"
    )
    declared = {(a, r) for a, r, at in pairs if at is not None}
    assigned = {(a, r) for a, r, at in pairs if at is None}
    rows = []
    for reviewer in reviewers:
        row = ReviewerRow(reviewer, open_counts.get(reviewer.pk, 0), done_counts.get(reviewer.pk, 0))
        for application in applications:
            reason = conflict_between(reviewer, application, declared=(application.pk, reviewer.pk) in declared)
            if reason:
                row.conflicts.append((application, reason))
            elif (application.pk, reviewer.pk) in assigned:
                row.already_assigned.append(application)
        rows.append(row)
    return rows
