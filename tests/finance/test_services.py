"""Finance services against the real database: imports all-or-nothing, scale adoption only through a
two-thirds-of-all ballot, calls to the cent, payments and the arrears facts governance reads."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from cernai.core.errors import Refusal
from finance import selectors, services
from finance.models import Call, NNIStatistic, Payment, ScaleVersion
from governance.models import Ballot, MemberState, Motion
from tests.finance.conftest import M
from tests.governance.factories import BallotFactory, MotionFactory

AT = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)


def adopted_scale(secretariat: Any, nni_csv: str, motion: Motion) -> ScaleVersion:
    services.import_nni_csv(actor=secretariat, text=nni_csv)
    version = services.compute_scale_version(actor=secretariat, first_year=2024, last_year=2026)
    return services.adopt_scale_version(actor=secretariat, version_id=version.pk, motion_id=motion.pk)


def test_scale_from_imported_nni_caps_germany_and_lifts_malta(states: Any, secretariat: Any, nni_csv: str) -> None:
    assert services.import_nni_csv(actor=secretariat, text=nni_csv) == 18
    version = services.compute_scale_version(actor=secretariat, first_year=2024, last_year=2026)
    shares = {s.state.iso2: s for s in version.shares.select_related("state")}
    assert shares["DE"].share == Decimal("20.000000") and shares["DE"].bound == "ceiling"
    assert shares["DE"].raw_share > Decimal(30)  # the arithmetic before the bound is kept for display
    assert shares["MT"].share == Decimal("0.500000") and shares["MT"].bound == "floor"
    assert shares["DE"].nni_years == "2021, 2022, 2023"
    assert sum(s.share for s in shares.values()) == 100
    assert "Germany" in version.redistribution and "Malta" in version.redistribution
    assert version.status == ScaleVersion.Status.DRAFT


def test_nni_import_with_a_bad_row_names_it_and_stores_nothing(states: Any, secretariat: Any) -> None:
    text = "state,year,nni_eur,source\nDE,2023,3200000000.00,x\nFR,2023,2.5e9.1,x\nIT,2023,1,x\n"
    with pytest.raises(Refusal, match=r"Row 3: “2.5e9.1” is not an amount in euros"):
        services.import_nni_csv(actor=secretariat, text=text)
    assert not NNIStatistic.objects.exists()


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("XX,2023,10.00,x", "no state with the code “XX”"),
        ("DE,20x3,10.00,x", "“20x3” is not a year"),
        ("DE,2023,10.001,x", "“10.001” has more than two decimals"),
        ("DE,2023,-10,x", "the amount must be positive"),
        ("DE,2023,10", "expected 4 columns"),
        ("DE,2022,10.00,x", "Germany 2022 appears twice in the file"),
    ],
)
def test_nni_import_refuses_each_kind_of_bad_row(states: Any, secretariat: Any, row: str, reason: str) -> None:
    text = f"state,year,nni_eur,source\nDE,2022,10.00,x\n{row}\n"
    with pytest.raises(Refusal) as refused:
        services.import_nni_csv(actor=secretariat, text=text)
    assert refused.value.message == f"Row 3: {reason}"
    assert not NNIStatistic.objects.exists()


def test_scale_is_adopted_only_by_an_adopted_two_thirds_of_all_ballot(
    states: Any, secretariat: Any, nni_csv: str, scale_motion: Motion
) -> None:
    services.import_nni_csv(actor=secretariat, text=nni_csv)
    version = services.compute_scale_version(actor=secretariat, first_year=2024, last_year=2026)
    ordinary = MotionFactory(kind=Motion.Kind.ORDINARY, status=Motion.Status.ADOPTED)
    BallotFactory(motion=ordinary, status=Ballot.Status.PUBLISHED, outcome=Ballot.Outcome.ADOPTED)
    with pytest.raises(Refusal, match="two-thirds-of-all ballot"):
        services.adopt_scale_version(actor=secretariat, version_id=version.pk, motion_id=ordinary.pk)
    rejected = MotionFactory(kind=Motion.Kind.TWO_THIRDS_ALL, status=Motion.Status.ADOPTED)  # status typed by hand
    BallotFactory(motion=rejected, status=Ballot.Status.PUBLISHED, outcome=Ballot.Outcome.REJECTED, yes=14, no=6)
    with pytest.raises(Refusal, match="has not adopted it"):
        services.adopt_scale_version(actor=secretariat, version_id=version.pk, motion_id=rejected.pk)
    assert selectors.scale_in_force(2025) is None
    services.adopt_scale_version(actor=secretariat, version_id=version.pk, motion_id=scale_motion.pk)
    assert selectors.scale_in_force(2025) == version
    again = services.compute_scale_version(actor=secretariat, first_year=2026, last_year=2028)
    with pytest.raises(Refusal, match="already adopted for some of these years"):
        services.adopt_scale_version(actor=secretariat, version_id=again.pk, motion_id=scale_motion.pk)


def test_calls_split_the_total_by_the_scale_plus_associates(
    states: Any, associate: MemberState, secretariat: Any, nni_csv: str, scale_motion: Motion
) -> None:
    adopted_scale(secretariat, nni_csv, scale_motion)
    services.record_associate_amount(actor=secretariat, state_id=associate.pk, year=2025, amount_cents=2 * M)
    calls = services.issue_calls(actor=secretariat, year=2025, total_cents=1_000 * M + 1)
    by_state = {c.state.iso2: c for c in Call.objects.filter(year=2025).select_related("state")}
    assert len(calls) == 7
    assert by_state["DE"].amount_cents == 200 * M  # 20 % ceiling
    assert by_state["CY"].amount_cents == 2 * M and by_state["CY"].scale is None
    assert sum(c.amount_cents for c in by_state.values() if c.scale) == 1_000 * M + 1  # to the cent
    assert (by_state["FR"].issued_on, by_state["FR"].due_on) == (dt.date(2025, 1, 1), dt.date(2025, 4, 1))
    with pytest.raises(Refusal, match="already issued"):
        services.issue_calls(actor=secretariat, year=2025, total_cents=M)
    with pytest.raises(Refusal, match="No adopted contribution scale covers 2027"):
        services.issue_calls(actor=secretariat, year=2027, total_cents=M)


def _calls(state: MemberState, years: list[int], amount: int) -> None:
    Call.objects.bulk_create(
        Call(state=state, year=y, amount_cents=amount, issued_on=dt.date(y, 1, 1), due_on=dt.date(y, 4, 1))
        for y in years
    )


def test_arrears_facts_follow_payments_rules_example_2(states: Any, secretariat: Any) -> None:
    italy = states["IT"]
    _calls(italy, [2024, 2025, 2026], 10 * M)
    facts = selectors.arrears_facts(italy.pk, AT)
    assert (facts.no_vote, facts.overdue_cents, facts.called_cents) == (True, 30 * M, 20 * M)
    assert facts.explanation == "Italy: arrears EUR 30.0 M exceed the EUR 20.0 M called for 2025\u20132026: no vote"
    services.record_payment(
        actor=secretariat, state_id=italy.pk, received_on=dt.date(2026, 5, 20), amount_cents=10 * M, reference="B-1"
    )
    facts = selectors.arrears_facts(italy.pk, AT)
    assert (facts.no_vote, facts.overdue_cents) == (False, 20 * M)
    # As of a moment before the payment, the state had no vote: the snapshot is of that moment.
    assert selectors.arrears_facts(italy.pk, dt.datetime(2026, 5, 19, 12, tzinfo=dt.UTC)).no_vote


def test_account_settles_oldest_first_rules_example_3(states: Any, secretariat: Any) -> None:
    spain = states["ES"]
    _calls(spain, [2024, 2025], 10)
    services.record_payment(
        actor=secretariat, state_id=spain.pk, received_on=dt.date(2025, 6, 1), amount_cents=15, reference="R1"
    )
    account = selectors.account(state_id=spain.pk, on=dt.date(2025, 6, 2))
    assert [(c.year, c.outstanding_cents) for c in account.calls] == [(2024, 0), (2025, 5)]
    assert (account.called_cents, account.paid_cents, account.outstanding_cents, account.overdue_cents) == (
        20,
        15,
        5,
        5,
    )


def test_bank_import_is_all_or_nothing(states: Any, secretariat: Any) -> None:
    services.record_payment(
        actor=secretariat, state_id=states["FR"].pk, received_on=dt.date(2025, 1, 5), amount_cents=1, reference="R1"
    )
    text = "state,date,amount_eur,reference\nDE,2025-02-01,100.00,R9\nFR,2025-02-01,5.00,R1\n"
    with pytest.raises(Refusal) as refused:
        services.import_bank_csv(actor=secretariat, text=text)
    assert refused.value.message == "Row 3: the payment R1 is already recorded for this state"
    assert Payment.objects.count() == 1
    text = "state,date,amount_eur,reference\nDE,2025-02-01,100.00,R9\nFR,2025-02-01,5.00,R2\n"
    assert services.import_bank_csv(actor=secretariat, text=text) == 2
    assert sorted(Payment.objects.values_list("amount_cents", flat=True)) == [1, 500, 10000]


def test_payment_refusals_name_the_field(states: Any, secretariat: Any) -> None:
    tomorrow = dt.date.today() + dt.timedelta(days=2)  # noqa: DTZ011
    with pytest.raises(Refusal) as refused:
        services.record_payment(
            actor=secretariat, state_id=states["FR"].pk, received_on=tomorrow, amount_cents=5, reference="R"
        )
    assert refused.value.field == "received_on"
    with pytest.raises(Refusal) as refused:
        services.record_payment(
            actor=secretariat, state_id=states["FR"].pk, received_on=dt.date(2025, 1, 1), amount_cents=0, reference="R"
        )
    assert refused.value.field == "amount_cents"


def test_import_rows_are_numbered_like_the_lines_of_the_file(states: Any, secretariat: Any) -> None:
    """A blank line is skipped but counted, so the row named is the line an editor shows."""
    text = "state,year,nni_eur,source\nDE,2022,10.00,x\n\nXX,2023,1.00,x\n"
    with pytest.raises(Refusal) as refused:
        services.import_nni_csv(actor=secretariat, text=text)
    assert refused.value.message == "Row 4: no state with the code “XX”"
