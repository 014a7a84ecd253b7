"""The medium-term plan's rules (rules.md §4 "Medium-term plan and budget") as pure functions over
plain values: no database, no request. Money is integer cents; unit costs are ``Decimal`` euros;
shares are exact fractions until shown, then ``Decimal`` percentages. Never a float.

Decisions (the texts are silent; each is stated here once):

* A year's budget is the sum of the envelopes of the plan in force for that year; the plan in force
  for a year is the most recently adopted version that covers it.
* Execution of a line in a year: compute allocations that *start* in the year, granted amount
  times the resource's unit cost for that year; fellowships *accepted* (decided) in the year times the
  programme's cost for that year. Each product is rounded half up to the cent, then summed.
  A quantity whose unit cost is missing is not valued: it is reported as missing, never as zero.
* Comparing two versions: every (line, year) of either, with the amount in each and the change;
  the pages compare over the years the later version covers (earlier years are history).
* Fair return: a state's share of a quantity is its part of the total over all states, exact, and
  shown to two decimals of a percent (half up); a total of zero gives no share.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

CENT = Decimal("0.01")
SHARE_QUANTUM = Decimal("0.01")


def value_cents(quantity: int | Decimal, unit_cost_eur: Decimal) -> int:
    """``quantity`` units at ``unit_cost_eur`` euros each, in cents, rounded half up."""
    euros = Decimal(quantity) * unit_cost_eur
    return int((euros * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def percent(part: int | Fraction, whole: int | Fraction) -> Decimal | None:
    """``part`` of ``whole`` as a percentage with two decimals (half up); None when ``whole`` is 0."""
    if not whole:
        return None
    exact = Fraction(part) * 100 / Fraction(whole)
    return (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(SHARE_QUANTUM, rounding=ROUND_HALF_UP)


def shares[K: Hashable](values: Mapping[K, int]) -> dict[K, Decimal | None]:
    """Each key's share of the total of ``values``, in percent (see ``percent``)."""
    total = sum(values.values())
    return {key: percent(value, total) for key, value in values.items()}


@dataclass(frozen=True)
class Change:
    """One (line, year) of a comparison between two versions."""

    line: Hashable
    year: int
    before_cents: int | None  # None: not in the earlier version
    after_cents: int | None  # None: not in the later version

    @property
    def delta_cents(self) -> int:
        return (self.after_cents or 0) - (self.before_cents or 0)

    @property
    def kind(self) -> str:
        if self.before_cents is None:
            return "added"
        if self.after_cents is None:
            return "removed"
        return "changed" if self.delta_cents else "same"


def compare[K: Hashable](before: Mapping[tuple[K, int], int], after: Mapping[tuple[K, int], int]) -> list[Change]:
    """Every (line, year) envelope of either version, with both amounts, ordered by line then year
    (lines in the order they first appear, ``before`` first)."""
    keys = list(dict.fromkeys([*before, *after]))
    order = {line: i for i, line in enumerate(dict.fromkeys(k[0] for k in keys))}
    keys.sort(key=lambda k: (order[k[0]], k[1]))
    return [Change(line, year, before.get((line, year)), after.get((line, year))) for line, year in keys]


@dataclass(frozen=True)
class Execution:
    """A line's execution in a year against its envelope."""

    envelope_cents: int
    executed_cents: int | None  # None: this kind of line is not measured by the portal
    missing_costs: tuple[str, ...] = ()  # quantities left unvalued for want of a unit cost

    @property
    def rate(self) -> Decimal | None:
        if self.executed_cents is None:
            return None
        return percent(self.executed_cents, self.envelope_cents)

    @property
    def remaining_cents(self) -> int | None:
        return None if self.executed_cents is None else self.envelope_cents - self.executed_cents
