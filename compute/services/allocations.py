"""Projects, allocation requests, reviews, approvals (never beyond capacity) and top-ups."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cernai.core.audit import audit_context
from cernai.core.notifications import notify

from .. import access_modes, charging
from ..models import (
    Allocation,
    AllocationCall,
    AllocationChange,
    AllocationRequest,
    Project,
    ProjectMembership,
    RequestReview,
    Resource,
    ResourcePeriod,
)
from .accounting import fire_thresholds, recompute_allocations


def create_project(*, code: str, title: str, pi: Any, home_state: Any = None, actor: Any = None) -> Project:
    """Create a project led by ``pi``."""
    with transaction.atomic(), audit_context(actor=actor, reason="project created"):
        project = Project.objects.create(code=code, title=title, pi=pi, home_state=home_state)
        ProjectMembership.objects.create(project=project, user=pi, role=ProjectMembership.Role.MANAGER)
    return project


def submit_request(
    *,
    call: AllocationCall,
    project: Project,
    resource: Resource,
    amount: int,
    start: date,
    end: date,
    justification: str,
    submitted_by: Any,
    renews: Allocation | None = None,
    now: Any = None,
) -> AllocationRequest:
    """Submit a request to an open call, for a period that fits the call's access mode."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    if not (call.opens_at <= now < call.cutoff_at):
        errors.setdefault("call", []).append(_("This call is not open: requests are taken until its cut-off."))
    if not call.resources.filter(pk=resource.pk).exists():
        errors.setdefault("resource", []).append(_("This call does not offer that resource."))
    problem = access_modes.duration_problem(call.access_mode, start, end)
    if problem:
        errors.setdefault("end", []).append(problem)
    if amount <= 0:
        errors.setdefault("amount", []).append(_("Ask for a positive amount."))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(), audit_context(actor=submitted_by, reason="allocation requested"):
        return AllocationRequest.objects.create(
            call=call,
            project=project,
            resource=resource,
            amount=amount,
            start=start,
            end=end,
            justification=justification,
            submitted_by=submitted_by,
            renews=renews,
        )


def add_review(
    *,
    request: AllocationRequest,
    reviewer: Any,
    kind: str,
    verdict: str,
    score: Any = None,
    comment: str = "",
) -> RequestReview:
    """Record a technical or scientific review; the request moves to "in review"."""
    if kind not in access_modes.required_reviews(request.call.access_mode):
        raise ValidationError({"kind": [_("This access mode does not use that kind of review.")]})
    if reviewer.pk == request.project.pi_id or request.project.memberships.filter(user=reviewer).exists():
        raise ValidationError({"reviewer": [_("A member of the project cannot review its request.")]})
    with transaction.atomic(), audit_context(actor=reviewer, reason=f"{kind} review"):
        locked = AllocationRequest.objects.select_for_update().get(pk=request.pk)
        if locked.status not in (AllocationRequest.Status.SUBMITTED, AllocationRequest.Status.IN_REVIEW):
            raise ValidationError(_("This request has already been decided."))
        review, _created = RequestReview.objects.update_or_create(
            request=locked,
            reviewer=reviewer,
            kind=kind,
            defaults={"verdict": verdict, "score": score, "comment": comment},
        )
        if locked.status == AllocationRequest.Status.SUBMITTED:
            locked.status = AllocationRequest.Status.IN_REVIEW
            locked.save(update_fields=["status"])
    return review


def missing_reviews(request: AllocationRequest) -> list[str]:
    """The review kinds the request's access mode needs and does not have yet."""
    done = set(request.reviews.values_list("kind", flat=True))
    return [kind for kind in access_modes.required_reviews(request.call.access_mode) if kind not in done]


def approve_request(
    *, request: AllocationRequest, actor: Any, amount: int | None = None, note: str = "", require_reviews: bool = True
) -> Allocation:
    """Grant the request (or ``amount`` of it) within the resource's capacity for the period.

    The capacity row is locked, so concurrent approvals are serialised and never exceed it (T12).
    """
    with transaction.atomic(), audit_context(actor=actor, reason="allocation approved"):
        locked = (
            AllocationRequest.objects.select_for_update()
            .select_related("call", "project", "resource")
            .get(pk=request.pk)
        )
        if locked.status in (AllocationRequest.Status.APPROVED, AllocationRequest.Status.REJECTED):
            raise ValidationError(_("This request has already been decided."))
        if require_reviews and (missing := missing_reviews(locked)):
            raise ValidationError(
                _("Reviews missing before a decision: %(kinds)s.")
                % {"kinds": ", ".join(str(access_modes.ReviewKind(k).label) for k in missing)}
            )
        grant = amount if amount is not None else locked.amount
        if grant <= 0:
            raise ValidationError({"amount": [_("Grant a positive amount.")]})
        period = (
            ResourcePeriod.objects.select_for_update()
            .filter(resource=locked.resource, start__lte=locked.start, end__gte=locked.end)
            .order_by("start")
            .first()
        )
        if period is None:
            raise ValidationError(_("No capacity is defined for this resource over the requested period."))
        if period.granted + grant > period.capacity:
            raise ValidationError(
                _(
                    "Not enough capacity: %(resource)s has %(available)d of %(capacity)d left for "
                    "%(start)s to %(end)s; this grant needs %(grant)d."
                )
                % {
                    "resource": locked.resource,
                    "available": period.available,
                    "capacity": period.capacity,
                    "start": period.start,
                    "end": period.end,
                    "grant": grant,
                }
            )
        ResourcePeriod.objects.filter(pk=period.pk).update(granted=F("granted") + grant)
        allocation = Allocation.objects.create(
            project=locked.project,
            period=period,
            resource=locked.resource,
            request=locked,
            renewal_of=locked.renews,
            access_mode=locked.call.access_mode,
            start=locked.start,
            end=locked.end,
            amount=grant,
        )
        AllocationChange.objects.create(
            allocation=allocation, kind=AllocationChange.Kind.GRANT, amount=grant, actor=actor, reason=note
        )
        locked.status = AllocationRequest.Status.APPROVED
        locked.decided_at = timezone.now()
        locked.decision_note = note
        locked.save(update_fields=["status", "decided_at", "decision_note"])
        notify(
            kind="compute.request_decided",
            recipients=[locked.project.pi, locked.submitted_by],
            dedupe_key=f"compute.request_decided:{locked.pk}",
            context={
                "project": locked.project.code,
                "approved": True,
                "amount": grant,
                "resource": str(locked.resource),
            },
            url=reverse("compute:project_detail", args=[locked.project.code]),
        )
        # Usage already reported for the project's account counts against the new grant at once.
        recompute_allocations([allocation.pk])
        fire_thresholds([allocation.pk])
    allocation.refresh_from_db()
    return allocation


def reject_request(*, request: AllocationRequest, actor: Any, note: str) -> AllocationRequest:
    """Refuse the request, with the reason told to the PI."""
    with transaction.atomic(), audit_context(actor=actor, reason="allocation rejected"):
        locked = AllocationRequest.objects.select_for_update().select_related("project").get(pk=request.pk)
        if locked.status in (AllocationRequest.Status.APPROVED, AllocationRequest.Status.REJECTED):
            raise ValidationError(_("This request has already been decided."))
        locked.status = AllocationRequest.Status.REJECTED
        locked.decided_at = timezone.now()
        locked.decision_note = note
        locked.save(update_fields=["status", "decided_at", "decision_note"])
        notify(
            kind="compute.request_decided",
            recipients=[locked.project.pi, locked.submitted_by],
            dedupe_key=f"compute.request_decided:{locked.pk}",
            context={"project": locked.project.code, "approved": False, "note": note},
            url=reverse("compute:project_detail", args=[locked.project.code]),
        )
    return locked


def top_up_allocation(*, allocation: Allocation, amount: int, actor: Any, reason: str = "") -> Allocation:
    """Add ``amount`` to a grant within capacity; latches above the new level are re-armed."""
    if amount <= 0:
        raise ValidationError({"amount": [_("A top-up must be positive.")]})
    with transaction.atomic(), audit_context(actor=actor, reason="allocation topped up"):
        locked = Allocation.objects.select_for_update().get(pk=allocation.pk)
        period = ResourcePeriod.objects.select_for_update().get(pk=locked.period_id)
        if period.granted + amount > period.capacity:
            raise ValidationError(
                _("Not enough capacity: %(available)d left, the top-up needs %(amount)d.")
                % {"available": period.available, "amount": amount}
            )
        ResourcePeriod.objects.filter(pk=period.pk).update(granted=F("granted") + amount)
        new_amount = locked.amount + amount
        used = locked.used_seconds
        locked.amount = new_amount
        # Re-arm: a latch stays set only while usage is still at or above its level of the new grant.
        locked.latched_80 = charging.usage_fraction_reached(used, new_amount, 80)
        locked.latched_100 = charging.usage_fraction_reached(used, new_amount, 100)
        locked.arm_generation += 1
        locked.status = Allocation.Status.ACTIVE if locked.end >= timezone.now().date() else locked.status
        locked.save(update_fields=["amount", "latched_80", "latched_100", "arm_generation", "status"])
        AllocationChange.objects.create(
            allocation=locked, kind=AllocationChange.Kind.TOP_UP, amount=amount, actor=actor, reason=reason
        )
    return locked
