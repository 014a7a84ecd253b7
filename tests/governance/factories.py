"""Factories for governance records."""

from __future__ import annotations

import datetime as dt
from typing import Any

import factory
from django.utils import timezone

from governance.models import AgendaItem, Appointment, Ballot, Council, MemberState, Motion, Session
from tests.factories import UserFactory

ISO = [
    "AT", "BE", "BG", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IL", "IT", "NL", "NO", "PL", "PT",
    "RO", "RS", "SK", "SI", "ES", "SE", "CH", "GB",
]  # fmt: skip


class MemberStateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MemberState
        django_get_or_create = ("iso2",)

    name = factory.LazyAttribute(lambda o: f"State {o.iso2}")
    iso2 = factory.Sequence(lambda n: f"{chr(65 + (n // 26) % 26)}{chr(65 + n % 26)}")
    status = MemberState.Status.MEMBER


class CouncilFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Council
        django_get_or_create = ("name",)

    name = "Council"


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Session

    council = factory.SubFactory(CouncilFactory)
    title = factory.Sequence(lambda n: f"Session {n}")
    starts_at = factory.LazyFunction(timezone.now)


class AgendaItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgendaItem

    session = factory.SubFactory(SessionFactory)
    title = factory.Sequence(lambda n: f"Item {n}")


class MotionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Motion

    item = factory.SubFactory(AgendaItemFactory)
    title = factory.Sequence(lambda n: f"Motion {n}")
    text = "The Council resolves…"
    kind = Motion.Kind.ORDINARY


class BallotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ballot

    motion = factory.SubFactory(MotionFactory)


def appoint(state: MemberState, role: str, user: Any = None, **user_kwargs: Any) -> Any:
    """Create a delegate (with MFA, like the real ones) serving since last year."""
    user = user or UserFactory(
        email=f"{state.iso2.lower()}.{role[:3]}@example.org", mfa=True, groups=["Delegates"], **user_kwargs
    )
    Appointment.objects.create(state=state, user=user, role=role, start=dt.date(2020, 1, 1))
    return user


def synthetic_states(n: int, *, prefix: int = 0x100) -> list[MemberState]:
    """``n`` extra member states with two-character synthetic codes (a large assembly for B2)."""
    existing = set(MemberState.objects.values_list("iso2", flat=True))
    codes = (chr(prefix + i // 200) + chr(prefix + i % 200) for i in range(40_000))
    fresh = [c for c in codes if c not in existing][:n]
    return MemberState.objects.bulk_create([MemberState(name=f"Assembly state {c}", iso2=c) for c in fresh])


def grow_electorate(ballot: Ballot, n: int) -> None:
    """Make an open ballot's electorate ``n`` entitled states (extra synthetic states join it)."""
    from governance.models import ElectorateEntry

    have = ElectorateEntry.objects.filter(ballot=ballot, reason="entitled").count()
    extra = synthetic_states(max(0, n - have), prefix=0x100 + 200 * (ballot.pk % 50))
    ElectorateEntry.objects.bulk_create(
        [ElectorateEntry(ballot=ballot, state=s, reason="entitled", counts_in_all=True, present=True) for s in extra]
    )
    Ballot.objects.filter(pk=ballot.pk).update(entitled_count=n, all_count=n, present_count=n)


def make_paper(
    item: AgendaItem,
    title: str,
    *,
    classification: str = "restricted",
    publish: bool = True,
    owner: Any = None,
    content: bytes | None = None,
) -> Any:
    """A paper stored as the secretariat's upload and, unless ``publish=False``, published through
    the service (numbered and announced) as the admin does."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from cernai.core import files
    from governance import papers
    from governance.models import Paper

    upload = SimpleUploadedFile(f"{title[:20]}.pdf", content or b"%PDF-1.4 " + title.encode())
    paper = Paper.objects.create(
        item=item,
        title=title,
        classification=classification,
        file=files.store_upload(upload=upload, owner=owner, purpose="paper"),
    )
    if publish:
        paper = papers.publish_paper(actor=owner, paper_id=paper.pk)
    return paper


def put_in_arrears(state: MemberState, *, year: int | None = None, per_year_cents: int = 1_000_000_000) -> None:
    """Give ``state`` art. V.8 arrears from its accounts (there is no flag to tick): calls of 10 M for
    ``year`` and the two years before, all due already, nothing paid → 30 M overdue > 20 M called."""
    from finance.models import Call

    year = year or timezone.localdate().year
    Call.objects.bulk_create(
        Call(state=state, year=y, amount_cents=per_year_cents, issued_on=dt.date(y, 1, 1), due_on=dt.date(y, 1, 1))
        for y in (year - 2, year - 1, year)
    )


def adopted_scale(
    shares: dict[MemberState, str], *, first_year: int | None = None, last_year: int | None = None
) -> Any:
    """An adopted contribution scale (percent by state) covering this year unless told: the scale in
    force that contribution shares are read from (recorded as a scale adopted by an earlier decision)."""
    from decimal import Decimal

    from finance import services as finance_services

    year = timezone.localdate().year
    return finance_services.record_earlier_scale(
        actor=None,
        title="Scale in force",
        first_year=first_year or year,
        last_year=last_year or first_year or year,
        decision="Council decision (test)",
        shares={state.pk: Decimal(share) for state, share in shares.items()},
    )
