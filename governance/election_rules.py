"""Elections among candidates (rules.md §4) as pure functions over plain values.

No database, no request: the election service counts the published choices of a round, calls
``count_round`` and stores the counts it was given and the outcome it returns; pages call ``explain``
with those stored numbers, so the sentence is written in the reader's language.

The rule: a secret ballot among candidates, one vote per elector or abstain. Elected: a candidate with
more than half of the votes cast for candidates (abstentions are not votes cast for a candidate).
Otherwise a second round between the two best placed; a tie in the second round elects nobody and is
reported as such.

Decisions (the rules are silent; shown to users through the explanations):
- "more than half" is computed with integers: ``2 * votes > cast``; the sentence gives the number
  needed (``cast // 2 + 1``);
- when a tie makes "the two best placed" ambiguous (two or more tied first, or several tied second),
  every candidate in the tie goes to the second round, so no lot is drawn and nobody tied is dropped;
- in the second round the candidate with the most votes is elected (with two candidates that is more
  than half of the votes cast for them); a tie for the most votes, or no vote cast for any candidate,
  elects nobody;
- a first round with a single candidate elects them with more than half of the votes cast for
  candidates (so at least one vote); with none, the second round is held with that candidate alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from cernai.core import sentences
from cernai.core.sentences import gettext as _
from cernai.core.sentences import ngettext

FIRST_ROUND = 1
SECOND_ROUND = 2


class RoundOutcome(StrEnum):
    ELECTED = "elected"
    SECOND_ROUND = "second_round"
    NOBODY = "nobody"


@dataclass(frozen=True)
class RoundResult:
    """What one round decides, with the figures its explanation needs."""

    round: int
    outcome: RoundOutcome
    votes: Mapping[str, int]  # candidate key -> votes, every candidate of the round (zero included)
    abstain: int
    cast_for_candidates: int
    needed: int  # first round: more than half of the votes cast for candidates
    elected: str | None = None
    # The second round's candidates (first round without a majority) or those tied (second round).
    runoff: tuple[str, ...] = ()

    def ranking(self) -> list[tuple[str, int]]:
        """Candidates by votes, best first (ties keep the candidates' given order)."""
        return sorted(self.votes.items(), key=lambda kv: -kv[1])


def more_than_half(cast: int) -> int:
    """The least number of votes that is more than half of ``cast``."""
    return cast // 2 + 1


def _best_two(votes: Mapping[str, int]) -> tuple[str, ...]:
    """The two best placed, widened to every candidate tied at the cut (see the module's decisions)."""
    ranked = sorted(votes.items(), key=lambda kv: -kv[1])
    if len(ranked) <= 2:
        return tuple(k for k, _v in ranked)
    cut = ranked[1][1]
    return tuple(k for k, v in ranked if v >= cut)


def count_round(*, round: int, votes: Mapping[str, int], abstain: int = 0) -> RoundResult:
    """Decide a round from its votes per candidate (every candidate of the round, in ballot order)."""
    if round not in (FIRST_ROUND, SECOND_ROUND):
        raise ValueError("an election has a first and a second round only")
    if not votes:
        raise ValueError("a round needs at least one candidate")
    if any(v < 0 for v in votes.values()) or abstain < 0:
        raise ValueError("counts are never negative")
    votes = dict(votes)
    cast = sum(votes.values())
    needed = more_than_half(cast)
    common = {"round": round, "votes": votes, "abstain": abstain, "cast_for_candidates": cast, "needed": needed}
    ranked = sorted(votes.items(), key=lambda kv: -kv[1])
    best, best_votes = ranked[0]
    if round == FIRST_ROUND:
        if 2 * best_votes > cast:
            return RoundResult(outcome=RoundOutcome.ELECTED, elected=best, **common)  # type: ignore[arg-type]
        return RoundResult(outcome=RoundOutcome.SECOND_ROUND, runoff=_best_two(votes), **common)  # type: ignore[arg-type]
    tied = tuple(k for k, v in ranked if v == best_votes)
    if best_votes == 0 or len(tied) > 1:
        return RoundResult(outcome=RoundOutcome.NOBODY, runoff=tied if best_votes else (), **common)  # type: ignore[arg-type]
    return RoundResult(outcome=RoundOutcome.ELECTED, elected=best, **common)  # type: ignore[arg-type]


def _names(keys: Sequence[str], names: Mapping[str, str]) -> str:
    labels = [names.get(k, k) for k in keys]
    if len(labels) <= 1:
        return "".join(labels)
    return _("%(first)s and %(last)s") % {"first": ", ".join(labels[:-1]), "last": labels[-1]}


def explain(result: RoundResult, names: Mapping[str, str]) -> str:
    """The sentence that explains a round's result, from its figures (call it while rendering)."""

    def name(key: str) -> str:
        return names.get(key, key)

    figures: dict[str, object] = {"cast": result.cast_for_candidates, "needed": result.needed}
    if result.outcome is RoundOutcome.ELECTED:
        assert result.elected is not None
        figures.update(name=name(result.elected), votes=result.votes[result.elected])
        others = [(k, v) for k, v in result.ranking() if k != result.elected]
        if result.round == FIRST_ROUND:
            sentence = _(
                "%(name)s: %(votes)d of the %(cast)d votes cast for candidates, "
                "more than half (%(needed)d needed) → elected."
            )
        elif others:
            figures.update(other=name(others[0][0]), other_votes=others[0][1])
            sentence = _(
                "Second round: %(name)s: %(votes)d of the %(cast)d votes cast for candidates, "
                "more than %(other)s (%(other_votes)d) → elected."
            )
        else:
            sentence = _("Second round: %(name)s: %(votes)d of the %(cast)d votes cast for candidates → elected.")
    elif result.outcome is RoundOutcome.SECOND_ROUND:
        best, best_votes = result.ranking()[0]
        figures.update(best=name(best), votes=best_votes, runoff=_names(result.runoff, names))
        sentence = _(
            "Nobody has more than half of the %(cast)d votes cast for candidates (%(needed)d needed; "
            "best placed %(best)s with %(votes)d) → second round between %(runoff)s."
        )
    elif result.runoff:
        figures.update(names=_names(result.runoff, names), votes=result.votes[result.runoff[0]])
        sentence = _("Second round: %(names)s tied with %(votes)d votes each → nobody is elected.")
    else:
        sentence = _("Second round: no vote was cast for a candidate → nobody is elected.")
    sentence = sentence % figures
    if result.abstain:
        abstentions = ngettext(
            "%(n)d abstention is not a vote for a candidate.",
            "%(n)d abstentions are not votes for a candidate.",
            result.abstain,
        ) % {"n": result.abstain}
        return sentences.join([sentence, abstentions])
    return sentence
