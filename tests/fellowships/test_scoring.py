"""rules.md §2 review and decision: worked examples and hypothesis properties of scoring."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fellowships import scoring as s

CRITERIA = [s.WeightedCriterion(str(i), name, w) for i, (name, w) in enumerate(s.DEFAULT_CRITERIA)]


def scores(*values: str) -> dict[str, Decimal]:
    return {str(i): Decimal(v) for i, v in enumerate(values)}


def test_example_fundable_77() -> None:
    total = s.total_percent(CRITERIA, scores("4.5", "3.0", "3.5"))
    assert total == Decimal("77.0")
    assert s.fundable(total)
    assert "= 77.0 %" in s.explain_total(CRITERIA, scores("4.5", "3.0", "3.5"), Decimal(70))


def test_example_below_threshold_64() -> None:
    total = s.total_percent(CRITERIA, scores("3", "3", "4"))
    assert total == Decimal("64.0")
    assert not s.fundable(total)
    assert "below the threshold" in s.explain_total(CRITERIA, scores("3", "3", "4"), Decimal(70))


def test_threshold_is_inclusive() -> None:
    assert s.fundable(Decimal("70.0"))
    assert not s.fundable(Decimal("69.9"))


def test_blank_blocks_submission_and_is_never_zero() -> None:
    with pytest.raises(s.ScoreError) as error:
        s.validate_scores(CRITERIA, {"0": "4", "1": "", "2": "3"})
    assert set(error.value.errors) == {"1"}
    assert "blank" in error.value.errors["1"]


@pytest.mark.parametrize("bad", ["5.1", "-0.1", "4.55", "abc", "NaN", "Infinity"])
def test_bad_scores_are_refused_with_a_reason(bad: str) -> None:
    with pytest.raises(s.ScoreError) as error:
        s.validate_scores(CRITERIA, {"0": bad, "1": "3", "2": "3"})
    assert error.value.errors["0"]


def test_mean_of_completed_reviews_and_minimum_reviewers() -> None:
    one = s.aggregate("a", CRITERIA, [scores("4.5", "3.0", "3.5")], min_reviewers=2)
    assert one.total == Decimal("77.0") and not one.complete and not one.fundable
    two = s.aggregate("a", CRITERIA, [scores("4.5", "3.0", "3.5"), scores("3", "3", "4")], min_reviewers=2)
    assert two.total == Decimal("70.5") and two.fundable


def test_ties_broken_by_excellence_then_impact() -> None:
    # All three total 70 %: 50·a + 30·b + 20·c = 350.
    a = s.aggregate("a", CRITERIA, [scores("3.0", "5.0", "2.5"), scores("3.0", "5.0", "2.5")])
    b = s.aggregate("b", CRITERIA, [scores("4.0", "3.0", "3.0"), scores("4.0", "3.0", "3.0")])
    c = s.aggregate("c", CRITERIA, [scores("4.0", "2.0", "4.5"), scores("4.0", "2.0", "4.5")])
    unscored = s.aggregate("z", CRITERIA, [])
    assert a.total == b.total == c.total == Decimal("70.0")
    assert [x.key for x in s.rank([unscored, a, c, b])] == ["b", "c", "a", "z"]


def test_weights_must_sum_to_100() -> None:
    s.check_weights(CRITERIA)
    with pytest.raises(ValueError, match="add up to 100"):
        s.check_weights([s.WeightedCriterion("x", "X", 60)])


score = st.integers(min_value=0, max_value=50).map(lambda n: Decimal(n) / 10)


@given(score, score, score)
def test_total_is_between_0_and_100_and_matches_the_formula(a: Decimal, b: Decimal, c: Decimal) -> None:
    values = {"0": a, "1": b, "2": c}
    total = s.total_percent(CRITERIA, values)
    assert Decimal(0) <= total <= Decimal(100)
    assert total == (50 * a + 30 * b + 20 * c) / 5
    assert s.validate_scores(CRITERIA, {k: str(v) for k, v in values.items()}) == values


@given(st.lists(st.tuples(score, score, score), min_size=1, max_size=6))
def test_mean_lies_between_the_lowest_and_highest_review(rows: list[tuple[Decimal, Decimal, Decimal]]) -> None:
    reviews = [{"0": a, "1": b, "2": c} for a, b, c in rows]
    totals = [s.total_percent(CRITERIA, r) for r in reviews]
    standing = s.aggregate("k", CRITERIA, reviews, min_reviewers=1)
    assert standing.total is not None
    assert min(totals) - Decimal("0.05") <= standing.total <= max(totals) + Decimal("0.05")


@given(st.lists(st.tuples(score, score, score), min_size=1, max_size=8))
def test_ranking_orders_by_total(rows: list[tuple[Decimal, Decimal, Decimal]]) -> None:
    standings = [
        s.aggregate(i, CRITERIA, [{"0": a, "1": b, "2": c}], min_reviewers=1) for i, (a, b, c) in enumerate(rows)
    ]
    ranked = s.rank(standings)
    totals = [x.total for x in ranked]
    assert totals == sorted(totals, reverse=True)
