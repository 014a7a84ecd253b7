"""Every write of the medium-term plan: lines, draft versions and their envelopes, the budget motion
a draft is attached to, its adoption when that motion is adopted, and the unit costs that value
execution.

Each service is one transaction with its audit context; refusals are ``Refusal`` naming the field.
A version is edited only as a draft; once adopted it is fixed (a change is a new version).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cernai.core.audit import audit_context
from cernai.core.errors import Refusal
from governance.models import Motion

from .plan_models import DEFAULT_PLAN_YEARS, Envelope, FellowshipCost, PlanLine, PlanVersion, UnitCost
from .services import MAX_CENTS, _check_year, _positive

MAX_PLAN_YEARS = 10


def define_line(
    *,
    actor: Any,
    code: str,
    name: str,
    kind: str,
    state_id: int | None = None,
    site_id: int | None = None,
    programme_id: int | None = None,
    node_id: int | None = None,
) -> PlanLine:
    """A new line of the plan (a national node names its state, or its node of the registry)."""
    if kind not in PlanLine.Kind.values:
        raise Refusal(_("“%(kind)s” is not a kind of plan line") % {"kind": kind}, code="kind", field="kind")
    if node_id is not None:
        from nodes.models import Node

        node_state = Node.objects.values_list("state_id", flat=True).get(pk=node_id)
        if state_id is not None and state_id != node_state:
            raise Refusal(_("the node is in another state"), code="state", field="state")
        state_id = node_state
    if kind == PlanLine.Kind.NODE and state_id is None:
        raise Refusal(_("a national node line names its state"), code="state", field="state")
    if PlanLine.objects.filter(code=code).exists():
        raise Refusal(_("the code %(code)s is already used") % {"code": code}, code="code", field="code")
    with transaction.atomic(), audit_context(actor=actor, reason="define plan line"):
        return PlanLine.objects.create(
            code=code,
            name=name,
            kind=kind,
            state_id=state_id,
            site_id=site_id,
            programme_id=programme_id,
            node_id=node_id,
        )


def draft_version(
    *,
    actor: Any,
    title: str,
    first_year: int,
    years: int = DEFAULT_PLAN_YEARS,
    based_on_id: int | None = None,
) -> PlanVersion:
    """A new draft for ``years`` years from ``first_year``; started from ``based_on``'s envelopes
    for the years both cover, so the secretariat changes only what changes."""
    _check_year(first_year, field="first_year")
    if not 1 <= years <= MAX_PLAN_YEARS:
        raise Refusal(
            _("a plan covers 1 to %(max)s years, not %(years)s") % {"max": MAX_PLAN_YEARS, "years": years},
            code="years",
            field="years",
        )
    last_year = first_year + years - 1
    with transaction.atomic(), audit_context(actor=actor, reason="draft plan version"):
        version = PlanVersion.objects.create(
            title=title.strip() or _("Medium-term plan %(first)s–%(last)s") % {"first": first_year, "last": last_year},  # noqa: RUF001
            first_year=first_year,
            last_year=last_year,
            based_on_id=based_on_id,
            created_by=actor,
        )
        if based_on_id is not None:
            Envelope.objects.bulk_create(
                Envelope(version=version, line_id=e.line_id, year=e.year, amount_cents=e.amount_cents)
                for e in Envelope.objects.filter(
                    version_id=based_on_id, year__gte=first_year, year__lte=last_year
                ).only("line_id", "year", "amount_cents")
            )
    return version


def _draft_locked(version_id: int) -> PlanVersion:
    version = PlanVersion.objects.select_for_update().get(pk=version_id)
    if version.status != PlanVersion.Status.DRAFT:
        raise Refusal(
            _("%(version)s is adopted: draft a new version to change it") % {"version": version},
            code="status",
            field="version",
        )
    return version


def set_envelope(*, actor: Any, version_id: int, line_id: int, year: int, amount_cents: int) -> Envelope:
    """Set a draft's envelope for a line and a year (replacing the amount there was)."""
    if amount_cents < 0:
        raise Refusal(_("an envelope cannot be negative"), code="amount", field="amount_cents")
    if amount_cents >= MAX_CENTS:
        raise Refusal(_("the amount is implausibly large"), code="amount", field="amount_cents")
    with transaction.atomic(), audit_context(actor=actor, reason="set envelope"):
        version = _draft_locked(version_id)
        if not version.first_year <= year <= version.last_year:
            raise Refusal(
                _("%(year)s is outside the years of this version (%(first)s–%(last)s)")  # noqa: RUF001
                % {"year": year, "first": version.first_year, "last": version.last_year},
                code="year",
                field="year",
            )
        envelope, _created = Envelope.objects.update_or_create(
            version=version, line_id=line_id, year=year, defaults={"amount_cents": amount_cents}
        )
        return envelope


def check_budget_motion(motion: Motion) -> None:
    """A plan is attached to a budget motion that can still be voted on."""
    if motion.kind != Motion.Kind.BUDGET:
        raise Refusal(
            _("A plan is adopted by a budget motion; %(motion)s is of another kind.") % {"motion": motion.title},
            code="motion_kind",
            field="motion",
        )
    if motion.status in (Motion.Status.REJECTED, Motion.Status.WITHDRAWN):
        raise Refusal(
            _("%(motion)s was %(status)s.") % {"motion": motion.title, "status": motion.get_status_display()},
            code="motion_status",
            field="motion",
        )


def attach_motion(*, actor: Any, version_id: int, motion_id: int | None) -> PlanVersion:
    """Attach a draft to the budget motion whose adoption puts it in force (or detach it: None)."""
    with transaction.atomic(), audit_context(actor=actor, reason="attach plan to motion"):
        version = _draft_locked(version_id)
        if motion_id is not None:
            motion = Motion.objects.get(pk=motion_id)
            check_budget_motion(motion)
            if motion.status == Motion.Status.ADOPTED:
                raise Refusal(
                    _("%(motion)s is already adopted: attach the plan before the ballot.") % {"motion": motion.title},
                    code="motion_status",
                    field="motion",
                )
        version.motion_id = motion_id
        version.save(update_fields=["motion"])
    return version


def motion_adopted(*, motion: Motion, now: dt.datetime | None = None) -> list[PlanVersion]:
    """Called when a motion's adoption is published (governance.services.publish_result, inside its
    transaction): the draft plan versions attached to it are adopted and the latest is in force."""
    if motion.kind != Motion.Kind.BUDGET:
        return []
    adopted = []
    for version in PlanVersion.objects.select_for_update().filter(motion=motion, status=PlanVersion.Status.DRAFT):
        version.status = PlanVersion.Status.ADOPTED
        version.adopted_at = now or timezone.now()
        version.save(update_fields=["status", "adopted_at"])
        adopted.append(version)
    return adopted


# --- unit costs -----------------------------------------------------------------------------------


def parse_unit_cost(text: str, *, field: str = "cost_eur") -> Decimal:
    """A unit cost in euros with up to four decimals (``"1.2345"``), never through a float."""
    try:
        cost = Decimal(text.strip())
        exact = cost.is_finite() and cost == cost.quantize(Decimal("0.0001"))
    except (InvalidOperation, AttributeError):
        raise Refusal(
            _("“%(value)s” is not an amount in euros") % {"value": text}, code="amount", field=field
        ) from None
    if not exact:
        raise Refusal(_("“%(value)s” has more than four decimals") % {"value": text}, code="amount", field=field)
    if cost <= 0:
        raise Refusal(_("the amount must be positive"), code="amount", field=field)
    if cost >= Decimal(10) ** 10:
        raise Refusal(_("the amount is implausibly large"), code="amount", field=field)
    return cost


def set_unit_cost(*, actor: Any, resource_id: int, year: int, cost_eur: Decimal) -> UnitCost:
    """Record what one unit of a resource costs in a year (once per resource and year)."""
    _check_year(year)
    if not isinstance(cost_eur, Decimal) or cost_eur <= 0:
        raise Refusal(_("the amount must be positive"), code="amount", field="cost_eur")
    already = _("the unit cost of this resource for %(year)s is already recorded") % {"year": year}
    if UnitCost.objects.filter(resource_id=resource_id, year=year).exists():
        raise Refusal(already, code="duplicate", field="year")
    try:
        with transaction.atomic(), audit_context(actor=actor, reason="set unit cost"):
            return UnitCost.objects.create(resource_id=resource_id, year=year, cost_eur=cost_eur)
    except IntegrityError:
        raise Refusal(already, code="duplicate", field="year") from None


def set_fellowship_cost(*, actor: Any, programme_id: int, year: int, cost_cents: int) -> FellowshipCost:
    """Record what one accepted fellowship of a programme costs in a year (once per programme and year)."""
    _check_year(year)
    _positive(cost_cents, field="cost_cents")
    already = _("the cost of this programme for %(year)s is already recorded") % {"year": year}
    if FellowshipCost.objects.filter(programme_id=programme_id, year=year).exists():
        raise Refusal(already, code="duplicate", field="year")
    try:
        with transaction.atomic(), audit_context(actor=actor, reason="set fellowship cost"):
            return FellowshipCost.objects.create(programme_id=programme_id, year=year, cost_cents=cost_cents)
    except IntegrityError:
        raise Refusal(already, code="duplicate", field="year") from None
