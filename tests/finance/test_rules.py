"""rules.md §4 money examples, and properties of the scale and settlement rules."""

# ruff: noqa: RUF001  (the explanations print year ranges with an en dash, as the rules do)

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from finance import rules

M = 100_000_000  # one million euros, in cents


def calls_per_year(amount: int, years: list[int]) -> list[rules.CallLine]:
    return [rules.CallLine(key=y, year=y, amount_cents=amount, due=rules.call_dates(y)[1]) for y in years]


def test_example_1_scale_with_ceiling() -> None:
    """NNI averages A 300, B 100, C 100 → 60/20/20; with a 50 % ceiling → 50/25/25."""
    nni = {"A": {2024: 300}, "B": {2024: 100}, "C": {2024: 100}}
    plain = rules.compute_scale(nni, first_year=2025, ceiling=Fraction(1), floor=Fraction(0))
    assert plain.shares() == {"A": Decimal("60"), "B": Decimal("20"), "C": Decimal("20")}
    capped = rules.compute_scale(nni, first_year=2025, ceiling=Fraction(1, 2), floor=Fraction(0))
    assert capped.shares() == {"A": Decimal("50"), "B": Decimal("25"), "C": Decimal("25")}
    assert [line.bound for line in capped.lines] == ["ceiling", "", ""]
    assert capped.rounds == (
        "Set to the ceiling: A; set to the floor: —; the other states share 50 % in proportion to their NNI.",
    )


def test_example_2_arrears_then_payment_gives_the_vote_back() -> None:
    """Called 10 a year in 2024-2026, nothing paid, on 1 June 2026: 30 > 20, no vote; pay 10: 20, votes."""
    calls = calls_per_year(10 * M, [2024, 2025, 2026])
    on = dt.date(2026, 6, 1)
    before = rules.arrears(calls, 0, on=on)
    assert (before.no_vote, before.overdue_cents, before.called_cents) == (True, 30 * M, 20 * M)
    assert (
        before.explanation("Italy") == "Italy: arrears EUR 30.0 M exceed the EUR 20.0 M called for 2025–2026: no vote"
    )
    after = rules.arrears(calls, 10 * M, on=on)
    assert (after.no_vote, after.overdue_cents) == (False, 20 * M)
    assert after.explanation("Italy") == (
        "Italy: arrears EUR 20.0 M do not exceed the EUR 20.0 M called for 2025–2026: votes"
    )


def test_example_3_payment_settles_oldest_call_first() -> None:
    """Owes 10 for 2024 and 10 for 2025, pays 15 → 2024 settled, 2025 has 5 outstanding."""
    settled, credit = rules.settle(calls_per_year(10, [2025, 2024]), 15)
    assert [(s.year, s.outstanding_cents) for s in settled] == [(2024, 0), (2025, 5)]
    assert credit == 0


def test_a_call_not_yet_due_is_not_in_arrears() -> None:
    calls = calls_per_year(10 * M, [2025, 2026])
    assert rules.arrears(calls, 0, on=dt.date(2026, 4, 1)).overdue_cents == 10 * M  # due today: not yet passed
    assert rules.arrears(calls, 0, on=dt.date(2026, 4, 2)).overdue_cents == 20 * M


def test_italy_sentence_of_the_rules() -> None:
    calls = [rules.CallLine(1, 2023, 11 * M, dt.date(2023, 4, 1)), *calls_per_year(10 * M, [2025, 2026])]
    assert rules.arrears(calls, 0, on=dt.date(2026, 6, 1)).explanation("Italy") == (
        "Italy: arrears EUR 31.0 M exceed the EUR 20.0 M called for 2025–2026: no vote"
    )


def test_average_uses_the_last_three_years_before_the_scale() -> None:
    average, years = rules.nni_average({2019: 1000, 2021: 10, 2022: 20, 2023: 30, 2024: 999}, before_year=2024)
    assert (average, years) == (Fraction(20), (2021, 2022, 2023))


def test_a_state_without_statistics_refuses_the_scale() -> None:
    with pytest.raises(rules.ScaleError, match="B: no NNI statistic before 2025"):
        rules.compute_scale({"A": {2024: 5}, "B": {2025: 5}}, first_year=2025, ceiling=Fraction(1))


def test_floor_lifts_a_small_state_and_the_others_pay_for_it() -> None:
    nni = {k: {2024: v} for k, v in {"A": 20, "B": 20, "C": 20, "D": 20, "E": 19, "F": 1}.items()}
    scale = rules.compute_scale(nni, first_year=2025, ceiling=Fraction(1, 2), floor=Fraction(5, 100))
    shares = scale.shares()
    assert shares["F"] == Decimal("5")
    assert sum(shares.values()) == 100
    assert shares["A"] == shares["B"] == Decimal("19.191919")  # 95 % * 20/99, rounded to 6 places


def test_calls_sum_to_the_total_to_the_cent() -> None:
    shares = {"A": Decimal("33.333333"), "B": Decimal("33.333333"), "C": Decimal("33.333334")}
    calls = rules.call_amounts(shares, 100_00)
    assert sum(calls.values()) == 100_00
    assert calls == {"A": 3333, "B": 3333, "C": 3334}


@given(st.lists(st.integers(min_value=1, max_value=10**15), min_size=5, max_size=40))
def test_scale_properties(averages: list[int]) -> None:
    """Shares sum to exactly 100 % and every state is within the ceiling (20 %) and floor (0.5 %)."""
    nni = {f"S{i:02d}": {2024: v} for i, v in enumerate(averages)}
    scale = rules.compute_scale(nni, first_year=2025)
    shares = scale.shares()
    assert sum(shares.values()) == 100
    assert all(Decimal("0.5") <= s <= Decimal("20") for s in shares.values())
    # Order is kept (to the rounding unit): a richer state never pays a smaller share.
    unit = Decimal(1).scaleb(-rules.SHARE_PLACES)
    ordered = sorted(nni, key=lambda k: nni[k][2024])
    assert all(shares[a] <= shares[b] + unit for a, b in itertools.pairwise(ordered))


@given(
    st.lists(st.integers(min_value=1, max_value=10**12), min_size=1, max_size=10),
    st.integers(min_value=0, max_value=10**13),
)
def test_settlement_properties(amounts: list[int], paid: int) -> None:
    """Nothing is lost: applied + credit = paid; a later call is touched only once earlier ones are settled."""
    calls = [rules.CallLine(i, 2000 + i, a, dt.date(2000 + i, 4, 1)) for i, a in enumerate(amounts)]
    settled, credit = rules.settle(calls, paid)
    assert sum(s.paid_cents for s in settled) + credit == paid
    for earlier, later in itertools.pairwise(settled):
        assert later.paid_cents == 0 or earlier.outstanding_cents == 0
