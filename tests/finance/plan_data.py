"""Builders of medium-term plan test data: a budget motion whose ballot adopted it, an adopted plan,
and a year of activity (calls, allocations, accepted fellows) for the fair-return board."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from compute.access_modes import AccessMode
from compute.models import Allocation, Cluster, Project, Resource, ResourcePeriod, Site, Unit
from fellowships.models import Application, HostSite
from finance import plan_services
from finance.models import Call
from finance.plan_models import PlanLine, PlanVersion
from governance.models import Ballot, MemberState, Motion
from tests.factories import UserFactory
from tests.fellowships.factories import CallFactory, ProgrammeFactory
from tests.governance.factories import BallotFactory, MotionFactory

M = 100_000_000  # one million euros, in cents


def budget_motion(
    title: str = "Budget 2027 and medium-term plan", *, ballot_status: str = Ballot.Status.CLOSED
) -> Motion:
    """A budget motion with a closed ballot that adopted it (its result not yet published)."""
    motion = MotionFactory(title=title, kind=Motion.Kind.BUDGET, status=Motion.Status.TABLED)
    BallotFactory(motion=motion, status=ballot_status, outcome=Ballot.Outcome.ADOPTED, yes=20, no=3)
    return motion


def adopted_plan(
    actor: Any, lines: dict[str, PlanLine], envelopes: dict[tuple[str, int], int], **kw: Any
) -> PlanVersion:
    """A plan version with ``envelopes`` (line code, year -> cents), adopted through its motion."""
    from governance import services as governance_services

    version = plan_services.draft_version(actor=actor, title=kw.get("title", "Plan 2027-2031"), first_year=2027)
    for (code, year), cents in envelopes.items():
        plan_services.set_envelope(
            actor=actor, version_id=version.pk, line_id=lines[code].pk, year=year, amount_cents=cents
        )
    motion = budget_motion(kw.get("motion", "Budget 2027"))
    plan_services.attach_motion(actor=actor, version_id=version.pk, motion_id=motion.pk)
    governance_services.publish_result(actor=actor, ballot_id=motion.ballots.get().pk)
    version.refresh_from_db()
    return version


def allocation(
    project: Project, period: ResourcePeriod, amount: int, *, start: dt.date, used_hours: int = 0
) -> Allocation:
    return Allocation.objects.create(
        project=project,
        period=period,
        resource=period.resource,
        access_mode=AccessMode.DEVELOPMENT,
        start=start,
        end=start + dt.timedelta(days=300),
        amount=amount,
        used_seconds=used_hours * 3600,
    )


def gpu_period(slug: str = "flagship") -> ResourcePeriod:
    site, _ = Site.objects.get_or_create(slug=slug, defaults={"name": slug.title(), "is_flagship": slug == "flagship"})
    cluster, _ = Cluster.objects.get_or_create(name=f"{slug}-gpu", defaults={"site": site})
    resource, _ = Resource.objects.get_or_create(
        cluster=cluster, unit=Unit.GPU_HOURS, defaults={"name": f"{slug} GPU-hours"}
    )
    period, _ = ResourcePeriod.objects.get_or_create(
        resource=resource, start=dt.date(2026, 1, 1), defaults={"end": dt.date(2030, 12, 31), "capacity": 10**9}
    )
    return period


def accepted_fellow(*, home: str, host: HostSite, decided: dt.datetime, call: Any = None) -> Application:
    return Application.objects.create(
        call=call or CallFactory(programme=ProgrammeFactory()),
        applicant=UserFactory(),
        status=Application.Status.ACCEPTED,
        decided_at=decided,
        home_country=home,
        host_site=host,
    )


def calls_for(year: int, amounts: dict[MemberState, int]) -> None:
    Call.objects.bulk_create(
        Call(state=s, year=year, amount_cents=c, issued_on=dt.date(year, 1, 1), due_on=dt.date(year, 4, 1))
        for s, c in amounts.items()
    )


GPU_HOUR = Decimal("2.5000")
