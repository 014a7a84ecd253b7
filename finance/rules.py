"""The money rules of rules.md §4 (contribution scale, calls, settlement, arrears) as pure functions
over plain values: no database, no request. Money is integer cents; shares are exact fractions while
computing and ``Decimal`` percentages with ``SHARE_PLACES`` decimals once published.

Decisions (the texts are silent; each is stated here once and shown through the explanations):

* NNI average: the mean of the last ``NNI_YEARS`` (3) years available for the state *before* the
  first year the scale covers (statistics lag); fewer years are averaged if fewer exist, none
  refuses the scale.
* Ceiling and floor: states outside the bounds are set to the bound and what that frees or takes is
  spread over the others in proportion to their shares, until nobody is outside; the end point (each
  state at a bound or at one common multiple of its raw share) is computed exactly, not by rounds.
* Rounding: shares are exact until the end, then rounded by the largest-remainder method to
  ``SHARE_PLACES`` decimals of a percent, so they sum to exactly 100 %. Ties go to the state listed
  first (the caller orders by name). Calls are apportioned the same way to the cent, so the calls of
  a year sum to exactly the total contributions.
* Settlement: a payment settles the oldest call first (earliest due date, then year); money beyond
  every call is a credit that settles the next call issued.
* Arrears (Convention art. V.8): on day D, the overdue amount is the unpaid part of calls whose due
  date is before D; the state has no vote when it exceeds the total called for D's year and the year
  before ("exceeds": equal is not enough).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from cernai.core.sentences import gettext as _

NNI_YEARS = 3
SHARE_PLACES = 6
CEILING = Fraction(20, 100)
FLOOR = Fraction(5, 1000)
CALL_ISSUED = (1, 1)  # 1 January
CALL_DUE = (4, 1)  # 1 April


class ScaleError(ValueError):
    """The statistics cannot give a scale (no state, no NNI, bounds that no split can meet)."""


# --- contribution scale --------------------------------------------------------------------------


def nni_average(by_year: Mapping[int, int], *, before_year: int) -> tuple[Fraction, tuple[int, ...]]:
    """The mean NNI over the last ``NNI_YEARS`` available years before ``before_year``, and those years."""
    years = tuple(sorted(y for y in by_year if y < before_year)[-NNI_YEARS:])
    if not years:
        raise ScaleError(_("no NNI statistic before %(year)s") % {"year": before_year})
    return Fraction(sum(by_year[y] for y in years), len(years)), years


@dataclass(frozen=True)
class ScaleLine:
    """One state's row of the scale, with the arithmetic that led to it."""

    key: str
    nni_years: tuple[int, ...]
    nni_average_cents: Fraction
    raw_share: Fraction  # average / sum of averages
    exact_share: Fraction  # after the ceiling and floor
    share_percent: Decimal  # published, rounded: sums to exactly 100
    bound: str  # "", "ceiling" or "floor"


@dataclass(frozen=True)
class Scale:
    lines: tuple[ScaleLine, ...]
    rounds: tuple[str, ...]  # the redistribution, in words (empty when nobody is outside the bounds)

    def shares(self) -> dict[str, Decimal]:
        return {line.key: line.share_percent for line in self.lines}


def bounded_shares(
    raw: Mapping[str, Fraction], *, ceiling: Fraction = CEILING, floor: Fraction = FLOOR
) -> tuple[dict[str, Fraction], dict[str, str], list[str]]:
    """Apply the ceiling and floor, spreading excess or shortfall over the others by their shares.

    Repeating "set the states outside to the bound, spread the difference over the others in
    proportion to their shares" ends where every state is either at a bound or at ``factor * raw
    share`` with one common factor. That end point is computed directly (the rounds can otherwise
    overshoot: a state set to the ceiling before a floor took money back would stay too high)."""
    if len(raw) * ceiling < 1 or len(raw) * floor > 1:
        raise ScaleError(
            _("%(n)s states cannot share 100 %% between a floor of %(floor)s %% and a ceiling of %(ceiling)s %%")
            % {"n": len(raw), "floor": _percent(floor), "ceiling": _percent(ceiling)}
        )

    def at(factor: Fraction) -> dict[str, Fraction]:
        return {k: min(max(factor * r, floor), ceiling) for k, r in raw.items()}

    if len(raw) * floor == 1:
        factor = Fraction(0)
    else:
        # The total is continuous and increasing in the factor, linear between the points where a
        # state reaches a bound: find the segment where it crosses 100 % and solve on it.
        points = sorted({bound / r for r in raw.values() if r > 0 for bound in (floor, ceiling)})
        low = Fraction(0)
        for high in points:
            if sum(at(high).values()) >= 1:
                break
            low = high
        middle = (low + high) / 2
        free = [k for k, r in raw.items() if floor < middle * r < ceiling]
        fixed = sum((v for k, v in at(middle).items() if k not in free), Fraction(0))
        factor = (1 - fixed) / sum((raw[k] for k in free), Fraction(0))
    shares = at(factor)
    bound = {k: "ceiling" for k, r in raw.items() if factor * r > ceiling}
    bound |= {k: "floor" for k, r in raw.items() if factor * r < floor}
    rounds: list[str] = []
    if bound:
        free_share = 1 - sum((shares[k] for k in bound), Fraction(0))
        rounds.append(
            _(
                "Set to the ceiling: %(over)s; set to the floor: %(under)s; the other states share %(left)s %% "
                "in proportion to their NNI."
            )
            % {
                "over": ", ".join(k for k in raw if bound.get(k) == "ceiling") or "—",
                "under": ", ".join(k for k in raw if bound.get(k) == "floor") or "—",
                "left": _percent(free_share),
            }
        )
    return shares, bound, rounds


def largest_remainder[K](exact: Mapping[K, Fraction], total: int) -> dict[K, int]:
    """Integers proportional to ``exact`` (which sum to ``total``) summing to exactly ``total``:
    floors first, then one more unit to the largest remainders (ties: the first listed)."""
    floors = {k: v.numerator // v.denominator for k, v in exact.items()}
    short = total - sum(floors.values())
    by_remainder = sorted(exact, key=lambda k: -(exact[k] - floors[k]))  # stable: ties keep the order
    for key in by_remainder[:short]:
        floors[key] += 1
    return floors


def compute_scale(
    nni: Mapping[str, Mapping[int, int]],
    *,
    first_year: int,
    ceiling: Fraction = CEILING,
    floor: Fraction = FLOOR,
) -> Scale:
    """The contribution scale for the member states in ``nni`` (key -> {year: NNI in cents})."""
    if not nni:
        raise ScaleError(_("no member state to put on the scale"))
    averages: dict[str, tuple[Fraction, tuple[int, ...]]] = {}
    for key, by_year in nni.items():
        try:
            averages[key] = nni_average(by_year, before_year=first_year)
        except ScaleError as exc:
            raise ScaleError(f"{key}: {exc}") from exc
    total = sum((avg for avg, _years in averages.values()), Fraction(0))
    if total <= 0:
        raise ScaleError(_("the NNI of the member states sums to zero"))
    raw = {key: avg / total for key, (avg, _years) in averages.items()}
    exact, bound, rounds = bounded_shares(raw, ceiling=ceiling, floor=floor)
    unit = 100 * 10**SHARE_PLACES
    units = largest_remainder({k: v * unit for k, v in exact.items()}, unit)
    lines = tuple(
        ScaleLine(
            key=key,
            nni_years=averages[key][1],
            nni_average_cents=averages[key][0],
            raw_share=raw[key],
            exact_share=exact[key],
            share_percent=Decimal(units[key]).scaleb(-SHARE_PLACES),
            bound=bound.get(key, ""),
        )
        for key in nni
    )
    return Scale(lines=lines, rounds=tuple(rounds))


def _percent(share: Fraction) -> str:
    return f"{float(share * 100):.2f}".rstrip("0").rstrip(".")  # display only; never stored


# --- calls ----------------------------------------------------------------------------------------


def call_amounts[K](shares: Mapping[K, Decimal], total_cents: int) -> dict[K, int]:
    """Each state's call for a year: ``total_cents`` times its share, to the cent, summing to the total."""
    share_total = sum(shares.values(), Decimal(0))
    if share_total <= 0:
        raise ScaleError(_("the scale has no share"))
    exact = {k: Fraction(total_cents) * Fraction(v) / Fraction(share_total) for k, v in shares.items()}
    return largest_remainder(exact, total_cents)


def call_dates(year: int) -> tuple[dt.date, dt.date]:
    """The issue date and the due date of the calls for ``year``."""
    return dt.date(year, *CALL_ISSUED), dt.date(year, *CALL_DUE)


# --- settlement and arrears ----------------------------------------------------------------------


@dataclass(frozen=True)
class CallLine:
    """One call as the rules see it: its year, amount and due date (``key`` identifies it)."""

    key: int
    year: int
    amount_cents: int
    due: dt.date


@dataclass(frozen=True)
class Settled:
    key: int
    year: int
    amount_cents: int
    due: dt.date
    paid_cents: int

    @property
    def outstanding_cents(self) -> int:
        return self.amount_cents - self.paid_cents


def settle(calls: Iterable[CallLine], paid_cents: int) -> tuple[list[Settled], int]:
    """Apply ``paid_cents`` (all payments so far) to the calls, oldest first; returns the calls with
    what each has received, and the credit left over."""
    left = paid_cents
    settled = []
    for call in sorted(calls, key=lambda c: (c.due, c.year, c.key)):
        applied = min(left, call.amount_cents)
        left -= applied
        settled.append(Settled(call.key, call.year, call.amount_cents, call.due, applied))
    return settled, left


@dataclass(frozen=True)
class Arrears:
    """Art. V.8 for one state on one day: the figures and the sentence that explains them."""

    no_vote: bool
    overdue_cents: int
    called_cents: int  # calls for the year of ``on`` and the year before
    first_year: int
    last_year: int

    def explanation(self, state_name: str) -> str:
        values = {
            "state": state_name,
            "overdue": format_eur(self.overdue_cents),
            "called": format_eur(self.called_cents),
            "years": f"{self.first_year}\N{EN DASH}{self.last_year}",
        }
        if self.no_vote:
            return _("%(state)s: arrears %(overdue)s exceed the %(called)s called for %(years)s: no vote") % values
        if self.overdue_cents == 0:
            return _("%(state)s: no arrears: votes") % values
        return _("%(state)s: arrears %(overdue)s do not exceed the %(called)s called for %(years)s: votes") % values


def arrears(calls: Sequence[CallLine], paid_cents: int, *, on: dt.date) -> Arrears:
    """Whether a state has lost its vote on day ``on`` (Convention art. V.8, see the module docstring)."""
    settled, _credit = settle(calls, paid_cents)
    overdue = sum(s.outstanding_cents for s in settled if s.due < on)
    window = (on.year - 1, on.year)
    called = sum(c.amount_cents for c in calls if c.year in window)
    return Arrears(
        no_vote=overdue > called, overdue_cents=overdue, called_cents=called, first_year=window[0], last_year=window[1]
    )


def format_eur(cents: int) -> str:
    """EUR amounts as people read them: millions with one decimal, smaller sums to the cent."""
    if abs(cents) >= 100_000_000:  # one million euros
        tenths = (abs(cents) + 5_000_000) // 10_000_000  # round half up to 0.1 M, in integers
        sign = "-" if cents < 0 else ""
        return f"EUR {sign}{tenths // 10}.{tenths % 10} M"
    euros, rest = divmod(abs(cents), 100)
    return f"EUR {'-' if cents < 0 else ''}{euros:,}.{rest:02d}"
