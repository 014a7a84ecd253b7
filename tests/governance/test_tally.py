"""rules.md §1 worked examples and properties of the one tally engine (pure: no database)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from governance.tally import (
    Electorate,
    Outcome,
    StateFacts,
    admission_may_open,
    amendment_status,
    entitlement,
    quorum_met,
    tally,
    two_thirds_of,
)

E23 = Electorate(all_states=23, entitled=23, present=23)


def test_example_1_ordinary_19_present_3_abstain_9_yes_7_no_is_adopted() -> None:
    result = tally(kind="ordinary", yes=9, no=7, abstain=3, electorate=Electorate(23, 23, present=19))
    assert result.outcome is Outcome.ADOPTED
    assert (result.yes, result.no, result.abstain, result.threshold) == (9, 7, 3, 9)
    assert result.explanation == (
        "Ordinary rule: simple majority of the 16 states voting = more yes than no; "
        "9 yes, 7 no, 3 abstentions not counted → adopted."
    )


def test_example_2_ordinary_tie_is_not_adopted() -> None:
    result = tally(kind="ordinary", yes=8, no=8, abstain=0, electorate=E23)
    assert result.outcome is Outcome.REJECTED
    assert "8 yes, 8 no → rejected" in result.explanation


def test_example_3_budget_13_of_20_rejected_14_of_20_adopted() -> None:
    rejected = tally(kind="budget", yes=13, no=7, abstain=0, electorate=E23)
    assert (rejected.outcome, rejected.threshold) == (Outcome.REJECTED, 14)
    adopted = tally(kind="budget", yes=14, no=6, abstain=0, electorate=E23)
    assert (adopted.outcome, adopted.threshold) == (Outcome.ADOPTED, 14)
    assert adopted.explanation == "Budget rule: two-thirds of the 20 states voting = 14 needed; 14 yes → adopted."


def test_example_4_contribution_scale_14_yes_needs_16_of_23() -> None:
    result = tally(kind="two_thirds_all", yes=14, no=6, abstain=0, electorate=E23)
    assert (result.outcome, result.threshold, result.denominator) == (Outcome.REJECTED, 16, 23)
    assert "two-thirds of 23 = 16 needed; 14 yes → rejected" in result.explanation


def test_example_5_admission_22_yes_one_absent_is_rejected() -> None:
    result = tally(kind="admission", yes=22, no=0, abstain=0, electorate=Electorate(23, 23, present=22))
    assert (result.outcome, result.threshold) == (Outcome.REJECTED, 23)
    assert tally(kind="admission", yes=23, no=0, abstain=0, electorate=E23).outcome is Outcome.ADOPTED


def test_example_5_admission_needs_three_months_notice() -> None:
    ok, _ = admission_may_open(circulated_on=dt.date(2026, 1, 15), opens_on=dt.date(2026, 4, 15))
    assert ok
    refused, reason = admission_may_open(circulated_on=dt.date(2026, 1, 15), opens_on=dt.date(2026, 4, 14))
    assert not refused
    assert "cannot open before 2026-04-15" in reason
    # Month ends clip: 30 November + 3 months = 28 February.
    assert admission_may_open(circulated_on=dt.date(2025, 11, 30), opens_on=dt.date(2026, 2, 28))[0]
    assert not admission_may_open(circulated_on=None, opens_on=dt.date(2026, 2, 28))[0]


def test_example_6_programme_with_10_participants_needs_7() -> None:
    programme = Electorate(all_states=10, entitled=10, present=10)
    assert tally(kind="two_thirds_all", yes=7, no=3, abstain=0, electorate=programme).outcome is Outcome.ADOPTED
    six = tally(kind="two_thirds_all", yes=6, no=0, abstain=0, electorate=programme)
    assert (six.outcome, six.threshold) == (Outcome.REJECTED, 7)
    # A non-participant is outside the programme's electorate altogether.
    assert entitlement(StateFacts(status="member", participates=False)) == ("not_participant", False)


def test_arrears_state_does_not_vote_but_counts_in_all_member_states() -> None:
    assert entitlement(StateFacts(status="member", in_arrears=True)) == ("arrears", True)
    assert entitlement(StateFacts(status="member", in_arrears=True, authorised=True)) == ("entitled", True)
    # 23 states, one in arrears: 15 yes out of 22 voting is still short of 16 of all 23.
    electorate = Electorate(all_states=23, entitled=22, present=22)
    assert tally(kind="two_thirds_all", yes=15, no=7, abstain=0, electorate=electorate).outcome is Outcome.REJECTED
    assert tally(kind="two_thirds_all", yes=16, no=6, abstain=0, electorate=electorate).outcome is Outcome.ADOPTED


@pytest.mark.parametrize(
    ("status", "reason"), [("associate", "associate"), ("observer", "observer"), ("candidate", "candidate")]
)
def test_non_members_do_not_vote_nor_count(status: str, reason: str) -> None:
    assert entitlement(StateFacts(status=status)) == (reason, False)


def test_quorum_needs_a_majority_of_entitled_states_present() -> None:
    no_quorum = tally(kind="ordinary", yes=9, no=2, abstain=0, electorate=Electorate(23, 23, present=11))
    assert no_quorum.outcome is Outcome.NO_QUORUM
    assert no_quorum.explanation == (
        "Quorum: a majority of the 23 states entitled to vote = 12 needed present; 11 present → invalid (no quorum)."
    )
    assert tally(kind="ordinary", yes=9, no=2, abstain=0, electorate=Electorate(23, 23, present=12)).adopted
    not_required = Electorate(23, 23, present=1, quorum_required=False)
    assert tally(kind="ordinary", yes=1, no=0, abstain=0, electorate=not_required).adopted


def test_budget_with_nobody_voting_is_not_adopted() -> None:
    assert tally(kind="budget", yes=0, no=0, abstain=5, electorate=E23).outcome is Outcome.REJECTED


def test_amendment_in_force_only_when_every_member_state_ratified() -> None:
    states = {"FR": "France", "DE": "Germany", "IT": "Italy"}
    pending = amendment_status(member_states=states, ratified={"FR", "IT"})
    assert not pending.in_force
    assert pending.explanation == (
        "Convention amendment: 2 of 3 member states have ratified → not yet in force (missing: Germany)."
    )
    assert amendment_status(member_states=states, ratified={"FR", "IT", "DE"}).in_force
    with pytest.raises(ValueError, match="ratification"):
        tally(kind="amendment", yes=3, no=0, abstain=0, electorate=Electorate(3, 3))


def test_weighted_qualified_majority_needs_67_percent_of_weights() -> None:
    base = {"all_states": 4, "entitled": 4, "present": 4, "weights_all": Decimal("100")}
    ok = Electorate(**base, weights_yes=Decimal("67"), weights_no=Decimal("33"))  # type: ignore[arg-type]
    assert tally(kind="budget", yes=1, no=3, abstain=0, electorate=ok, weighted=True).adopted
    short = Electorate(**base, weights_yes=Decimal("66.999"), weights_no=Decimal("33.001"))  # type: ignore[arg-type]
    result = tally(kind="budget", yes=3, no=1, abstain=0, electorate=short, weighted=True)
    assert result.outcome is Outcome.REJECTED and result.weighted


def test_weighted_simple_majority_needs_weights_and_no_more_than_half_against() -> None:
    base = {"all_states": 4, "entitled": 4, "present": 4, "weights_all": Decimal("100")}
    big_yes = Electorate(**base, weights_yes=Decimal("60"), weights_no=Decimal("40"))  # type: ignore[arg-type]
    assert tally(kind="ordinary", yes=1, no=2, abstain=0, electorate=big_yes, weighted=True).adopted
    # Three of four members against: refused even with most of the weight.
    assert not tally(kind="ordinary", yes=1, no=3, abstain=0, electorate=big_yes, weighted=True).adopted
    # Off by default: the same counts under the head-count rule.
    assert not tally(kind="ordinary", yes=1, no=2, abstain=0, electorate=big_yes).adopted


counts = st.integers(min_value=0, max_value=200)


@st.composite
def ballots(draw: st.DrawFn) -> tuple[int, int, int, Electorate]:
    entitled = draw(st.integers(min_value=1, max_value=200))
    arrears = draw(st.integers(min_value=0, max_value=10))
    yes = draw(st.integers(min_value=0, max_value=entitled))
    no = draw(st.integers(min_value=0, max_value=entitled - yes))
    abstain = draw(st.integers(min_value=0, max_value=entitled - yes - no))
    return yes, no, abstain, Electorate(all_states=entitled + arrears, entitled=entitled, present=entitled)


@given(ballots())
def test_ordinary_adopted_iff_more_yes_than_no(ballot: tuple[int, int, int, Electorate]) -> None:
    yes, no, abstain, electorate = ballot
    result = tally(kind="ordinary", yes=yes, no=no, abstain=abstain, electorate=electorate)
    assert result.adopted == (yes > no)
    assert result.adopted == (yes >= result.threshold)


@given(ballots())
def test_budget_adopted_iff_two_thirds_of_those_voting(ballot: tuple[int, int, int, Electorate]) -> None:
    yes, no, abstain, electorate = ballot
    result = tally(kind="budget", yes=yes, no=no, abstain=abstain, electorate=electorate)
    assert result.adopted == (yes > 0 and 3 * yes >= 2 * (yes + no))
    assert result.adopted == (yes >= result.threshold)


@given(ballots())
def test_two_thirds_of_all_counts_arrears_in_the_denominator(ballot: tuple[int, int, int, Electorate]) -> None:
    yes, no, abstain, electorate = ballot
    result = tally(kind="two_thirds_all", yes=yes, no=no, abstain=abstain, electorate=electorate)
    assert result.adopted == (yes > 0 and 3 * yes >= 2 * electorate.all_states)
    assert result.denominator == electorate.all_states


@given(ballots(), st.sampled_from(["ordinary", "budget", "two_thirds_all", "admission"]))
def test_abstentions_never_change_the_outcome(ballot: tuple[int, int, int, Electorate], kind: str) -> None:
    yes, no, abstain, electorate = ballot
    with_abstentions = tally(kind=kind, yes=yes, no=no, abstain=abstain, electorate=electorate)
    without = tally(kind=kind, yes=yes, no=no, abstain=0, electorate=electorate)
    assert with_abstentions.outcome == without.outcome


@given(ballots(), st.sampled_from(["ordinary", "budget", "two_thirds_all", "admission"]))
def test_one_more_yes_never_hurts(ballot: tuple[int, int, int, Electorate], kind: str) -> None:
    yes, no, abstain, electorate = ballot
    if abstain == 0:
        return
    before = tally(kind=kind, yes=yes, no=no, abstain=abstain, electorate=electorate)
    after = tally(kind=kind, yes=yes + 1, no=no, abstain=abstain - 1, electorate=electorate)
    assert after.adopted or not before.adopted


@given(st.integers(min_value=0, max_value=10_000))
def test_two_thirds_is_the_least_integer_at_or_above_two_thirds(n: int) -> None:
    t = two_thirds_of(n)
    assert 3 * t >= 2 * n
    assert t == 0 or 3 * (t - 1) < 2 * n


@given(st.integers(min_value=1, max_value=500), st.integers(min_value=0, max_value=500))
def test_quorum_is_a_strict_majority(entitled: int, present: int) -> None:
    assert quorum_met(entitled=entitled, present=present) == (present > entitled / 2)
