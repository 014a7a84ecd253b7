"""Reads of finance: each state's account on a day, and the arrears facts the electorate uses.

The account is computed from the calls issued and the payments received up to the day asked, by the
pure rules (``finance.rules``): nothing about arrears is stored, so it cannot go stale.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Sum
from django.utils import timezone

from governance.models import MemberState

from . import rules
from .models import Call, Payment, ScaleVersion


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


def arrears_facts_by_state(at: dt.datetime, state_ids: Iterable[int] | None = None) -> dict[int, ArrearsFacts]:
    """Art. V.8 for every state (or those named) at ``at``, in three queries: for freezing a ballot's
    electorate in one go."""
    return {
        state_id: ArrearsFacts(
            no_vote=acc.arrears.no_vote,
            overdue_cents=acc.arrears.overdue_cents,
            called_cents=acc.arrears.called_cents,
            explanation=acc.arrears.explanation(acc.state.name),
        )
        for state_id, acc in accounts(on=at, state_ids=state_ids).items()
    }


def scale_in_force(year: int) -> ScaleVersion | None:
    """The adopted scale version covering ``year``, if any."""
    return (
        ScaleVersion.objects.filter(status=ScaleVersion.Status.ADOPTED, first_year__lte=year, last_year__gte=year)
        .order_by("-adopted_at")
        .first()
    )
