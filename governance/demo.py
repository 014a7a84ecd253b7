"""Demo data for governance, loaded by `manage.py seed_demo` (idempotent).

States from data/member_states.csv, their shares as the founding scale with calls and payments
(finance.demo: one state in arrears); two delegates (scientific, political)
per member state; the chair persona chairs the Council; a spring session with agenda, papers-free
items, one open ballot a delegate can vote in right away, a draft one for the chair, and a published
resolution in the public register. The Scientific Policy Committee (five members ad personam, an open
ballot on its recommendation on the medium-term plan) and the Finance Committee (representatives of
the first five member states).
"""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from cernai.core.demo import demo_user
from finance import demo as finance_demo

from . import bodies, demo_membership, services
from .models import (
    AgendaItem,
    Appointment,
    Attendance,
    Ballot,
    BodyMembership,
    Council,
    ElectorateEntry,
    MemberState,
    Motion,
    Programme,
    Recommendation,
    Session,
)

CSV = Path(settings.BASE_DIR) / "data" / "member_states.csv"
FRENCH_SPEAKING = {"FR", "BE", "CH"}
TERM_START = dt.date(2024, 1, 1)


def seed_states() -> list[MemberState]:
    """Member, associate and observer states; the members' 2019 contribution shares become the founding
    scale in force (finance), from which ballots take their weights and calls their amounts."""
    states = []
    shares = {}
    with CSV.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["cern_status"] not in MemberState.Status.values:
                continue
            # The status only when created: afterwards it changes through membership (the demo's
            # accession request makes Ireland a candidate), and seeding again must not undo that.
            state, _ = MemberState.objects.get_or_create(
                iso2=row["iso2"], defaults={"name": row["name"], "status": row["cern_status"]}
            )
            states.append(state)
            if row["cern_contribution_pct"] and state.status == MemberState.Status.MEMBER:
                shares[state] = Decimal(row["cern_contribution_pct"])
    finance_demo.seed_scale(shares, last_year=timezone.localdate().year)
    return states


def seed_delegations(states: list[MemberState]) -> None:
    for state in states:
        if state.status != MemberState.Status.MEMBER:
            continue
        for role, label in (("scientific", "sci"), ("political", "pol")):
            user = demo_user(
                f"{state.iso2.lower()}.{label}@cernai.example",
                f"{state.name} {'Scientific' if role == 'scientific' else 'Political'} Delegate",
                mfa=True,
                nationality=state.iso2,
                home_country=state.iso2,
                language="fr" if state.iso2 in FRENCH_SPEAKING else "en",
            )
            if not Appointment.objects.filter(state=state, role=role).exists():
                services.appoint_delegate(actor=None, state=state, user=user, role=role, start=TERM_START)


def _motion(item: AgendaItem, title: str, kind: str, text: str, **extra: Any) -> Motion:
    motion, _ = Motion.objects.get_or_create(item=item, title=title, defaults={"kind": kind, "text": text, **extra})
    return motion


def seed(personas: dict[str, Any]) -> list[tuple[str, str]]:
    """Create this app's demo records; return extra (label, value) lines to print."""
    states = seed_states()
    finance_demo.seed_accounts(personas["secretariat"])  # before any ballot opens: arrears show
    seed_delegations(states)
    members = [s for s in states if s.status == MemberState.Status.MEMBER]
    council, _ = Council.objects.get_or_create(name="cernai Council", defaults={"chair": personas["chair"]})
    if council.chair_id != personas["chair"].pk:
        council.chair = personas["chair"]
        council.save(update_fields=["chair"])
    programme, _ = Programme.objects.get_or_create(name="Exascale AI training programme")
    programme.participants.set(members[:10])

    past, _ = Session.objects.get_or_create(
        council=council,
        title="Council — 2026 winter session",
        defaults={"starts_at": timezone.now() - dt.timedelta(days=60), "location": "Geneva"},
    )
    session, _ = Session.objects.get_or_create(
        council=council,
        title="Council — 2026 spring session",
        defaults={"starts_at": timezone.now(), "location": "Geneva"},
    )
    for s in (past, session):
        Attendance.objects.bulk_create([Attendance(session=s, state=m) for m in members], ignore_conflicts=True)

    # A published resolution for the public register.
    budget_item, _ = AgendaItem.objects.get_or_create(session=past, position=1, defaults={"title": "Budget 2026"})
    budget = _motion(
        budget_item, "Approve the 2026 budget", Motion.Kind.BUDGET, "The Council approves the 2026 budget."
    )
    published, created = Ballot.objects.get_or_create(motion=budget)
    if created:
        services.open_ballot(actor=personas["chair"], ballot_id=published.pk)
        entitled = set(
            published.electorate.filter(reason=ElectorateEntry.Reason.ENTITLED).values_list("state_id", flat=True)
        )
        for i, state in enumerate(members):
            delegate = Appointment.objects.filter(state=state, role="scientific").first()
            if delegate and i < 21 and state.pk in entitled:
                services.cast_vote(ballot_id=published.pk, user=delegate.user, choice="no" if i % 7 == 6 else "yes")
        services.close_ballot(actor=personas["chair"], ballot_id=published.pk)
        services.publish_result(actor=personas["chair"], ballot_id=published.pk)

    # An open ballot a demo delegate can vote in right away, and a draft for the chair to open.
    plan_item, _ = AgendaItem.objects.get_or_create(
        session=session, position=1, defaults={"title": "Medium-term plan 2027-2031"}
    )
    plan = _motion(
        plan_item,
        "Adopt the medium-term plan 2027-2031",
        Motion.Kind.ORDINARY,
        "The Council adopts the medium-term plan 2027-2031 as presented by the Director-General.",
    )
    open_ballot, created = Ballot.objects.get_or_create(
        motion=plan, defaults={"closes_at": timezone.now() + dt.timedelta(days=7)}
    )
    if created:
        services.open_ballot(actor=personas["chair"], ballot_id=open_ballot.pk)
    scale_item, _ = AgendaItem.objects.get_or_create(
        session=session, position=2, defaults={"title": "Scale of contributions"}
    )
    scale = _motion(
        scale_item,
        "Revise the scale of contributions",
        Motion.Kind.TWO_THIRDS_ALL,
        "The Council revises the scale of contributions for 2027.",
    )
    Ballot.objects.get_or_create(motion=scale, defaults={"mode": Ballot.Mode.JOINT})
    election_item, _ = AgendaItem.objects.get_or_create(
        session=session, position=3, defaults={"title": "Election of the Scientific Policy Committee chair"}
    )
    election = _motion(
        election_item, "Elect Dr Ines Moreau as SPC chair", Motion.Kind.ORDINARY, "The Council elects Dr Ines Moreau."
    )
    secret, created = Ballot.objects.get_or_create(motion=election, defaults={"secrecy": Ballot.Secrecy.SECRET})
    if created:
        services.open_ballot(actor=personas["chair"], ballot_id=secret.pk)
    spc_ballot = seed_committees(members, plan)
    membership_lines = demo_membership.seed(session, personas["secretariat"])
    return [
        *membership_lines,
        ("SPC member (ad personam)", "spc.member1@cernai.example"),
        ("SPC ballot (members only)", f"/governance/ballots/{spc_ballot.pk}/"),
        ("Delegate (France, scientific)", "fr.sci@cernai.example"),
        ("Delegate (France, political)", "fr.pol@cernai.example"),
        ("Delegate (Germany, scientific)", "de.sci@cernai.example"),
        ("Open ballot", f"/governance/ballots/{open_ballot.pk}/"),
        ("TOTP code for a delegate", ".venv/bin/python manage.py demo_totp fr.sci@cernai.example"),
    ]


def seed_committees(members: list[MemberState], plan: Motion) -> Ballot:
    """The two committees of rules §4 with their members, and the SPC's open ballot on a recommendation."""
    spc, _ = Council.objects.get_or_create(
        name="Scientific Policy Committee", defaults={"kind": Council.Kind.AD_PERSONAM}
    )
    fc, _ = Council.objects.get_or_create(name="Finance Committee", defaults={"kind": Council.Kind.PER_STATE})
    scientists = [demo_user(f"spc.member{i}@cernai.example", f"SPC Member {i}", mfa=True) for i in range(1, 6)]
    for person in scientists:
        if not BodyMembership.objects.filter(body=spc, user=person).exists():
            bodies.appoint_member(actor=None, body=spc, user=person, start=TERM_START)
    for state in members[:5]:
        rep = demo_user(f"fc.{state.iso2.lower()}@cernai.example", f"{state.name} Finance Representative", mfa=True)
        if not BodyMembership.objects.filter(body=fc, state=state).exists():
            bodies.appoint_member(actor=None, body=fc, user=rep, state=state, start=TERM_START)
    meeting, _ = Session.objects.get_or_create(
        council=spc,
        title="Scientific Policy Committee — 2026 spring meeting",
        defaults={"starts_at": timezone.now() - dt.timedelta(days=2), "location": "Geneva"},
    )
    Attendance.objects.bulk_create([Attendance(session=meeting, member=p) for p in scientists], ignore_conflicts=True)
    item, _ = AgendaItem.objects.get_or_create(
        session=meeting, position=1, defaults={"title": "Advice on the medium-term plan"}
    )
    advice = _motion(
        item,
        "Recommend the medium-term plan 2027-2031",
        Motion.Kind.ORDINARY,
        "The Scientific Policy Committee recommends that the Council adopt the medium-term plan 2027-2031.",
    )
    if not Recommendation.objects.filter(motion=advice).exists():
        bodies.attach_recommendation(actor=None, motion=advice, council_motion=plan)
    ballot, created = Ballot.objects.get_or_create(
        motion=advice, defaults={"closes_at": timezone.now() + dt.timedelta(days=7)}
    )
    if created:
        services.open_ballot(actor=None, ballot_id=ballot.pk)
    return ballot
