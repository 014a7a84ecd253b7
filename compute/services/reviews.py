"""Reviews of allocation requests: the secretariat assigns reviewers per kind of review the access mode
needs, reviewers declare conflicts or record their review, and only reviews of unconflicted assigned
reviewers count towards a decision."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cernai.core.audit import audit_context
from cernai.core.errors import Refusal
from cernai.core.notifications import notify

from .. import access_modes
from ..models import AllocationRequest, RequestReview, ReviewerAssignment

OPEN = (AllocationRequest.Status.SUBMITTED, AllocationRequest.Status.IN_REVIEW)


def conflict_reason(
    reviewer: Any, request: AllocationRequest, *, members: set[int] | None = None, declared: set[int] | None = None
) -> str | None:
    """Why this person may not review this request, or None. The project's members and the people
    who declared a conflict with the request may be read once and passed in, for many reviewers."""
    if members is None:
        members = set(request.project.memberships.values_list("user_id", flat=True))
    if declared is None:
        conflicted = request.assignments.filter(conflict_declared_at__isnull=False)
        declared = set(conflicted.values_list("reviewer_id", flat=True))
    if reviewer.pk == request.project.pi_id:
        return _("the reviewer is the project's PI")
    if reviewer.pk == request.submitted_by_id:
        return _("the reviewer submitted the request")
    if reviewer.pk in members:
        return _("the reviewer is a member of the project")
    if reviewer.pk in declared:
        return _("the reviewer declared a conflict of interest")
    return None


def assign_reviewer(*, request: AllocationRequest, reviewer: Any, kind: str, actor: Any) -> ReviewerAssignment:
    """Ask ``reviewer`` for a ``kind`` review of an open request; conflicted reviewers are refused."""
    with transaction.atomic(), audit_context(actor=actor, reason=f"{kind} reviewer assigned"):
        locked = (
            AllocationRequest.objects.select_for_update(of=("self",))
            .select_related("call", "renews", "project")
            .get(pk=request.pk)
        )
        if kind not in access_modes.required_reviews(locked.access_mode):
            raise Refusal(_("This access mode does not use that kind of review."), code="kind", field="kind")
        if locked.status not in OPEN:
            raise Refusal(_("This request has already been decided."), code="status")
        reason = conflict_reason(reviewer, locked)
        if reason:
            raise Refusal(
                _("%(name)s cannot review this request: %(reason)s.") % {"name": reviewer, "reason": reason},
                code="conflict",
                field="reviewer",
            )
        assignment, created = ReviewerAssignment.objects.get_or_create(
            request=locked, reviewer=reviewer, kind=kind, defaults={"assigned_by": actor}
        )
        if created:
            # The reviewer's role (and the second factor it needs) follows from this record (compute/roles.py).
            notify(
                kind="compute.review_assigned",
                recipients=[reviewer],
                dedupe_key=f"compute.review_assigned:{assignment.pk}",
                context={"project": locked.project.code, "kind": str(access_modes.ReviewKind(kind).label)},
                url=reverse("compute:review_form", args=[assignment.pk]),
            )
    return assignment


def declare_conflict(*, assignment: ReviewerAssignment, reviewer: Any, reason: str) -> ReviewerAssignment:
    """The reviewer declares a conflict: the assignment ends at once and any review of theirs stops counting."""
    reason = reason.strip()
    if not reason:
        raise Refusal(_("Say what the conflict is."), code="reason", field="reason")
    with transaction.atomic(), audit_context(actor=reviewer, reason="conflict declared", justification=reason):
        locked = ReviewerAssignment.objects.select_for_update().get(pk=assignment.pk)
        if locked.reviewer_id != reviewer.pk:
            raise Refusal(_("This is not your assignment."), code="access")
        if locked.conflict_declared_at is None:
            locked.conflict_declared_at = timezone.now()
            locked.conflict_reason = reason
            locked.save(update_fields=["conflict_declared_at", "conflict_reason"])
    return locked


def record_review(
    *,
    assignment: ReviewerAssignment,
    reviewer: Any,
    verdict: str,
    score: Decimal | None = None,
    comment: str = "",
) -> RequestReview:
    """Record (or revise, until the decision) the assigned reviewer's review; the request is then in review."""
    if verdict not in RequestReview.Verdict.values:
        raise Refusal(_("Choose a verdict."), code="verdict", field="verdict")
    if score is not None and not (0 <= score <= 5):
        raise Refusal(_("A score is between 0 and 5."), code="score", field="score")
    with transaction.atomic(), audit_context(actor=reviewer, reason="compute review recorded"):
        locked = ReviewerAssignment.objects.select_for_update().get(pk=assignment.pk)
        if locked.reviewer_id != reviewer.pk or locked.conflict_declared_at is not None:
            raise Refusal(_("You do not have access to this request."), code="access")
        request = AllocationRequest.objects.select_for_update().get(pk=locked.request_id)
        if request.status not in OPEN:
            raise Refusal(_("This request has already been decided."), code="status")
        review, _created = RequestReview.objects.update_or_create(
            request=request,
            reviewer=reviewer,
            kind=locked.kind,
            defaults={"verdict": verdict, "score": score, "comment": comment.strip()},
        )
        if request.status == AllocationRequest.Status.SUBMITTED:
            request.status = AllocationRequest.Status.IN_REVIEW
            request.save(update_fields=["status"])
    return review


def counted_reviews(request: AllocationRequest) -> QuerySet[RequestReview]:
    """The reviews that count: by a reviewer assigned to that kind who has not declared a conflict."""
    return request.reviews.filter(
        Exists(
            ReviewerAssignment.objects.filter(
                request=OuterRef("request"),
                reviewer=OuterRef("reviewer"),
                kind=OuterRef("kind"),
                conflict_declared_at__isnull=True,
            )
        )
    )


def missing_reviews(request: AllocationRequest) -> list[str]:
    """The review kinds the request's access mode needs and does not have yet."""
    done = set(counted_reviews(request).values_list("kind", flat=True))
    return [kind for kind in access_modes.required_reviews(request.access_mode) if kind not in done]
