"""The secretariat (staff, group Secretariat, not superuser) keeps the money in the admin, posting
the forms a browser posts: NNI entry and CSV import, scale compute / link / adopt, calls issued for a
year, payments (form and bank CSV), each state's account."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from finance import plan_services
from finance.models import Call, NNIStatistic, Payment, ScaleVersion
from governance.models import MemberState, Motion
from tests.admin_forms import messages_of, post_form
from tests.finance.conftest import M
from tests.finance.plan_data import adopted_plan

NNI_IMPORT = "/admin/finance/nnistatistic/import/"
BANK_IMPORT = "/admin/finance/payment/import/"
ISSUE = "/admin/finance/call/issue/"
ACCOUNTS = "/admin/finance/payment/accounts/"


@pytest.fixture
def staff(secretariat: Any, login: Any) -> Any:
    assert not secretariat.is_superuser
    return login(secretariat)


def test_secretariat_enters_an_nni_figure_then_it_is_read_only(states: Any, staff: Any) -> None:
    add = reverse("admin:finance_nnistatistic_add")
    refused = post_form(staff, add, {"state": str(states["DE"].pk), "year": "2023", "nni_eur": "3,2 Mrd"})
    assert "“3,2 Mrd” is not an amount in euros" in messages_of(refused)
    assert not NNIStatistic.objects.exists()
    post_form(staff, add, {"state": str(states["DE"].pk), "year": "2023", "nni_eur": "3200000000.50", "source": "E"})
    statistic = NNIStatistic.objects.get()
    assert statistic.nni_cents == 320_000_000_050
    again = post_form(staff, add, {"state": str(states["DE"].pk), "year": "2023", "nni_eur": "1.00"})
    assert "the NNI of this state for 2023 is already recorded" in messages_of(again)
    shown = staff.get(reverse("admin:finance_nnistatistic_change", args=[statistic.pk])).content.decode()
    assert 'name="nni_cents"' not in shown and 'name="year"' not in shown  # read-only once recorded
    assert "Delete" not in shown


def test_nni_csv_with_a_bad_row_is_refused_with_its_number_and_nothing_is_imported(
    states: Any, staff: Any, nni_csv: str
) -> None:
    bad = nni_csv.replace("IT,2022,1750000000.00", "IT,2022,1750000000.0.0")
    response = post_form(staff, NNI_IMPORT, {"csv_text": bad})
    assert "Row 9: “1750000000.0.0” is not an amount in euros" in messages_of(response)
    assert not NNIStatistic.objects.exists()
    response = post_form(staff, NNI_IMPORT, {"csv_text": nni_csv})
    assert "18 NNI statistics imported." in messages_of(response)
    assert NNIStatistic.objects.count() == 18


def test_scale_is_computed_shown_with_its_arithmetic_and_adopted_through_its_ballot(
    states: Any, staff: Any, nni_csv: str, scale_motion: Motion
) -> None:
    post_form(staff, NNI_IMPORT, {"csv_text": nni_csv})
    post_form(
        staff,
        reverse("admin:finance_scaleversion_add"),
        {"title": "Scale 2024-2026", "first_year": "2024", "last_year": "2026"},
    )
    version = ScaleVersion.objects.get()
    change = reverse("admin:finance_scaleversion_change", args=[version.pk])
    page = staff.get(change).content.decode()
    assert "set to the ceiling" in page and "set to the floor" in page
    assert "2021, 2022, 2023" in page and "EUR 3100.0 M" in page  # Germany's average, the arithmetic kept
    assert "Set to the ceiling: France, Germany, Italy, Spain; set to the floor: Malta" in page
    changelist = reverse("admin:finance_scaleversion_changelist")
    refused = post_form(staff, changelist, {"action": "adopt_scales", "_selected_action": str(version.pk)})
    assert any("Link the motion that adopts this scale first." in m for m in messages_of(refused))
    post_form(staff, change, {"motion": str(scale_motion.pk)})
    adopted = post_form(staff, changelist, {"action": "adopt_scales", "_selected_action": str(version.pk)})
    assert any("adopted." in m for m in messages_of(adopted))
    version.refresh_from_db()
    assert version.status == ScaleVersion.Status.ADOPTED
    assert 'name="motion"' not in staff.get(change).content.decode()  # an adopted scale is fixed


def test_calls_are_issued_for_a_year_from_one_form(
    states: Any, associate: MemberState, staff: Any, nni_csv: str, scale_motion: Motion, secretariat: Any
) -> None:
    # Rules §4: the total called is the plan's budget for the year minus other income.
    no_plan = post_form(staff, ISSUE, {"year": "2025", "other_income_eur": "0.00"})
    assert "No medium-term plan in force covers 2025" in no_plan.content.decode()
    budget = plan_services.define_line(actor=secretariat, code="ops", name="Operations", kind="facility")
    adopted_plan(secretariat, {"ops": budget}, {("ops", 2025): 1_010 * M}, first_year=2025, title="Plan 2025-2029")
    refused = post_form(staff, ISSUE, {"year": "2025", "other_income_eur": "10000000.00"})
    assert "No adopted contribution scale covers 2025." in messages_of(refused)
    post_form(staff, NNI_IMPORT, {"csv_text": nni_csv})
    post_form(staff, reverse("admin:finance_scaleversion_add"), {"first_year": "2024", "last_year": "2026"})
    version = ScaleVersion.objects.get()
    post_form(staff, reverse("admin:finance_scaleversion_change", args=[version.pk]), {"motion": str(scale_motion.pk)})
    post_form(
        staff,
        reverse("admin:finance_scaleversion_changelist"),
        {"action": "adopt_scales", "_selected_action": str(version.pk)},
    )
    post_form(
        staff,
        reverse("admin:finance_associateamount_add"),
        {"state": str(associate.pk), "year": "2025", "amount_eur": "2000000.00"},
    )
    too_much = post_form(staff, ISSUE, {"year": "2025", "other_income_eur": "1010000000.00"})
    assert "leaves nothing to call from the budget of" in too_much.content.decode()
    done = post_form(staff, ISSUE, {"year": "2025", "other_income_eur": "10000000.00"})  # 1,010 M minus 10 M
    assert "7 calls issued for 2025." in messages_of(done)
    assert Call.objects.get(state=states["DE"], year=2025).amount_cents == 200 * M
    assert Call.objects.get(state=associate, year=2025).amount_cents == 2 * M
    again = post_form(staff, ISSUE, {"year": "2025", "other_income_eur": "0.00"})
    assert "The calls for 2025 are already issued." in messages_of(again)
    assert "Add" not in staff.get(reverse("admin:finance_call_changelist")).content.decode().split("object-tools")[1]


def _arrears_of_italy(states: Any) -> MemberState:
    italy = states["IT"]
    Call.objects.bulk_create(
        Call(state=italy, year=y, amount_cents=10 * M, issued_on=dt.date(y, 1, 1), due_on=dt.date(y, 4, 1))
        for y in (2024, 2025, 2026)
    )
    return italy


@time_machine.travel("2026-06-01T10:00:00Z", tick=False)
def test_a_payment_recorded_in_the_admin_changes_the_account_and_the_vote(states: Any, staff: Any) -> None:
    """rules §4 example 2 through the admin: 30 M overdue > 20 M called for 2025-2026; a payment of 10 M."""
    italy = _arrears_of_italy(states)
    before = staff.get(ACCOUNTS).content.decode()
    assert "Italy: arrears EUR 30.0 M exceed the EUR 20.0 M called for 2025\u20132026: no vote" in before
    add = reverse("admin:finance_payment_add")
    fields = {"state": str(italy.pk), "received_on": "2026-05-20", "reference": "BNL-0042"}
    post_form(staff, add, {**fields, "amount_eur": "10000000.00"})
    payment = Payment.objects.get()
    assert (payment.amount_cents, payment.recorded_by.email) == (10 * M, "secretariat@example.org")
    duplicate = post_form(staff, add, {**fields, "amount_eur": "5.00"})
    assert "the payment BNL-0042 is already recorded for this state" in messages_of(duplicate)
    after = staff.get(ACCOUNTS).content.decode()
    assert "Italy: arrears EUR 20.0 M do not exceed the EUR 20.0 M called for 2025\u20132026: votes" in after
    change = staff.get(reverse("admin:finance_payment_change", args=[payment.pk])).content.decode()
    assert 'name="amount_cents"' not in change and "Delete" not in change


@time_machine.travel("2026-06-01T10:00:00Z", tick=False)
def test_bank_lines_with_a_bad_row_are_refused_whole(states: Any, staff: Any) -> None:
    text = "state,date,amount_eur,reference\nIT,2026-05-02,100.00,A1\nFR,2026-13-01,5.00,A2\n"
    response = post_form(staff, BANK_IMPORT, {"csv_text": text})
    assert "Row 3: “2026-13-01” is not a date (YYYY-MM-DD)" in messages_of(response)
    assert not Payment.objects.exists()
    text = text.replace("2026-13-01", "2026-05-03")
    assert "2 payments imported." in messages_of(post_form(staff, BANK_IMPORT, {"csv_text": text}))
    assert sorted(Payment.objects.values_list("amount_cents", flat=True)) == [500, 10000]


def test_the_finance_admin_is_the_secretariats(states: Any, login: Any) -> None:
    from tests.factories import UserFactory

    delegate = login(UserFactory(email="d@example.org", is_staff=False, groups=["Delegates"], mfa=True))
    for url in (ACCOUNTS, ISSUE, BANK_IMPORT, reverse("admin:finance_payment_add")):
        assert delegate.get(url).status_code == 302  # to the admin login: not staff


def _accounts_queries(client: Any) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(ACCOUNTS).status_code == 200
    return len(ctx.captured_queries)


def test_accounts_page_queries_do_not_grow_from_10_to_1000_states(staff: Any) -> None:
    def grow(n: int) -> None:
        start = MemberState.objects.count()
        MemberState.objects.bulk_create(MemberState(name=f"S{i:04d}", iso2=_code(i)) for i in range(start, n))
        Call.objects.bulk_create(
            Call(state=s, year=2025, amount_cents=M, issued_on=dt.date(2025, 1, 1), due_on=dt.date(2025, 4, 1))
            for s in MemberState.objects.filter(calls__isnull=True)
        )

    grow(10)
    small = _accounts_queries(staff)
    grow(1000)
    assert MemberState.objects.count() == 1000
    assert _accounts_queries(staff) == small


def _code(i: int) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return alphabet[i // len(alphabet)] + alphabet[i % len(alphabet)]
