"""The committees' rules (rules.md §4, "Bodies") as pure functions over plain values.

A body's ballots count its own members. The Council counts member states' delegations (governance/
tally.py). A committee of one representative per member state counts states exactly like the Council
(one vote per state, the same electorate facts, tally.tally). A committee of members appointed ad
personam counts persons: one vote per member serving when the ballot opens.

Decisions (the texts are silent; shown to users through the explanations):
- a committee decides ordinary (simple majority of those voting), budget (two-thirds of those voting)
  and "two-thirds of all" motions; for a committee ad personam "all" means all its members serving
  at the opening. Admissions and convention amendments are the Council's alone;
- a committee's ballots are always "either" mode: each seat has one holder, there is no dual key;
- quorum, when the body requires it: a majority of the members entitled to vote checked in to the
  session when the ballot opened (states for a committee of representatives, persons ad personam);
- every serving member ad personam is entitled: nationality, arrears and programmes do not apply to
  a person sitting in their own capacity.
"""

from __future__ import annotations

from cernai.core.sentences import gettext as _
from cernai.core.sentences import ngettext

from . import tally

COUNCIL = "council"
AD_PERSONAM = "ad_personam"
PER_STATE = "per_state"

COMMITTEE_MOTION_KINDS = (tally.Kind.ORDINARY, tally.Kind.BUDGET, tally.Kind.TWO_THIRDS_ALL)


def motion_kind_allowed(*, body_kind: str, motion_kind: str) -> bool:
    """Whether a body of ``body_kind`` decides motions of ``motion_kind`` by ballot."""
    return body_kind == COUNCIL or tally.Kind(motion_kind) in COMMITTEE_MOTION_KINDS


def joint_mode_allowed(*, body_kind: str) -> bool:
    """The dual key needs two delegates per seat: only the Council's delegations have them."""
    return body_kind == COUNCIL


def quorum_line(*, body_kind: str, entitled: int, present: int) -> str:
    """The quorum sentence in the body's own unit (members in person, or states)."""
    if body_kind != AD_PERSONAM:
        return tally.quorum_line(entitled=entitled, present=present)
    figures = {"entitled": entitled, "needed": entitled // 2 + 1, "present": present}
    if tally.quorum_met(entitled=entitled, present=present):
        return (
            _(
                "Quorum: a majority of the %(entitled)d members entitled to vote = %(needed)d needed present; "
                "%(present)d present → quorum met."
            )
            % figures
        )
    return (
        _(
            "Quorum: a majority of the %(entitled)d members entitled to vote = %(needed)d needed present; "
            "%(present)d present → no quorum: the ballot cannot open until more members check in."
        )
        % figures
    )


def tally_body(
    *, body_kind: str, kind: str, yes: int, no: int, abstain: int, electorate: tally.Electorate, weighted: bool = False
) -> tally.Result:
    """Decide a ballot of any body: the Council and committees of states count states (tally.tally);
    a committee ad personam counts its members, one vote each (``electorate.all_states`` is then all
    its members serving at the opening)."""
    if body_kind != AD_PERSONAM:
        if body_kind != COUNCIL and not motion_kind_allowed(body_kind=body_kind, motion_kind=kind):
            raise ValueError("committees decide ordinary, budget and two-thirds-of-all motions only")
        return tally.tally(kind=kind, yes=yes, no=no, abstain=abstain, electorate=electorate, weighted=weighted)
    return _tally_members(tally.Kind(kind), yes, no, abstain, electorate)


def _tally_members(kind: tally.Kind, yes: int, no: int, abstain: int, electorate: tally.Electorate) -> tally.Result:
    if kind not in COMMITTEE_MOTION_KINDS:
        raise ValueError("committees decide ordinary, budget and two-thirds-of-all motions only")
    if min(yes, no, abstain) < 0:
        raise ValueError("counts cannot be negative")
    if yes + no + abstain > electorate.entitled:
        raise ValueError("more votes than members entitled to vote")
    if (
        electorate.quorum_required
        and electorate.present is not None
        and not tally.quorum_met(entitled=electorate.entitled, present=electorate.present)
    ):
        needed = electorate.entitled // 2 + 1
        return tally.Result(
            tally.Outcome.NO_QUORUM,
            yes,
            no,
            abstain,
            needed,
            electorate.entitled,
            _(
                "Quorum: a majority of the %(entitled)d members entitled to vote = %(needed)d needed present; "
                "%(present)d present → invalid (no quorum)."
            )
            % {"entitled": electorate.entitled, "needed": needed, "present": electorate.present},
        )
    voting = yes + no
    if kind is tally.Kind.ORDINARY:
        threshold, denominator = voting // 2 + 1, voting
        adopted = yes > no
        sentence = _(
            "Ordinary rule: simple majority of the %(voting)d members voting = more yes than no; "
            "%(yes)d yes, %(no)d no%(abst)s → %(outcome)s."
        )
    elif kind is tally.Kind.BUDGET:
        threshold, denominator = max(1, tally.two_thirds_of(voting)), voting
        adopted = yes >= threshold and 3 * yes >= 2 * voting
        sentence = _(
            "Budget rule: two-thirds of the %(voting)d members voting = %(threshold)d needed; "
            "%(yes)d yes%(abst)s → %(outcome)s."
        )
    else:
        threshold, denominator = tally.two_thirds_of(electorate.all_states), electorate.all_states
        adopted = 3 * yes >= 2 * electorate.all_states and yes > 0
        sentence = _(
            "Two-thirds of all members: two-thirds of %(all)d = %(threshold)d needed; "
            "%(yes)d yes%(abst)s → %(outcome)s."
        )
    outcome = tally.Outcome.ADOPTED if adopted else tally.Outcome.REJECTED
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
        "outcome": tally.outcome_word(outcome),
    }
    return tally.Result(outcome, yes, no, abstain, threshold, denominator, explanation)
