"""Finance fixtures: six member states with NNI statistics, an associate, and the ways to reach an
adopted scale (a two-thirds-of-all motion whose ballot adopted it)."""

from __future__ import annotations

from typing import Any

import pytest

from governance.models import Ballot, MemberState, Motion
from tests.governance.factories import BallotFactory, MemberStateFactory, MotionFactory

M = 100_000_000  # one million euros, in cents

# NNI in EUR millions for 2021-2023 (scale years 2024-2026): Germany is above the 20 % ceiling.
NNI = {
    "DE": ("Germany", [3000, 3100, 3200]),
    "FR": ("France", [2300, 2400, 2500]),
    "IT": ("Italy", [1700, 1750, 1800]),
    "ES": ("Spain", [1100, 1150, 1200]),
    "NL": ("Netherlands", [800, 820, 840]),
    "MT": ("Malta", [10, 11, 12]),
}


@pytest.fixture
def states(db: Any) -> dict[str, MemberState]:
    return {iso: MemberStateFactory(iso2=iso, name=name) for iso, (name, _values) in NNI.items()}


@pytest.fixture
def nni_csv() -> str:
    lines = ["state,year,nni_eur,source"]
    for iso, (_name, values) in NNI.items():
        lines += [f"{iso},{2021 + i},{v * 1_000_000}.00,Eurostat" for i, v in enumerate(values)]
    return "\n".join(lines) + "\n"


@pytest.fixture
def associate(db: Any) -> MemberState:
    return MemberStateFactory(iso2="CY", name="Cyprus", status=MemberState.Status.ASSOCIATE)


@pytest.fixture
def scale_motion(db: Any) -> Motion:
    """A two-thirds-of-all motion whose ballot adopted it (16 of 23)."""
    motion = MotionFactory(title="Scale of contributions 2024–2026", kind=Motion.Kind.TWO_THIRDS_ALL)  # noqa: RUF001
    BallotFactory(motion=motion, status=Ballot.Status.PUBLISHED, outcome=Ballot.Outcome.ADOPTED, yes=16, no=7)
    motion.status = Motion.Status.ADOPTED
    motion.save()
    return motion
