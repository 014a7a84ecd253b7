"""The Council's majority rules (rules.md §1) as pure functions over plain values.

No database, no request: services load the electorate and the votes, call ``tally`` and store what
it returns. Every threshold is computed with integers ("two-thirds" = ``3 * yes >= 2 * denominator``).

Decisions (the Convention is silent; shown to users through the explanations):
- a state in arrears without an authorisation does not vote but still counts in "all member states";
- for programme matters "all member states" means all states participating in the programme;
- quorum: a majority of the states entitled to vote were present when the ballot opened;
- a budget vote with nobody voting is not adopted (at least one yes is needed);
- the optional contribution-weighted rule replaces the head-count rule of ordinary motions (weighted
  simple majority) and of budget / two-thirds-of-all motions (qualified majority of 67 %).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from cernai.core import sentences
from cernai.core.sentences import gettext as _
from cernai.core.sentences import ngettext

ADMISSION_NOTICE_MONTHS = 3
WEIGHTED_QUALIFIED_PERCENT = 67


class Kind(StrEnum):
    ORDINARY = "ordinary"
    BUDGET = "budget"
    TWO_THIRDS_ALL = "two_thirds_all"
    ADMISSION = "admission"
    AMENDMENT = "amendment"


class Outcome(StrEnum):
    ADOPTED = "adopted"
    REJECTED = "rejected"
    NO_QUORUM = "no_quorum"


@dataclass(frozen=True)
class Result:
    """What a tally decides, with the numbers and one sentence that explains it."""

    outcome: Outcome
    yes: int
    no: int
    abstain: int
    threshold: int
    denominator: int
    explanation: str
    weighted: bool = False

    @property
    def adopted(self) -> bool:
        return self.outcome is Outcome.ADOPTED


@dataclass(frozen=True)
class Electorate:
    """The frozen electorate of a ballot, as counts.

    ``all_states``: "all member states" (programme participants for programme matters), arrears included.
    ``entitled``: those who may vote. ``present``: entitled states present when the ballot opened.
    """

    all_states: int
    entitled: int
    present: int | None = None
    quorum_required: bool = True
    # Optional contribution-weighted rule: per-state weights (shares in %) of all states and of the cast votes.
    weights_all: Decimal | None = None
    weights_yes: Decimal = Decimal(0)
    weights_no: Decimal = Decimal(0)
    notes: tuple[str, ...] = field(default_factory=tuple)


def outcome_word(outcome: Outcome) -> str:
    return {
        Outcome.ADOPTED: _("adopted"),
        Outcome.REJECTED: _("rejected"),
        Outcome.NO_QUORUM: _("invalid (no quorum)"),
    }[outcome]


def two_thirds_of(n: int) -> int:
    """The least integer t with 3·t ≥ 2·n ("at least two-thirds")."""
    return (2 * n + 2) // 3


def quorum_met(*, entitled: int, present: int) -> bool:
    """A majority of the states entitled to vote: 2·present > entitled."""
    return 2 * present > entitled


def quorum_line(*, entitled: int, present: int) -> str:
    """The sentence the chair reads before opening, and the reason an opening without quorum is refused."""
    needed = entitled // 2 + 1
    figures = {"entitled": entitled, "needed": needed, "present": present}
    if quorum_met(entitled=entitled, present=present):
        return (
            _(
                "Quorum: a majority of the %(entitled)d states entitled to vote = %(needed)d needed present; "
                "%(present)d present → quorum met."
            )
            % figures
        )
    return (
        _(
            "Quorum: a majority of the %(entitled)d states entitled to vote = %(needed)d needed present; "
            "%(present)d present → no quorum: the ballot cannot open until more delegations check in."
        )
        % figures
    )


def tally(*, kind: str, yes: int, no: int, abstain: int, electorate: Electorate, weighted: bool = False) -> Result:
    """Decide a ballot under its motion's rule; see the module docstring for the decisions taken."""
    kind = Kind(kind)
    if min(yes, no, abstain) < 0:
        raise ValueError("counts cannot be negative")
    if yes + no + abstain > electorate.entitled:
        raise ValueError("more votes than states entitled to vote")
    if kind is Kind.AMENDMENT:
        raise ValueError("convention amendments are decided by ratification; use amendment_status()")

    if (
        electorate.quorum_required
        and electorate.present is not None
        and not quorum_met(entitled=electorate.entitled, present=electorate.present)
    ):
        needed = electorate.entitled // 2 + 1
        return Result(
            Outcome.NO_QUORUM,
            yes,
            no,
            abstain,
            needed,
            electorate.entitled,
            _(
                "Quorum: a majority of the %(entitled)d states entitled to vote = %(needed)d needed present; "
                "%(present)d present → invalid (no quorum)."
            )
            % {"entitled": electorate.entitled, "needed": needed, "present": electorate.present},
        )

    if weighted and electorate.weights_all is not None and kind in (Kind.ORDINARY, Kind.BUDGET, Kind.TWO_THIRDS_ALL):
        return _weighted(kind, yes, no, abstain, electorate)

    voting = yes + no
    if kind is Kind.ORDINARY:
        threshold = voting // 2 + 1
        adopted = yes > no
        sentence = _(
            "Ordinary rule: simple majority of the %(voting)d states voting = more yes than no; "
            "%(yes)d yes, %(no)d no%(abst)s → %(outcome)s."
        )
        denominator = voting
    elif kind is Kind.BUDGET:
        threshold = max(1, two_thirds_of(voting))
        adopted = yes >= threshold and 3 * yes >= 2 * voting
        sentence = _(
            "Budget rule: two-thirds of the %(voting)d states voting = %(threshold)d needed; "
            "%(yes)d yes%(abst)s → %(outcome)s."
        )
        denominator = voting
    elif kind is Kind.TWO_THIRDS_ALL:
        threshold = two_thirds_of(electorate.all_states)
        adopted = 3 * yes >= 2 * electorate.all_states and yes > 0
        sentence = _(
            "Two-thirds of all member states: two-thirds of %(all)d = %(threshold)d needed; "
            "%(yes)d yes%(abst)s → %(outcome)s."
        )
        denominator = electorate.all_states
    else:  # admission
        threshold = electorate.all_states
        adopted = yes == electorate.all_states and yes > 0
        sentence = _(
            "Admission: unanimity of all %(all)d member states = %(threshold)d needed; %(yes)d yes → %(outcome)s."
        )
        denominator = electorate.all_states
    outcome = Outcome.ADOPTED if adopted else Outcome.REJECTED
    abst = (
        ngettext(", %(n)d abstention not counted", ", %(n)d abstentions not counted", abstain) % {"n": abstain}
        if abstain
        else ""
    )
    explanation = sentence % {
        "voting": voting,
        "yes": yes,
        "no": no,
        "all": electorate.all_states,
        "threshold": threshold,
        "abst": abst,
        "outcome": outcome_word(outcome),
    }
    if electorate.notes:
        explanation = sentences.join([explanation, *electorate.notes])
    return Result(outcome, yes, no, abstain, threshold, denominator, explanation)


def _weighted(kind: Kind, yes: int, no: int, abstain: int, electorate: Electorate) -> Result:
    # Work in thousandths of a percent so the comparisons stay in integers.
    def milli(value: Decimal) -> int:
        return int((value * 1000).to_integral_value())

    w_all, w_yes, w_no = (
        milli(electorate.weights_all or Decimal(0)),
        milli(electorate.weights_yes),
        milli(electorate.weights_no),
    )
    if kind is Kind.ORDINARY:
        cast = w_yes + w_no
        adopted = 2 * w_yes > cast and 2 * no <= electorate.all_states
        explanation = _(
            "Contribution-weighted simple majority: more than 50%% of the weights cast (%(yes_w)s%% of %(cast_w)s%%) "
            "and no more than half of the %(all)d members against (%(no)d) → %(outcome)s."
        )
        threshold = cast // 2 + 1
    else:
        adopted = 100 * w_yes >= WEIGHTED_QUALIFIED_PERCENT * w_all and w_all > 0
        explanation = _(
            "Contribution-weighted qualified majority: 67%% of the weights (%(all_w)s%%) needed; "
            "%(yes_w)s%% in favour → %(outcome)s."
        )
        threshold = (WEIGHTED_QUALIFIED_PERCENT * w_all + 99) // 100
    outcome = Outcome.ADOPTED if adopted else Outcome.REJECTED
    text = explanation % {
        "yes_w": f"{w_yes / 1000:.3f}".rstrip("0").rstrip("."),
        "cast_w": f"{(w_yes + w_no) / 1000:.3f}".rstrip("0").rstrip("."),
        "all_w": f"{w_all / 1000:.3f}".rstrip("0").rstrip("."),
        "all": electorate.all_states,
        "no": no,
        "outcome": outcome_word(outcome),
    }
    return Result(outcome, yes, no, abstain, threshold, w_all, text, weighted=True)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, clipped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def admission_may_open(*, circulated_on: dt.date | None, opens_on: dt.date) -> tuple[bool, str]:
    """An admission ballot may open only 3 months or more after the request was circulated."""
    if circulated_on is None:
        return False, _("Admission: the date the request was circulated must be recorded before the ballot opens.")
    earliest = add_months(circulated_on, ADMISSION_NOTICE_MONTHS)
    if opens_on < earliest:
        return False, _(
            "Admission: the request was circulated on %(circulated)s; the ballot cannot open before %(earliest)s "
            "(3 months' notice)."
        ) % {"circulated": circulated_on.isoformat(), "earliest": earliest.isoformat()}
    return True, ""


@dataclass(frozen=True)
class AmendmentStatus:
    in_force: bool
    ratified: int
    required: int
    missing: tuple[str, ...]
    explanation: str


def amendment_status(*, member_states: Mapping[str, str], ratified: set[str]) -> AmendmentStatus:
    """A convention amendment is in force once every member state (iso2 → name) has ratified it."""
    missing = tuple(sorted(name for iso, name in member_states.items() if iso not in ratified))
    count = len(member_states) - len(missing)
    in_force = not missing and bool(member_states)
    if in_force:
        text = _("Convention amendment: all %(n)d member states have ratified → in force.") % {"n": len(member_states)}
    else:
        text = _(
            "Convention amendment: %(count)d of %(n)d member states have ratified → not yet in force "
            "(missing: %(missing)s)."
        ) % {"count": count, "n": len(member_states), "missing": ", ".join(missing)}
    return AmendmentStatus(in_force, count, len(member_states), missing, text)


@dataclass(frozen=True)
class StateFacts:
    """What the electorate rule needs to know about one state at the moment a ballot opens."""

    status: str
    in_arrears: bool = False
    authorised: bool = False
    participates: bool = True


def entitlement(facts: StateFacts) -> tuple[str, bool]:
    """(reason, counts in 'all member states') for one state: see ElectorateEntry.Reason."""
    if facts.status != "member":
        return facts.status, False
    if not facts.participates:
        return "not_participant", False
    if facts.in_arrears and not facts.authorised:
        return "arrears", True
    return "entitled", True
