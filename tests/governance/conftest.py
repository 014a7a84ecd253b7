"""Governance fixtures: a Council of 23 member states plus an associate, an observer and a state in
arrears; France with its two delegates; a session everyone attends; a ballot factory."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from governance import services
from governance.models import Appointment, Attendance, Ballot, MembershipRequest, MemberState
from tests.governance.factories import (
    ISO,
    AgendaItemFactory,
    BallotFactory,
    MemberStateFactory,
    MotionFactory,
    SessionFactory,
    appoint,
)


@pytest.fixture
def members(db: Any) -> list[MemberState]:
    """23 member states (France among them)."""
    codes = ["FR", *[c for c in ISO if c != "FR"][:22]]
    return [MemberStateFactory(iso2=c, name="France" if c == "FR" else f"State {c}") for c in codes]


@pytest.fixture
def france(members: list[MemberState]) -> MemberState:
    return next(s for s in members if s.iso2 == "FR")


@pytest.fixture
def associate(db: Any) -> MemberState:
    return MemberStateFactory(iso2="CY", name="Cyprus", status=MemberState.Status.ASSOCIATE)


@pytest.fixture
def observer(db: Any) -> MemberState:
    return MemberStateFactory(iso2="JP", name="Japan", status=MemberState.Status.OBSERVER)


@pytest.fixture
def delegate_fr_sci(france: MemberState) -> Any:
    return appoint(france, Appointment.Role.SCIENTIFIC, name="Fanny Science")


@pytest.fixture
def delegate_fr_pol(france: MemberState) -> Any:
    return appoint(france, Appointment.Role.POLITICAL, name="Paul Politique")


@pytest.fixture
def session(members: list[MemberState]) -> Any:
    s = SessionFactory(title="Spring session")
    Attendance.objects.bulk_create([Attendance(session=s, state=m) for m in members])
    return s


@pytest.fixture
def make_ballot(session: Any) -> Any:
    """``make_ballot(kind=..., mode=..., secrecy=..., open=True)``"""

    def make(
        *,
        kind: str = "ordinary",
        open: bool = True,
        programme: Any = None,
        in_session: Any = None,
        circulated_on: Any = None,
        **ballot: Any,
    ) -> Ballot:
        if in_session is not None and not in_session.attendances.exists():
            # Every member state present, as in the fixture's session: ballots open only with quorum.
            members = MemberState.objects.filter(status=MemberState.Status.MEMBER)
            Attendance.objects.bulk_create([Attendance(session=in_session, state=m) for m in members])
        item = AgendaItemFactory(session=in_session or session)
        motion = MotionFactory(item=item, kind=kind, programme=programme)
        if kind == "admission":  # an admission is tabled from a candidate's request, which holds its circulation
            taken = set(MemberState.objects.values_list("iso2", flat=True))
            iso2 = next(f"X{c}" for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if f"X{c}" not in taken)
            candidate = MemberState.objects.create(iso2=iso2, name=f"Candidate {iso2}", status="candidate")
            received = circulated_on or timezone.localdate()
            MembershipRequest.objects.create(
                state=candidate,
                received_on=received,
                previous_status=MemberState.Status.OBSERVER,
                circulated_on=circulated_on,
                motion=motion,
            )
        b = BallotFactory(motion=motion, **ballot)
        if open:
            services.open_ballot(actor=None, ballot_id=b.pk)
            b.refresh_from_db()
        return b

    return make


@pytest.fixture
def delegates(members: list[MemberState], delegate_fr_sci: Any, delegate_fr_pol: Any) -> dict[str, tuple[Any, Any]]:
    """Both delegates of every member state, by iso2."""
    out = {"FR": (delegate_fr_sci, delegate_fr_pol)}
    for state in members:
        if state.iso2 != "FR":
            out[state.iso2] = (
                appoint(state, Appointment.Role.SCIENTIFIC),
                appoint(state, Appointment.Role.POLITICAL),
            )
    return out
