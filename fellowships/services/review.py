"""Review: conflict-aware assignment, conflict declarations, scoring, information requests, decisions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cernai.core.audit import audit_context
from cernai.core.notifications import notify

from .. import notifications as kinds
from .. import scoring
from ..models import Application, Placement, Review, ReviewAssignment
from ..selectors import criteria_of, current_reviews, standing_of
from .applications import ApplicationError
from .placements import report_due_for


class ReviewError(ApplicationError):
    """A review or assignment refused for a reason the person can act on."""


def conflict_between(reviewer: Any, application: Application, *, declared: bool) -> str | None:
    """Why this reviewer may not review this application (rules.md §2), or None, given whether the
    reviewer declared a conflict on it (no query: the assignment page checks many pairs at once)."""
    mine = (reviewer.home_institution or "").strip().casefold()
    if reviewer.pk == application.applicant_id:
        return _("the reviewer is the applicant")
    if mine and mine == (application.home_institution or "").strip().casefold():
        return _("same home institution as the applicant (%(name)s)") % {"name": application.home_institution}
    host = application.host_site.name if application.host_site else ""
    if mine and mine == host.strip().casefold():
        return _("the reviewer's institution is the host site (%(name)s)") % {"name": host}
    if declared:
        return _("the reviewer declared a conflict of interest")
    return None


def conflict_reason(reviewer: Any, application: Application, *, declared: bool | None = None) -> str | None:
    """Why this reviewer may not review this application (rules.md §2), or None. ``declared``: whether
    the reviewer declared a conflict on it, when the caller has just read it (else it is read here)."""
    if declared is None:
        declared = ReviewAssignment.objects.filter(
            application=application, reviewer=reviewer, conflict_declared_at__isnull=False
        ).exists()
    return conflict_between(reviewer, application, declared=declared)


def assignment_refusal(
    reviewer: Any, application: Application, justification: str = "", *, declared: bool | None = None
) -> str | None:
    """Why this reviewer may not be assigned: a conflict not overridden with a written justification
    (staff may override any conflict but one: the applicant never reviews her own application)."""
    reason = conflict_reason(reviewer, application, declared=declared)
    if reason and (not justification.strip() or reviewer.pk == application.applicant_id):
        return reason
    return None


@dataclass
class AssignmentReport:
    created: list[ReviewAssignment] = field(default_factory=list)
    overridden: list[ReviewAssignment] = field(default_factory=list)
    refused: list[tuple[Application, Any, str]] = field(default_factory=list)
    existing: int = 0


def assign_reviewers(
    *, applications: Iterable[Application], reviewers: Iterable[Any], actor: Any, override_justification: str = ""
) -> AssignmentReport:
    """Assign each reviewer to each application, refusing conflicted pairs unless overridden with a reason."""
    justification = override_justification.strip()
    report = AssignmentReport()
    reviewers = list(reviewers)
    with transaction.atomic(), audit_context(actor=actor, reason="assign reviewers", justification=justification):
        for application in applications:
            application = Application.objects.select_related("host_site").get(pk=application.pk)
            for reviewer in reviewers:
                existing = ReviewAssignment.objects.filter(application=application, reviewer=reviewer).first()
                if existing and existing.conflict_declared_at is None:
                    report.existing += 1
                    continue
                refusal = assignment_refusal(reviewer, application, justification)
                if refusal:
                    report.refused.append((application, reviewer, refusal))
                    continue
                reason = conflict_reason(reviewer, application)
                if existing:  # a declared conflict, now overridden by staff with a justification
                    existing.conflict_declared_at = None
                    existing.conflict_override = True
                    existing.override_justification = justification
                    existing.save()
                    report.overridden.append(existing)
                    continue
                assignment = ReviewAssignment.objects.create(
                    application=application,
                    reviewer=reviewer,
                    assigned_by=actor,
                    conflict_override=bool(reason),
                    override_justification=justification if reason else "",
                )
                (report.overridden if reason else report.created).append(assignment)
        for reviewer in reviewers:
            count = sum(1 for a in report.created + report.overridden if a.reviewer_id == reviewer.pk)
            if count:
                notify(
                    kind=kinds.REVIEW_ASSIGNED,
                    recipients=[reviewer],
                    dedupe_key=f"fellowships.assigned:{reviewer.pk}:{timezone.now():%Y%m%d%H%M%S%f}",
                    context={"count": count},
                    url=reverse("fellowships:review_queue"),
                )
    return report


def declare_conflict(*, assignment: ReviewAssignment, reviewer: Any, reason: str) -> ReviewAssignment:
    """A reviewer declares a conflict: access to the application ends at once."""
    with transaction.atomic(), audit_context(actor=reviewer, reason="conflict declared", justification=reason):
        locked = ReviewAssignment.objects.select_for_update().get(pk=assignment.pk)
        if locked.reviewer_id != reviewer.pk:
            raise ReviewError(_("This is not your assignment."))
        if locked.conflict_declared_at is None:
            locked.conflict_declared_at = timezone.now()
            locked.conflict_reason = reason.strip()
            locked.save(update_fields=["conflict_declared_at", "conflict_reason"])
    return locked


def submit_review(
    *, assignment: ReviewAssignment, reviewer: Any, raw_scores: Mapping[str, object], comment: str = ""
) -> Review:
    """Score every criterion 0-5 (one decimal; a blank blocks it) for the application's current revision."""
    with transaction.atomic(), audit_context(actor=reviewer, reason="submit review"):
        locked = (
            ReviewAssignment.objects.select_for_update(of=("self",))
            .select_related("application__call", "application__host_site")
            .get(pk=assignment.pk)
        )
        application = locked.application
        if locked.reviewer_id != reviewer.pk or locked.conflict_declared_at is not None:
            raise ReviewError(_("You do not have access to this application."), code="access")
        # Conflicts are checked again at scoring: an assignment made before the reviewer's or the
        # application's institution changed, or written around the assignment rule, scores nothing.
        # The locked row is the pair's only assignment (assignment_once), and its declared conflict
        # was refused above.
        conflict = assignment_refusal(
            reviewer, application, locked.override_justification if locked.conflict_override else "", declared=False
        )
        if conflict:
            raise ReviewError(
                _("You cannot review this application: %(reason)s.") % {"reason": conflict}, code="conflict"
            )
        if application.status != Application.Status.SUBMITTED:
            raise ReviewError(_("This application is not open for review."), code="status")
        criteria = criteria_of(application.call)
        try:
            scores = scoring.validate_scores(criteria, raw_scores)
        except scoring.ScoreError as exc:
            raise ReviewError(exc.errors) from exc
        try:
            # One review per revision: the named constraint refuses a second (the assignment's row
            # lock queues a reviewer's own retries, so the first wins and the second is told why).
            return Review.objects.create(
                assignment=locked,
                application=application,
                revision=application.revision,
                scores={k: str(v) for k, v in scores.items()},
                total_percent=scoring.total_percent(criteria, scores),
                comment=comment.strip(),
            )
        except IntegrityError as exc:
            if "review_once_per_revision" not in str(exc):
                raise
            raise ReviewError(_("You have already reviewed this revision."), code="duplicate") from exc


def request_more_information(*, application: Application, actor: Any, message: str) -> Application:
    """Reopen a submitted application for the applicant; the resubmission becomes a new revision."""
    if not message.strip():
        raise ApplicationError(_("Say what information is needed."), code="message")
    with transaction.atomic(), audit_context(actor=actor, reason="more information requested"):
        locked = Application.objects.select_for_update().select_related("applicant").get(pk=application.pk)
        if locked.status != Application.Status.SUBMITTED:
            raise ApplicationError(_("Only a submitted application can be reopened."), code="status")
        locked.status = Application.Status.INFO_REQUESTED
        locked.info_request = message.strip()
        locked.save(update_fields=["status", "info_request", "updated_at"])
        notify(
            kind=kinds.INFO_REQUESTED,
            recipients=[locked.applicant],
            dedupe_key=f"fellowships.info:{locked.pk}:r{locked.revision}",
            context={"application": locked, "message": locked.info_request},
            url=reverse("fellowships:application_status", args=[locked.pk]),
        )
    return locked


DECISIONS = {
    "accepted": Application.Status.ACCEPTED,
    "waitlisted": Application.Status.WAITLISTED,
    "rejected": Application.Status.REJECTED,
}


def decide(*, application: Application, actor: Any, decision: str, reason: str = "") -> Application:
    """Accept, waitlist or reject one application (accepting creates its placement; rejecting needs a reason)."""
    return decide_in_bulk(decisions={application.pk: decision}, actor=actor, reason=reason)[0]


def decide_in_bulk(*, decisions: Mapping[int, str], actor: Any, reason: str = "") -> list[Application]:
    """Decide several applications of one call at once, within its places and other-nationals quota.

    A rejection needs a written reason: it is stored on the application (and in the audit trail) and
    sent to the applicant with the decision."""
    if not decisions:
        return []
    unknown = {d for d in decisions.values() if d not in DECISIONS}
    if unknown:
        raise ApplicationError(_("Unknown decision: %(d)s.") % {"d": ", ".join(sorted(unknown))})
    reason = reason.strip()
    if not reason and "rejected" in decisions.values():
        raise ApplicationError(
            {"reason": _("Reason for the rejection: required, it is sent to the applicant.")}, code="reason"
        )
    with transaction.atomic(), audit_context(actor=actor, reason="decision", justification=reason):
        applications = list(
            Application.objects.select_for_update(of=("self",))
            .select_related("call", "applicant", "host_site")
            .prefetch_related(current_reviews())
            .filter(pk__in=decisions)
            .order_by("pk")
        )
        if len(applications) != len(decisions) or len({a.call_id for a in applications}) != 1:
            raise ApplicationError(_("Decide applications of one call at a time."))
        call = applications[0].call
        # Lock the call's row so two bulk decisions cannot both fill the last place.
        type(call).objects.select_for_update().get(pk=call.pk)
        criteria = criteria_of(call)
        for application in applications:
            if application.status not in (
                Application.Status.SUBMITTED,
                Application.Status.WAITLISTED,
                Application.Status.ACCEPTED,
                Application.Status.REJECTED,
            ):
                raise ApplicationError(
                    _("%(ref)s is %(status)s and cannot be decided.")
                    % {"ref": application.reference, "status": application.get_status_display()}
                )
            if decisions[application.pk] == "accepted" and application.is_eligible is False:
                raise ApplicationError(_("%(ref)s is not eligible.") % {"ref": application.reference})
            refusal = scoring.decision_refusal(
                decisions[application.pk],
                standing_of(application, criteria),
                threshold=call.threshold_percent,
                min_reviewers=call.min_reviewers,
            )
            if refusal:
                raise ApplicationError(
                    _("%(ref)s cannot be %(decision)s: %(reason)s.")
                    % {
                        "ref": application.reference,
                        "decision": DECISIONS[decisions[application.pk]].label,
                        "reason": refusal,
                    },
                    code="threshold",
                )
        others = call.applications.exclude(pk__in=decisions).filter(status=Application.Status.ACCEPTED)
        accepted = [a for a in applications if decisions[a.pk] == "accepted"]
        accepting = others.count() + len(accepted)
        if accepting > call.places:
            raise ApplicationError(
                _("The call has %(places)d places; this would accept %(n)d.") % {"places": call.places, "n": accepting},
                code="places",
            )
        other_nationals = others.filter(other_national=True).count() + sum(1 for a in accepted if a.other_national)
        if other_nationals > call.other_nationals_quota:
            raise ApplicationError(
                _("Only %(quota)d place(s) are for other nationals; this would use %(n)d.")
                % {"quota": call.other_nationals_quota, "n": other_nationals},
                code="quota",
            )
        now = timezone.now()
        for application in applications:
            status = DECISIONS[decisions[application.pk]]
            if application.status == status:
                continue
            if application.status == Application.Status.ACCEPTED and hasattr(application, "placement"):
                raise ApplicationError(
                    _("%(ref)s already has a placement; change it in the admin.") % {"ref": application.reference}
                )
            application.status = status
            application.decided_at = now
            application.decision_reason = reason if status == Application.Status.REJECTED else ""
            application.save(update_fields=["status", "decided_at", "decision_reason", "updated_at"])
            if status == Application.Status.ACCEPTED:
                assert application.host_site is not None and application.proposed_start and application.proposed_end
                Placement.objects.create(
                    application=application,
                    host_site=application.host_site,
                    start=application.proposed_start,
                    end=application.proposed_end,
                    report_due=report_due_for(application.proposed_end),
                )
            notify(
                kind=kinds.DECISION,
                recipients=[application.applicant],
                dedupe_key=f"fellowships.decision:{application.pk}:{status}",
                context={
                    "application": application,
                    "call": call,
                    "decision": application.get_status_display(),
                    "reason": application.decision_reason,
                },
                url=reverse("fellowships:application_status", args=[application.pk]),
            )
    return applications
