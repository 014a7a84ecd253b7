"""Reads of finance: each state's account on a day, and the arrears facts the electorate uses.

The account is computed from the calls issued and the payments received up to the day asked, by the
pure rules (``finance.rules``): nothing about arrears is stored, so it cannot go stale.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import models
from django.db.models import DecimalField, OuterRef, Subquery, Sum
from django.utils import timezone

from cernai.core import sentences
from governance.models import MemberState

from . import rules
from .models import Call, Payment, ScaleShare, ScaleVersion


@dataclass(frozen=True)
class ArrearsFacts:
    """What the electorate snapshot needs about one state at one moment (Convention art. V.8).

    ``explanation`` is the first part of the sentence ("Italy: arrears EUR 31.0 M exceed the EUR
    20.0 M called for 2025-2026: no vote"); the caller may add "; still counted in the 23"."""

    no_vote: bool
    overdue_cents: int
    called_cents: int  # calls for the current and the preceding financial year
    explanation: str


@dataclass(frozen=True)
class Account:
    """A state's account on a day: every call with what it has received, and the totals."""

    state: MemberState
    on: dt.date
    calls: list[rules.Settled]
    paid_cents: int
    credit_cents: int
    arrears: rules.Arrears

    @property
    def called_cents(self) -> int:
        return sum(c.amount_cents for c in self.calls)

    @property
    def outstanding_cents(self) -> int:
        return sum(c.outstanding_cents for c in self.calls)

    @property
    def overdue_cents(self) -> int:
        return self.arrears.overdue_cents


def _local_date(at: dt.datetime | dt.date) -> dt.date:
    return timezone.localdate(at) if isinstance(at, dt.datetime) else at


def accounts(*, on: dt.datetime | dt.date, state_ids: Iterable[int] | None = None) -> dict[int, Account]:
    """Every state's account on ``on`` (calls issued and payments received by then), in three queries."""
    day = _local_date(on)
    states = MemberState.objects.all()
    calls = Call.objects.filter(issued_on__lte=day)
    payments = Payment.objects.filter(received_on__lte=day)
    if state_ids is not None:
        ids = list(state_ids)
        states, calls, payments = (
            states.filter(id__in=ids),
            calls.filter(state_id__in=ids),
            payments.filter(state_id__in=ids),
        )
    lines: dict[int, list[rules.CallLine]] = defaultdict(list)
    for call in calls.values("id", "state_id", "year", "amount_cents", "due_on"):
        lines[call["state_id"]].append(rules.CallLine(call["id"], call["year"], call["amount_cents"], call["due_on"]))
    paid = dict(payments.values("state_id").annotate(total=Sum("amount_cents")).values_list("state_id", "total"))
    result = {}
    for state in states:
        settled, credit = rules.settle(lines[state.id], paid.get(state.id, 0))
        result[state.id] = Account(
            state=state,
            on=day,
            calls=settled,
            paid_cents=paid.get(state.id, 0),
            credit_cents=credit,
            arrears=rules.arrears(lines[state.id], paid.get(state.id, 0), on=day),
        )
    return result


def account(*, state_id: int, on: dt.datetime | dt.date) -> Account:
    """One state's account on ``on``."""
    return accounts(on=on, state_ids=[state_id])[state_id]


def arrears_facts(state_id: int, at: dt.datetime) -> ArrearsFacts:
    """Art. V.8 for one state at ``at``: whether it has lost its vote, the figures, and why."""
    return arrears_facts_by_state(at, [state_id])[state_id]


def arrears_facts_by_state(
    at: dt.datetime | dt.date, state_ids: Iterable[int] | None = None
) -> dict[int, ArrearsFacts]:
    """Art. V.8 for every state (or those named) at ``at``, in three queries: for freezing a ballot's
    electorate in one go."""
    return {
        state_id: ArrearsFacts(
            no_vote=acc.arrears.no_vote,
            overdue_cents=acc.arrears.overdue_cents,
            called_cents=acc.arrears.called_cents,
            explanation=acc.arrears.explanation(sentences.country(acc.state.iso2, acc.state.name)),
        )
        for state_id, acc in accounts(on=at, state_ids=state_ids).items()
    }


def scale_in_force(year: int) -> ScaleVersion | None:
    """The adopted scale version covering ``year``, if any."""
    return _in_force(year).first()


def shares_in_force(year: int) -> dict[int, Decimal]:
    """Each state's share (percent) in the adopted scale in force for ``year``, by state id (one query)."""
    return dict(
        ScaleShare.objects.filter(version=Subquery(_in_force(year).values("pk")[:1])).values_list("state_id", "share")
    )


def share_in_force(year: int, state: str = "pk") -> Subquery:
    """The share (percent) of the state at ``OuterRef(state)`` in the scale in force for ``year``, for an
    annotation: NULL when no adopted scale covers the year or the scale does not list the state."""
    return Subquery(
        ScaleShare.objects.filter(state=OuterRef(state), version=Subquery(_in_force(year).values("pk")[:1])).values(
            "share"
        )[:1],
        output_field=DecimalField(max_digits=9, decimal_places=6),
    )


def _in_force(year: int) -> models.QuerySet[ScaleVersion]:
    return ScaleVersion.objects.filter(
        status=ScaleVersion.Status.ADOPTED, first_year__lte=year, last_year__gte=year
    ).order_by("-adopted_at", "-pk")


@dataclass(frozen=True)
class ContributionRow:
    """One state's line of the public table for a year: its share, its call and how far it is paid."""

    iso2: str
    name: str
    share: Decimal | None  # percent, from the adopted scale in force for the year; None for associates
    called_cents: int
    settled_cents: int  # of this year's call, by all payments so far (oldest call first)
    received_in_year_cents: int  # payments received during the year, whatever they settled

    @property
    def outstanding_cents(self) -> int:
        return self.called_cents - self.settled_cents


def contributions(*, year: int, on: dt.date | dt.datetime) -> list[ContributionRow]:
    """The public table for ``year`` as of ``on``: every state with a share or a call, by name."""
    scale = scale_in_force(year)
    shares = dict(scale.shares.values_list("state_id", "share")) if scale else {}
    received = dict(
        Payment.objects.filter(received_on__year=year, received_on__lte=_local_date(on))
        .values("state_id")
        .annotate(total=Sum("amount_cents"))
        .values_list("state_id", "total")
    )
    rows = []
    for state_id, acc in accounts(on=on).items():
        this_year = [c for c in acc.calls if c.year == year]
        if state_id not in shares and not this_year:
            continue
        rows.append(
            ContributionRow(
                iso2=acc.state.iso2,
                name=acc.state.display_name,
                share=shares.get(state_id),
                called_cents=sum(c.amount_cents for c in this_year),
                settled_cents=sum(c.paid_cents for c in this_year),
                received_in_year_cents=received.get(state_id, 0),
            )
        )
    return sorted(rows, key=lambda r: (r.name, r.iso2))
