"""The medium-term plan's pure rules (finance.plan_rules): valuing quantities at unit costs to the
cent, shares, the comparison of versions, execution against an envelope. Decimal and integers only."""

from __future__ import annotations

from decimal import Decimal

from finance import plan_rules, rules
from finance.plan_rules import Change, Execution


def test_a_quantity_is_valued_at_its_unit_cost_to_the_cent_half_up_without_floats() -> None:
    assert plan_rules.value_cents(1000, Decimal("1.2500")) == 125_000
    assert plan_rules.value_cents(3, Decimal("0.3333")) == 100  # 0.9999 EUR -> 1.00
    assert plan_rules.value_cents(1, Decimal("0.0050")) == 1  # half a cent rounds up
    assert plan_rules.value_cents(1, Decimal("0.0049")) == 0
    big = plan_rules.value_cents(10**12, Decimal("0.1001"))  # where a float would already drift
    assert big == 10_010_000_000_000 and isinstance(big, int)


def test_shares_are_exact_then_shown_to_two_decimals_and_none_without_a_total() -> None:
    assert plan_rules.shares({"A": 1, "B": 2}) == {"A": Decimal("33.33"), "B": Decimal("66.67")}
    assert plan_rules.shares({"A": 0, "B": 0}) == {"A": None, "B": None}
    assert plan_rules.percent(1, 8) == Decimal("12.50")


def test_comparing_two_versions_lists_added_removed_and_changed_envelopes() -> None:
    before = {("node-it", 2027): 500, ("node-it", 2028): 500, ("facility", 2027): 100}
    after = {("node-it", 2027): 500, ("node-it", 2028): 700, ("compute", 2028): 300}
    changes = plan_rules.compare(before, after)
    assert [(c.line, c.year, c.kind, c.delta_cents) for c in changes] == [
        ("node-it", 2027, "same", 0),
        ("node-it", 2028, "changed", 200),
        ("facility", 2027, "removed", -100),
        ("compute", 2028, "added", 300),
    ]
    assert Change("x", 2027, None, 5).kind == "added"


def test_execution_against_an_envelope() -> None:
    executed = Execution(envelope_cents=200_000, executed_cents=150_000)
    assert executed.rate == Decimal("75.00") and executed.remaining_cents == 50_000
    over = Execution(envelope_cents=100, executed_cents=150)
    assert over.rate == Decimal("150.00") and over.remaining_cents == -50
    assert Execution(envelope_cents=0, executed_cents=10).rate is None  # no envelope: no rate
    unmeasured = Execution(envelope_cents=100, executed_cents=None)
    assert unmeasured.rate is None and unmeasured.remaining_cents is None


def test_rules_4_calls_are_the_plans_budget_minus_other_income_times_the_share() -> None:
    """§4: for year Y, total contributions = the plan's budget for Y minus other income, times each
    share; with example 1's scale (60/20/20 % before a ceiling) a budget of 110 and other income of
    10 call 60, 20 and 20 (in cents here), summing to exactly the total."""
    budget_cents, other_income_cents = 110, 10
    shares = {"A": Decimal(60), "B": Decimal(20), "C": Decimal(20)}
    assert rules.call_amounts(shares, budget_cents - other_income_cents) == {"A": 60, "B": 20, "C": 20}
