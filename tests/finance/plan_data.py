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
from tests.fellowships.factories import CallFactory, HostSiteFactory, ProgrammeFactory
from tests.governance.factories import BallotFactory, MemberStateFactory, MotionFactory

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

    version = plan_services.draft_version(
        actor=actor, title=kw.get("title", "Plan 2027-2031"), first_year=kw.get("first_year", 2027)
    )
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
Y2027 = dt.datetime(2027, 3, 1, 12, tzinfo=dt.UTC)


def build_year_2027(secretariat: Any) -> dict[str, Any]:
    """Germany, Italy and Malta called 60/30/10 M for 2027; German and Italian projects granted
    400,000 GPU-hours each at EUR 2.50 (used 200,000 and 300,000); fellows from Germany and Malta
    hosted by the Italian node; the plan in force funds that node and flagship compute."""
    states = {
        iso: MemberStateFactory(iso2=iso, name=name)
        for iso, name in [("DE", "Germany"), ("IT", "Italy"), ("MT", "Malta")]
    }
    calls_for(2027, {states["DE"]: 60 * M, states["IT"]: 30 * M, states["MT"]: 10 * M})
    period = gpu_period()
    plan_services.set_unit_cost(actor=secretariat, resource_id=period.resource_id, year=2027, cost_eur=GPU_HOUR)
    pi = UserFactory()
    for iso, used in [("DE", 200_000), ("IT", 300_000)]:
        project = Project.objects.create(code=f"p-{iso.lower()}", title=iso, pi=pi, home_state=states[iso])
        allocation(project, period, 400_000, start=dt.date(2027, 2, 1), used_hours=used)
    allocation(Project.objects.get(code="p-de"), period, 999_999, start=dt.date(2026, 6, 1))  # another year
    programme = ProgrammeFactory(name="Exchange programme")
    call = CallFactory(programme=programme)
    node = HostSiteFactory(name="Node Italy", country="IT")
    accepted_fellow(home="DE", host=node, decided=Y2027, call=call)
    accepted_fellow(home="MT", host=node, decided=Y2027, call=call)
    accepted_fellow(home="MT", host=node, decided=Y2027.replace(year=2026), call=call)  # another year
    plan_services.set_fellowship_cost(actor=secretariat, programme_id=programme.pk, year=2027, cost_cents=60_000_00)
    lines = {
        "node-it": plan_services.define_line(
            actor=secretariat, code="node-it", name="Node Italy", kind="node", state_id=states["IT"].pk
        ),
        "compute": plan_services.define_line(
            actor=secretariat, code="compute", name="Flagship compute", kind="compute"
        ),
        "fellows": plan_services.define_line(actor=secretariat, code="fellows", name="Fellowships", kind="fellowships"),
    }
    version = adopted_plan(
        secretariat,
        lines,
        {("node-it", 2027): 5 * M, ("compute", 2027): 3 * M, ("fellows", 2027): 20_000_000, ("compute", 2028): 4 * M},
    )
    return {"states": states, "version": version, "lines": lines}
