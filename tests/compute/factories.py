"""Factories and builders of compute test data."""

from __future__ import annotations

from datetime import UTC, date, timedelta
from typing import Any

from django.utils import timezone

from compute import services
from compute.access_modes import AccessMode
from compute.models import (
    AllocationCall,
    Cluster,
    ClusterLogin,
    Project,
    Resource,
    ResourcePeriod,
    Site,
    SlurmAccount,
    Unit,
)
from tests.factories import UserFactory

FIELDS = (
    "Cluster",
    "JobIDRaw",
    "JobID",
    "Account",
    "User",
    "Partition",
    "QOS",
    "State",
    "Submit",
    "Start",
    "End",
    "ElapsedRaw",
    "AllocTRES",
)


def make_site(slug: str, clusters: dict[str, str]) -> Site:
    site, _ = Site.objects.get_or_create(slug=slug, defaults={"name": slug.title(), "is_flagship": slug == "flagship"})
    for name, tz in clusters.items():
        Cluster.objects.get_or_create(name=name, defaults={"site": site, "timezone": tz})
    return site


def make_project(
    *, code: str, pi: Any, cluster: Cluster, account: str, logins: tuple[str, ...] = ("alice",), home_state: Any = None
) -> Project:
    project = services.create_project(code=code, title=f"Project {code}", pi=pi, home_state=home_state)
    SlurmAccount.objects.create(project=project, cluster=cluster, name=account)
    for username in logins:
        user = pi if username == logins[0] else UserFactory()
        ClusterLogin.objects.get_or_create(cluster=cluster, username=username, defaults={"user": user})
    return project


def make_resource(cluster: Cluster, *, unit: str = Unit.GPU_HOURS, capacity: int = 100_000) -> ResourcePeriod:
    resource, _ = Resource.objects.get_or_create(
        cluster=cluster, unit=unit, defaults={"name": f"{cluster.name} {Unit(unit).label}"}
    )
    year = timezone.now().year
    period, _ = ResourcePeriod.objects.get_or_create(
        resource=resource, start=date(year - 2, 1, 1), defaults={"end": date(year + 2, 12, 31), "capacity": capacity}
    )
    return period


def make_call(resources: list[Resource], *, mode: str = AccessMode.DEVELOPMENT) -> AllocationCall:
    now = timezone.now()
    call = AllocationCall.objects.create(
        title=f"{mode} call", access_mode=mode, opens_at=now - timedelta(days=10), cutoff_at=now + timedelta(days=30)
    )
    call.resources.set(resources)
    return call


def grant(
    project: Project,
    period: ResourcePeriod,
    amount: int,
    *,
    actor: Any,
    start: date | None = None,
    end: date | None = None,
) -> Any:
    """A development allocation of ``amount`` approved through the services (with its technical review)."""
    call = make_call([period.resource])
    start = start or timezone.now().date() - timedelta(days=40)
    end = end or start + timedelta(days=364)
    request = services.submit_request(
        call=call,
        project=project,
        resource=period.resource,
        amount=amount,
        start=start,
        end=end,
        justification="science",
        submitted_by=project.pi,
    )
    return services.approve_request(request=request, actor=actor, require_reviews=False)


def job(**overrides: Any) -> dict[str, str]:
    """One sacct record: fox, account ec85, user alice, 4 GPUs for 9000 s on the 1st of an open month:
    this month, or the last one on the 1st itself (until its end has passed: records from the future
    are refused, and last month stays open for some days)."""
    now = timezone.now().astimezone(UTC)
    month = (now if now.day > 1 else now - timedelta(days=1)).strftime("%Y-%m")
    base = {
        "Cluster": "fox",
        "JobIDRaw": "1001",
        "JobID": "1001",
        "Account": "ec85",
        "User": "alice",
        "Partition": "accel",
        "QOS": "normal",
        "State": "COMPLETED",
        "Submit": f"{month}-01T09:00:00",
        "Start": f"{month}-01T10:00:00",
        "End": f"{month}-01T12:30:00",
        "ElapsedRaw": "9000",
        "AllocTRES": "billing=8,cpu=8,gres/gpu=4,mem=32G,node=1",
    }
    base.update({k: str(v) for k, v in overrides.items()})
    return base


def jobs(n: int, *, start_id: int = 100000, **overrides: Any) -> list[dict[str, str]]:
    return [job(JobIDRaw=str(start_id + i), JobID=str(start_id + i), **overrides) for i in range(n)]


def as_sacct_text(records: list[dict[str, str]]) -> str:
    return "\n".join(["|".join(FIELDS), *("|".join(r[f] for f in FIELDS) for r in records)]) + "\n"
