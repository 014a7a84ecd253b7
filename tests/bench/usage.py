"""Usage-shaped records for benchmarks: the 13 fields of design.md's sacct format, as sacct prints
them (strings), so the same records can be POSTed to the API and given to the F-copy floor."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

from .floors import SACCT_FIELDS

__all__ = ["SACCT_FIELDS", "sacct_text", "synthetic_records"]

_STATES = ["COMPLETED"] * 8 + ["FAILED", "TIMEOUT", "CANCELLED by 1000", "OUT_OF_MEMORY"]
_TRES = [
    "billing=8,cpu=8,gres/gpu=1,mem=64G,node=1",
    "billing=32,cpu=32,gres/gpu=4,mem=256G,node=1",
    "billing=64,cpu=64,gres/gpu=8,mem=512G,node=2",
    "billing=4,cpu=4,mem=16G,node=1",
]


def synthetic_records(
    n: int,
    *,
    cluster: str = "fox",
    accounts: Sequence[str] = ("proj-a", "proj-b", "proj-c"),
    first_job_id: int = 1,
    start: datetime = datetime(2026, 9, 1, tzinfo=UTC),
    seed: int = 42,
) -> Iterator[dict[str, str]]:
    """``n`` deterministic job allocations; job ids are ``first_job_id .. first_job_id + n - 1``."""
    rng = random.Random(seed)
    for i in range(n):
        job = first_job_id + i
        submit = start + timedelta(seconds=i * 7)
        began = submit + timedelta(seconds=rng.randint(0, 600))
        elapsed = rng.randint(60, 86_400)
        yield {
            "Cluster": cluster,
            "JobIDRaw": str(job),
            "JobID": str(job),
            "Account": accounts[i % len(accounts)],
            "User": f"user{i % 500}",
            "Partition": "gpu" if i % 4 else "cpu",
            "QOS": "normal",
            "State": _STATES[i % len(_STATES)],
            "Submit": submit.strftime("%Y-%m-%dT%H:%M:%S"),
            "Start": began.strftime("%Y-%m-%dT%H:%M:%S"),
            "End": (began + timedelta(seconds=elapsed)).strftime("%Y-%m-%dT%H:%M:%S"),
            "ElapsedRaw": str(elapsed),
            "AllocTRES": _TRES[i % len(_TRES)],
        }


def sacct_text(records: Sequence[dict[str, str]]) -> str:
    """The records as ``sacct --parsable2`` prints them, header line included."""
    lines = ["|".join(SACCT_FIELDS)]
    lines += ["|".join(r[f] for f in SACCT_FIELDS) for r in records]
    return "\n".join(lines) + "\n"
