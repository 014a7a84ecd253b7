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
from cernai.core.errors import Refusal
from cernai.core.notifications import notify

from .. import access_modes, charging, selectors
from ..models import (
    Allocation,
    AllocationCall,
    AllocationChange,
    AllocationRequest,
    Project,
    ProjectMembership,
    Resource,
    ResourcePeriod,
    Unit,
)
from .accounting import fire_thresholds, recompute_allocations
from .reviews import missing_reviews


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
    if renews is not None:
        if renews.project_id != project.pk or renews.resource_id != resource.pk:
            errors.setdefault("resource", []).append(_("A renewal is for the same project and resource."))
        if start <= renews.start:
            errors.setdefault("start", []).append(_("A renewal starts after the allocation it renews."))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(), audit_context(actor=submitted_by, reason="allocation requested"):
        return AllocationRequest.objects.create(
            kind=AllocationRequest.Kind.RENEWAL if renews else AllocationRequest.Kind.NEW,
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


def request_extension(
    *, allocation: Allocation, amount: int, end: date, justification: str, submitted_by: Any
) -> AllocationRequest:
    """Ask for more quota (``amount`` more, possibly 0) and/or more time (a later ``end``) on a running
    allocation; reviewed and decided like any request, under the allocation's access mode."""
    today = timezone.now().date()
    if allocation.end < today:
        raise Refusal(_("This allocation has ended; request a renewal instead."), code="ended")
    if amount < 0:
        raise Refusal(_("Ask for 0 or more."), code="amount", field="amount")
    if end < allocation.end:
        raise Refusal(
            _("The new end cannot be before the current end (%(end)s).") % {"end": allocation.end},
            code="end",
            field="end",
        )
    if amount == 0 and end == allocation.end:
        raise Refusal(_("Ask for more quota, more time, or both."), code="nothing")
    if end > allocation.period.end:
        raise Refusal(
            _("No capacity is defined for this resource after %(end)s.") % {"end": allocation.period.end},
            code="capacity",
            field="end",
        )
    problem = access_modes.duration_problem(allocation.access_mode, allocation.start, end)
    if problem:
        raise Refusal(problem, code="duration", field="end")
    if not justification.strip():
        raise Refusal(_("Say why the project needs it."), code="justification", field="justification")
    with transaction.atomic(), audit_context(actor=submitted_by, reason="extension requested"):
        Allocation.objects.select_for_update().get(pk=allocation.pk)  # one open extension at a time
        pending = AllocationRequest.objects.filter(
            renews=allocation,
            kind=AllocationRequest.Kind.EXTENSION,
            status__in=[AllocationRequest.Status.SUBMITTED, AllocationRequest.Status.IN_REVIEW],
        )
        if pending.exists():
            raise Refusal(_("An extension of this allocation is already waiting for a decision."), code="pending")
        return AllocationRequest.objects.create(
            kind=AllocationRequest.Kind.EXTENSION,
            call=None,
            project=allocation.project,
            resource=allocation.resource,
            amount=amount,
            start=allocation.start,
            end=end,
            justification=justification.strip(),
            renews=allocation,
            submitted_by=submitted_by,
        )


def _decided_notice(request: AllocationRequest, *, approved: bool, note: str, amount: int = 0) -> None:
    notify(
        kind="compute.request_decided",
        recipients=[request.project.pi, request.submitted_by],
        dedupe_key=f"compute.request_decided:{request.pk}",
        context={
            "project": request.project.code,
            "approved": approved,
            "kind": request.kind,
            "amount": amount,
            "end": request.end,
            "resource": str(request.resource),
            "note": note,
        },
        url=reverse("compute:project_detail", args=[request.project.code]),
    )


def _locked_open_request(request: AllocationRequest) -> AllocationRequest:
    locked = (
        AllocationRequest.objects.select_for_update(of=("self",))
        .select_related("call", "project__pi", "resource", "renews", "submitted_by")
        .get(pk=request.pk)
    )
    if locked.status in (AllocationRequest.Status.APPROVED, AllocationRequest.Status.REJECTED):
        raise Refusal(_("This request has already been decided."), code="status")
    return locked


def _not_enough_capacity(period: ResourcePeriod, grant: int) -> Refusal:
    return Refusal(
        _(
            "Not enough capacity: %(resource)s has %(available)d of %(capacity)d left for "
            "%(start)s to %(end)s; this grant needs %(grant)d."
        )
        % {
            "resource": period.resource,
            "available": period.available,
            "capacity": period.capacity,
            "start": period.start,
            "end": period.end,
            "grant": grant,
        },
        code="capacity",
        field="amount",
    )


def approve_request(
    *, request: AllocationRequest, actor: Any, amount: int | None = None, note: str = "", require_reviews: bool = True
) -> Allocation:
    """Grant the request (or ``amount`` of it) within the resource's capacity for the period.

    The capacity row is locked, so concurrent approvals are serialised and never exceed it (T12).
    An extension adds its amount and time to the allocation it extends instead of creating one.
    """
    with transaction.atomic(), audit_context(actor=actor, reason="allocation approved", justification=note):
        locked = _locked_open_request(request)
        if require_reviews and (missing := missing_reviews(locked)):
            raise Refusal(
                _("Reviews missing before a decision: %(kinds)s.")
                % {"kinds": ", ".join(str(access_modes.ReviewKind(k).label) for k in missing)},
                code="reviews",
            )
        grant = amount if amount is not None else locked.amount
        if grant < 0 or (grant == 0 and locked.kind != AllocationRequest.Kind.EXTENSION):
            raise Refusal(_("Grant a positive amount."), code="amount", field="amount")
        if locked.kind == AllocationRequest.Kind.EXTENSION:
            allocation = _extend(locked, grant=grant, actor=actor, note=note)
        else:
            allocation = _new_allocation(locked, grant=grant, actor=actor, note=note)
        locked.status = AllocationRequest.Status.APPROVED
        locked.decided_at = timezone.now()
        locked.decision_note = note
        locked.save(update_fields=["status", "decided_at", "decision_note"])
        _decided_notice(locked, approved=True, note=note, amount=grant)
        # Usage already reported for the project's account counts against the new grant at once.
        recompute_allocations([allocation.pk])
        fire_thresholds([allocation.pk])
    allocation.refresh_from_db()
    return allocation


def _new_allocation(locked: AllocationRequest, *, grant: int, actor: Any, note: str) -> Allocation:
    period = (
        ResourcePeriod.objects.select_for_update()
        .select_related("resource")
        .filter(resource=locked.resource, start__lte=locked.start, end__gte=locked.end)
        .order_by("start")
        .first()
    )
    if period is None:
        raise Refusal(_("No capacity is defined for this resource over the requested period."), code="capacity")
    if period.granted + grant > period.capacity:
        raise _not_enough_capacity(period, grant)
    ResourcePeriod.objects.filter(pk=period.pk).update(granted=F("granted") + grant)
    allocation = Allocation.objects.create(
        project=locked.project,
        period=period,
        resource=locked.resource,
        request=locked,
        renewal_of=locked.renews,
        access_mode=locked.access_mode,
        start=locked.start,
        end=locked.end,
        amount=grant,
    )
    AllocationChange.objects.create(
        allocation=allocation, kind=AllocationChange.Kind.GRANT, amount=grant, actor=actor, reason=note
    )
    return allocation


def _extend(locked: AllocationRequest, *, grant: int, actor: Any, note: str) -> Allocation:
    """More time (up to the end of the allocation's capacity period and its access mode) and quota."""
    allocation = Allocation.objects.select_for_update().get(renewal_requests=locked)
    period = ResourcePeriod.objects.select_for_update().select_related("resource").get(pk=allocation.period_id)
    end = max(locked.end, allocation.end)
    if end > period.end:
        raise Refusal(
            _("No capacity is defined for this resource after %(end)s.") % {"end": period.end},
            code="capacity",
            field="end",
        )
    problem = access_modes.duration_problem(allocation.access_mode, allocation.start, end)
    if problem:
        raise Refusal(problem, code="duration", field="end")
    if grant:
        _add_to_grant(allocation, period, grant, actor=actor, reason=note)
    if end != allocation.end:
        allocation.end = end
        allocation.status = Allocation.Status.ACTIVE if end >= timezone.now().date() else allocation.status
        allocation.save(update_fields=["end", "status"])
    return allocation


def reject_request(*, request: AllocationRequest, actor: Any, note: str) -> AllocationRequest:
    """Refuse the request, with the reason told to the PI."""
    note = note.strip()
    if not note:
        raise Refusal(_("Give the reason for the rejection; it is sent to the PI."), code="note", field="note")
    with transaction.atomic(), audit_context(actor=actor, reason="allocation rejected", justification=note):
        locked = _locked_open_request(request)
        locked.status = AllocationRequest.Status.REJECTED
        locked.decided_at = timezone.now()
        locked.decision_note = note
        locked.save(update_fields=["status", "decided_at", "decision_note"])
        _decided_notice(locked, approved=False, note=note)
    return locked


def top_up_allocation(*, allocation: Allocation, amount: int, actor: Any, reason: str = "") -> Allocation:
    """Add ``amount`` to a grant within capacity; latches above the new level are re-armed."""
    if amount <= 0:
        raise Refusal(_("A top-up must be positive."), code="amount", field="amount")
    with transaction.atomic(), audit_context(actor=actor, reason="allocation topped up", justification=reason):
        locked = Allocation.objects.select_for_update().get(pk=allocation.pk)
        period = ResourcePeriod.objects.select_for_update().select_related("resource").get(pk=locked.period_id)
        _add_to_grant(locked, period, amount, actor=actor, reason=reason)
    return locked


def _add_to_grant(locked: Allocation, period: ResourcePeriod, amount: int, *, actor: Any, reason: str) -> None:
    """Within the locked period's capacity; a latch stays set only while usage is at its level of the new grant."""
    if period.granted + amount > period.capacity:
        raise _not_enough_capacity(period, amount)
    ResourcePeriod.objects.filter(pk=period.pk).update(granted=F("granted") + amount)
    new_amount = locked.amount + amount
    used = locked.used_seconds
    locked.amount = new_amount
    if locked.resource.unit == Unit.STORAGE_TB:  # a quota: judged on the latest reported day's occupancy
        occupied = selectors.storage_use([locked])[locked.pk].occupied_bytes
        locked.latched_80 = charging.storage_fraction_reached(occupied, new_amount, 80)
        locked.latched_100 = charging.storage_fraction_reached(occupied, new_amount, 100)
    else:
        locked.latched_80 = charging.usage_fraction_reached(used, new_amount, 80)
        locked.latched_100 = charging.usage_fraction_reached(used, new_amount, 100)
    locked.arm_generation += 1
    locked.status = Allocation.Status.ACTIVE if locked.end >= timezone.now().date() else locked.status
    locked.save(update_fields=["amount", "latched_80", "latched_100", "arm_generation", "status"])
    AllocationChange.objects.create(
        allocation=locked, kind=AllocationChange.Kind.TOP_UP, amount=amount, actor=actor, reason=reason
    )


def move_allocation(*, allocation: Allocation, period: ResourcePeriod, actor: Any, reason: str) -> Allocation:
    """Book the allocation against another capacity period of the same resource that covers its dates
    and has room for it; both periods' granted totals move with it."""
    if not reason.strip():
        raise Refusal(_("Say why the allocation moves."), code="reason", field="reason")
    with transaction.atomic(), audit_context(actor=actor, reason="allocation moved", justification=reason):
        locked = Allocation.objects.select_for_update().get(pk=allocation.pk)
        # Both rows locked in id order, so two moves in opposite directions cannot deadlock.
        periods = {
            p.pk: p
            for p in ResourcePeriod.objects.select_for_update()
            .select_related("resource")
            .filter(pk__in=[locked.period_id, period.pk])
            .order_by("pk")
        }
        target = periods[period.pk]
        if target.pk == locked.period_id:
            return locked
        if target.resource_id != locked.resource_id:
            raise Refusal(
                _("That period is of %(other)s; this allocation is of %(resource)s and stays so.")
                % {"other": target.resource, "resource": periods[locked.period_id].resource},
                code="resource",
                field="period",
            )
        if not (target.start <= locked.start and locked.end <= target.end):
            raise Refusal(
                _("That period (%(start)s to %(end)s) does not cover the allocation's dates.")
                % {"start": target.start, "end": target.end},
                code="dates",
                field="period",
            )
        if target.granted + locked.amount > target.capacity:
            refusal = _not_enough_capacity(target, locked.amount)
            refusal.field = "period"
            raise refusal
        ResourcePeriod.objects.filter(pk=locked.period_id).update(granted=F("granted") - locked.amount)
        ResourcePeriod.objects.filter(pk=target.pk).update(granted=F("granted") + locked.amount)
        locked.period = target
        locked.save(update_fields=["period"])
    return locked


def create_period(*, resource: Any, start: Any, end: Any, capacity: int, actor: Any) -> ResourcePeriod:
    """Open a capacity period of ``resource``: it ends after it starts; nothing is granted yet."""
    if end < start:
        raise Refusal(_("A period cannot end before it starts."), code="dates", field="end")
    with transaction.atomic(), audit_context(actor=actor, reason="capacity period opened"):
        return ResourcePeriod.objects.create(resource=resource, start=start, end=end, capacity=capacity)


def set_period_capacity(*, period: ResourcePeriod, capacity: int, actor: Any, reason: str = "") -> ResourcePeriod:
    """Change what can be granted over a period; never below what is already granted."""
    with transaction.atomic(), audit_context(actor=actor, reason="capacity changed", justification=reason):
        locked = ResourcePeriod.objects.select_for_update().get(pk=period.pk)
        if capacity < locked.granted:
            raise Refusal(
                _("%(granted)d is already granted over this period; the capacity cannot be less.")
                % {"granted": locked.granted},
                code="capacity",
                field="capacity",
            )
        locked.capacity = capacity
        locked.save(update_fields=["capacity"])
    return locked
