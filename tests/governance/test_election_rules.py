"""rules.md §4 on elections, as pure rule tests (governance/election_rules.py, no database): elected
with more than half of the votes cast for candidates, otherwise a second round between the two best
placed, a tie in the second round elects nobody and is reported; and the portal's decisions where the
rules are silent (ties at the cut, abstentions, a single candidate)."""

from __future__ import annotations

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from governance.election_rules import RoundOutcome, count_round, explain, more_than_half

NAMES = {"a": "Candidate A", "b": "Candidate B", "c": "Candidate C", "d": "Candidate D"}


def test_more_than_half_of_the_votes_cast_for_candidates_elects_in_the_first_round() -> None:
    # The sentence: 13 of 24 is more than half.
    result = count_round(round=1, votes={"a": 8, "b": 13, "c": 3}, abstain=2)
    assert result.outcome is RoundOutcome.ELECTED and result.elected == "b"
    assert (result.cast_for_candidates, result.needed, result.abstain) == (24, 13, 2)
    assert explain(result, NAMES) == (
        "Candidate B: 13 of the 24 votes cast for candidates, more than half (13 needed) → elected. "
        "2 abstentions are not votes for a candidate."
    )


def test_exactly_half_is_not_more_than_half_so_a_second_round_between_the_two_best_placed() -> None:
    result = count_round(round=1, votes={"a": 12, "b": 9, "c": 3})
    assert result.outcome is RoundOutcome.SECOND_ROUND and result.elected is None
    assert result.runoff == ("a", "b")
    assert explain(result, NAMES) == (
        "Nobody has more than half of the 24 votes cast for candidates (13 needed; best placed Candidate A "
        "with 12) → second round between Candidate A and Candidate B."
    )


def test_abstentions_are_not_votes_cast_for_candidates() -> None:
    # 10 of 30 electors' votes would not be a majority, but 10 of the 19 cast for candidates is.
    result = count_round(round=1, votes={"a": 10, "b": 9}, abstain=11)
    assert result.outcome is RoundOutcome.ELECTED and result.elected == "a"
    assert result.cast_for_candidates == 19


def test_second_round_more_votes_than_the_other_elects() -> None:
    result = count_round(round=2, votes={"a": 11, "b": 13}, abstain=1)
    assert result.outcome is RoundOutcome.ELECTED and result.elected == "b"
    assert explain(result, NAMES) == (
        "Second round: Candidate B: 13 of the 24 votes cast for candidates, more than Candidate A (11) → elected. "
        "1 abstention is not a vote for a candidate."
    )


def test_a_tie_in_the_second_round_elects_nobody_and_is_reported() -> None:
    result = count_round(round=2, votes={"a": 12, "b": 12})
    assert result.outcome is RoundOutcome.NOBODY and result.elected is None
    assert result.runoff == ("a", "b")
    assert (
        explain(result, NAMES)
        == "Second round: Candidate A and Candidate B tied with 12 votes each → nobody is elected."
    )


def test_decision_a_tie_for_second_place_sends_every_tied_candidate_to_the_second_round() -> None:
    result = count_round(round=1, votes={"a": 10, "b": 5, "c": 5, "d": 2})
    assert result.outcome is RoundOutcome.SECOND_ROUND
    assert result.runoff == ("a", "b", "c")
    assert explain(result, NAMES).endswith("second round between Candidate A, Candidate B and Candidate C.")
    # ... and in that second round the most votes elect, a tie for the most elects nobody.
    assert count_round(round=2, votes={"a": 9, "b": 7, "c": 6}).elected == "a"
    assert count_round(round=2, votes={"a": 8, "b": 8, "c": 6}).outcome is RoundOutcome.NOBODY


def test_decision_a_tie_for_first_place_between_three_sends_all_three() -> None:
    result = count_round(round=1, votes={"a": 6, "b": 6, "c": 6, "d": 1})
    assert result.runoff == ("a", "b", "c")


def test_decision_a_single_candidate_needs_at_least_one_vote() -> None:
    assert count_round(round=1, votes={"a": 1}, abstain=20).elected == "a"
    nobody_voted = count_round(round=1, votes={"a": 0}, abstain=20)
    assert nobody_voted.outcome is RoundOutcome.SECOND_ROUND and nobody_voted.runoff == ("a",)
    second = count_round(round=2, votes={"a": 0}, abstain=20)
    assert second.outcome is RoundOutcome.NOBODY
    assert explain(second, NAMES) == (
        "Second round: no vote was cast for a candidate → nobody is elected. "
        "20 abstentions are not votes for a candidate."
    )


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="first and a second round"):
        count_round(round=3, votes={"a": 1})
    with pytest.raises(ValueError, match="at least one candidate"):
        count_round(round=1, votes={})
    with pytest.raises(ValueError, match="never negative"):
        count_round(round=1, votes={"a": -1})


def test_the_sentence_is_written_in_the_readers_language() -> None:
    result = count_round(round=1, votes={"a": 8, "b": 13, "c": 3})
    with translation.override("fr"):
        sentence = explain(result, NAMES)
    assert sentence == (
        "Candidate B : 13 des 24 voix exprimées en faveur de candidats, plus de la moitié (13 requises) → élu·e."
    )


@given(st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=6), st.integers(0, 20))
def test_properties_of_the_first_round(counts: list[int], abstain: int) -> None:
    votes = {f"k{i}": v for i, v in enumerate(counts)}
    result = count_round(round=1, votes=votes, abstain=abstain)
    cast = sum(counts)
    assert result.needed == more_than_half(cast) and 2 * result.needed > cast >= 2 * (result.needed - 1)
    if result.outcome is RoundOutcome.ELECTED:
        assert result.elected is not None and 2 * votes[result.elected] > cast
    else:
        assert all(2 * v <= cast for v in counts)
        assert 1 <= len(result.runoff) <= len(counts)
        assert len(result.runoff) >= min(2, len(counts))
        # Nobody left out of the second round has more votes than anyone in it.
        worst_in = min(votes[k] for k in result.runoff)
        assert all(v <= worst_in for k, v in votes.items() if k not in result.runoff)
        assert all(v < worst_in for k, v in votes.items() if k not in result.runoff)
    assert explain(result, {})  # always explained


@given(st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=4))
def test_properties_of_the_second_round(counts: list[int]) -> None:
    votes = {f"k{i}": v for i, v in enumerate(counts)}
    result = count_round(round=2, votes=votes)
    best = max(counts)
    if result.outcome is RoundOutcome.ELECTED:
        assert result.elected is not None and votes[result.elected] == best > 0 and counts.count(best) == 1
    else:
        assert best == 0 or counts.count(best) > 1
