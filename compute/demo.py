"""Demo data for compute, loaded by `manage.py seed_demo` (idempotent).

The flagship site with cluster ``fox`` (Europe/Oslo) and a national node with ``hb``
(Europe/Amsterdam), a site token derived from SECRET_KEY (so re-seeding keeps it), GPU, core and
storage resources, an open call, and the ``pi`` persona's project holding Slurm account ``ac10001``
on fox with an allocation charged by the real fox jobs of ``data/sacct/jobs.psv`` (a back-fill).

For a first try of the machine API, it also grants the project a development allocation running
now and writes ``var/demo/fox-this-month.psv``: the project's real fox jobs, re-numbered and moved
into the last hours (so they fall in an open month and inside that allocation). Posting that file
with the demo token stores and charges them; posting the shipped history stores nothing new (its
months are closed, most of its jobs are on other sites' clusters, and the fox ones are back-filled).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cernai.core.demo import demo_user
from governance.selectors import state_by_iso2

from . import charging, services
from .access_modes import AccessMode
from .models import (
    Allocation,
    AllocationCall,
    AllocationRequest,
    Cluster,
    ClusterLogin,
    Project,
    ProjectMembership,
    Resource,
    ResourcePeriod,
    Site,
    SiteToken,
    SlurmAccount,
    StorageUsage,
    Unit,
    UsageRecord,
)
from .services.tokens import TOKEN_PREFIX, hash_token

JOBS = Path(settings.BASE_DIR) / "data" / "sacct" / "jobs.psv"
LIVE_FILE = Path(settings.BASE_DIR) / "var" / "demo" / "fox-this-month.psv"
# Job ids of the live demo file start here, far above fox's real ones, so they are new records.
LIVE_JOB_ID_BASE = 900_000_000
STORAGE_FILE = Path(settings.BASE_DIR) / "var" / "demo" / "fox-storage-today.json"
# The demo project's storage on fox: 40 TB of its 50 TB quota, growing by 0.25 TB a day.
DEMO_STORAGE_BYTES = 40 * charging.BYTES_PER_TB
DEMO_STORAGE_GROWTH = charging.BYTES_PER_TB // 4
DEMO_ACCOUNT = "ac10001"
DEMO_LOGINS = ("uc-10001", "uc-10002", "uc-10008", "uc-10013", "uc-10018")


def demo_site_token() -> str:
    """The flagship's demo token: stable for one SECRET_KEY, so re-seeding prints the same one."""
    digest = hmac.new(settings.SECRET_KEY.encode(), b"cernai-compute-demo-site-token", hashlib.sha256).hexdigest()
    return f"{TOKEN_PREFIX}demo_{digest[:40]}"


def _site(slug: str, name: str, flagship: bool, cluster: str, tz: str) -> tuple[Site, Cluster]:
    site, _ = Site.objects.get_or_create(slug=slug, defaults={"name": name, "is_flagship": flagship})
    cluster_obj, _ = Cluster.objects.get_or_create(name=cluster, defaults={"site": site, "timezone": tz})
    return site, cluster_obj


def _period(cluster: Cluster, unit: str, name: str, capacity: int) -> ResourcePeriod:
    resource, _ = Resource.objects.get_or_create(cluster=cluster, unit=unit, defaults={"name": name})
    period, _ = ResourcePeriod.objects.get_or_create(
        resource=resource, start=date(2025, 1, 1), defaults={"end": date(2027, 12, 31), "capacity": capacity}
    )
    return period


def seed(personas: dict[str, Any]) -> list[tuple[str, str]]:
    """Create this app's demo records; return extra (label, value) lines to print."""
    staff = personas["secretariat"]
    pi = personas["pi"]
    flagship, fox = _site("flagship", "Flagship campus", True, "fox", "Europe/Oslo")
    _site("groningen", "National node Groningen", False, "hb", "Europe/Amsterdam")
    raw = demo_site_token()
    if not SiteToken.objects.filter(key_hash=hash_token(raw)).exists():
        services.create_site_token(site=flagship, label="demo slurmdbd on fox", actor=staff, raw=raw)

    gpu = _period(fox, Unit.GPU_HOURS, "fox GPU-hours", 400_000)
    cores = _period(fox, Unit.CORE_HOURS, "fox core-hours", 30_000_000)
    storage = _period(fox, Unit.STORAGE_TB, "fox project storage", 2_000)

    now = timezone.now()
    call, created = AllocationCall.objects.get_or_create(
        title="Development access (rolling)",
        defaults={
            "access_mode": AccessMode.DEVELOPMENT,
            "opens_at": now - timedelta(days=30),
            "cutoff_at": now + timedelta(days=365),
            "description": "Up to a year of GPU-hours to develop and test codes; technical review only.",
        },
    )
    if created:
        call.resources.set([gpu.resource, cores.resource])
    regular, created = AllocationCall.objects.get_or_create(
        title="Regular access 2025",
        defaults={
            "access_mode": AccessMode.REGULAR,
            "opens_at": datetime(2024, 11, 1, tzinfo=UTC),
            "cutoff_at": datetime(2025, 2, 1, tzinfo=UTC),
        },
    )
    if created:
        regular.resources.set([gpu.resource, cores.resource])

    member = demo_user(
        "member@cernai.example", "Mo Member", nationality="NO", home_country="NO", home_institution="University of Oslo"
    )
    project = Project.objects.filter(code="llm-alignment").first()
    if project is None:
        project = services.create_project(
            code="llm-alignment",
            title="Alignment of open language models",
            pi=pi,
            home_state=state_by_iso2(pi.home_country.code if pi.home_country else ""),
            actor=staff,
        )
    ProjectMembership.objects.get_or_create(project=project, user=member, defaults={"role": "member"})
    SlurmAccount.objects.get_or_create(project=project, cluster=fox, name=DEMO_ACCOUNT)
    for index, username in enumerate(DEMO_LOGINS):
        ClusterLogin.objects.get_or_create(
            cluster=fox, username=username, defaults={"user": pi if index == 0 else member}
        )

    if not Allocation.objects.filter(project=project).exists():
        with transaction.atomic():
            request = AllocationRequest.objects.create(
                call=regular,
                project=project,
                resource=gpu.resource,
                amount=350,
                start=date(2025, 3, 1),
                end=date(2026, 2, 28),
                justification="Fine-tuning and evaluation of 7B-parameter models.",
                submitted_by=pi,
            )
            services.approve_request(request=request, actor=staff, require_reviews=False, note="demo")

    if not UsageRecord.objects.filter(cluster=fox).exists():
        # The real fox history, back-filled by staff (its months are closed): booked late, audited.
        rows = charging.parse_sacct_text(JOBS.read_text(encoding="utf-8"))
        result = services.ingest_usage(records=[r for r in rows if r["Cluster"] == "fox"], site=None, staff_user=staff)
        # Account it now too (the enqueued task may wait for a worker; accounting is idempotent).
        if result.batch_id:
            services.account_batch(batch_id=result.batch_id)

    _live_allocation(call, gpu, project, pi, staff)
    live_file = write_live_file(timezone.now())
    storage_file = _live_storage(call, storage, project, pi, staff)
    return [
        ("Site token (flagship, cluster fox)", raw),
        (
            "Post usage",
            f"curl -H 'Authorization: Token {raw}' -H 'Content-Type: text/plain' "
            f"--data-binary @{live_file.relative_to(settings.BASE_DIR)} http://127.0.0.1:8000/api/v1/compute/usage/",
        ),
        (
            "Post storage",
            f"curl -H 'Authorization: Token {raw}' -H 'Content-Type: application/json' "
            f"--data-binary @{storage_file.relative_to(settings.BASE_DIR)} http://127.0.0.1:8000/api/v1/compute/storage/",
        ),
        ("Compute project of pi@cernai.example", "/compute/projects/llm-alignment/"),
    ]


def _live_allocation(call: AllocationCall, gpu: ResourcePeriod, project: Project, pi: Any, staff: Any) -> None:
    """A development allocation of the demo project running today, for the live demo file's jobs."""
    today = timezone.localdate()
    if Allocation.objects.filter(project=project, start__lte=today, end__gte=today).exists():
        return
    # From the 1st of yesterday's month: the live file's jobs reach up to a day back, into the previous
    # month during the first hours of a month, and must fall inside this allocation too.
    start = (today - timedelta(days=1)).replace(day=1)
    end = min(start + timedelta(days=364), gpu.end)
    request = AllocationRequest.objects.create(
        call=call,
        project=project,
        resource=gpu.resource,
        amount=500,
        start=start,
        end=end,
        justification="Development runs for the alignment evaluation suite.",
        submitted_by=pi,
    )
    services.approve_request(request=request, actor=staff, require_reviews=False, note="demo")


def _live_storage(call: AllocationCall, storage: ResourcePeriod, project: Project, pi: Any, staff: Any) -> Path:
    """A 50 TB storage allocation of the demo project running this month, the last days of its
    occupancy on fox (stored as the site would report them), and today's report as a file to post."""
    today = timezone.now().astimezone(ZoneInfo("Europe/Oslo")).date()
    allocation = Allocation.objects.filter(
        project=project, resource=storage.resource, start__lte=today, end__gte=today
    ).first()
    if allocation is None:
        start = today.replace(day=1)
        request = AllocationRequest.objects.create(
            call=call,
            project=project,
            resource=storage.resource,
            amount=50,
            start=start,
            end=min(start + timedelta(days=364), storage.end),
            justification="Checkpoints and evaluation datasets of the alignment suite.",
            submitted_by=pi,
        )
        allocation = services.approve_request(request=request, actor=staff, require_reviews=False, note="demo")
    stored = set(
        StorageUsage.objects.filter(cluster=storage.resource.cluster, account=DEMO_ACCOUNT).values_list(
            "day", flat=True
        )
    )
    days = [allocation.start + timedelta(days=n) for n in range((today - allocation.start).days)]
    days = [d for d in days if d not in stored]  # seeding again adds nothing

    def occupancy(day: date) -> int:
        return DEMO_STORAGE_BYTES + DEMO_STORAGE_GROWTH * (day - allocation.start).days

    reports = [{"cluster": "fox", "account": DEMO_ACCOUNT, "date": str(d), "used_bytes": occupancy(d)} for d in days]
    if reports:
        services.ingest_storage(reports=reports, site=None, staff_user=staff)
    today_report = {"cluster": "fox", "account": DEMO_ACCOUNT, "date": str(today), "used_bytes": occupancy(today)}
    STORAGE_FILE.parent.mkdir(parents=True, exist_ok=True)
    STORAGE_FILE.write_text(json.dumps({"reports": [today_report]}, indent=2) + "\n", encoding="utf-8")
    return STORAGE_FILE


def write_live_file(now: datetime) -> Path:
    """Write the demo project's real fox jobs, moved to end within the hours before ``now``.

    Each job keeps its account, user, partition, state and resources (AllocTRES) and its runtime
    up to 50 minutes; job ids are re-numbered from ``LIVE_JOB_ID_BASE`` so they are new records, and
    the jobs end one after another in the hours before ``now`` (all in the open month unless it is
    the first hours of a month, when a job's charge is split across the months as rules §3 says).
    """
    lines = JOBS.read_text(encoding="utf-8").splitlines()
    header, jobs = lines[0], [line.split("|") for line in lines[1:]]
    fields = header.split("|")
    col = {name: fields.index(name) for name in ("Cluster", "JobIDRaw", "JobID", "Account", "State")}
    col.update({name: fields.index(name) for name in ("Submit", "Start", "End", "ElapsedRaw")})
    mine = [j for j in jobs if j[col["Cluster"]] == "fox" and j[col["Account"]] == DEMO_ACCOUNT]
    mine = [j for j in mine if j[col["State"]] != "RUNNING"]
    local = now.astimezone(ZoneInfo("Europe/Oslo")).replace(minute=0, second=0, microsecond=0, tzinfo=None)
    out = [header]
    for index, job in enumerate(mine):
        elapsed = min(int(job[col["ElapsedRaw"]] or 0), 50 * 60)
        end = local - timedelta(hours=index)
        start = end - timedelta(seconds=elapsed)
        job = list(job)
        job[col["JobIDRaw"]] = job[col["JobID"]] = str(LIVE_JOB_ID_BASE + index)
        job[col["Submit"]] = job[col["Start"]] = start.isoformat(timespec="seconds")
        job[col["End"]] = end.isoformat(timespec="seconds")
        job[col["ElapsedRaw"]] = str(elapsed)
        out.append("|".join(job))
    LIVE_FILE.parent.mkdir(parents=True, exist_ok=True)
    LIVE_FILE.write_text("\n".join(out) + "\n", encoding="utf-8")
    return LIVE_FILE
