"""Demo money (called by governance.demo right after the states, before any demo ballot opens, so the
electorates show arrears): the founding contribution scale from ``data/member_states.csv`` (adopted by
an earlier Council decision, covering the demo's years), calls for those years, payments (some late,
one partial), and one state in arrears under art. V.8. Idempotent: nothing is created twice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from governance.models import MemberState

from . import services
from .models import Call, Payment, ScaleVersion
from .selectors import scale_in_force

FIRST_YEAR = 2024
FOUNDING_TITLE = "Founding scale of contributions"
M = 100_000_000  # one million euros, in cents
TOTAL_CONTRIBUTIONS = 400 * M  # per year
IN_ARREARS = "GR"  # has paid nothing since the first call: loses its vote (art. V.8)
PARTLY_PAID = "PT"  # paid the first year and part of the second: still votes


def seed_scale(shares: dict[MemberState, Decimal], *, last_year: int) -> ScaleVersion | None:
    """The founding scale from the CSV's shares, in force from ``FIRST_YEAR`` to ``last_year``."""
    existing = ScaleVersion.objects.filter(title=FOUNDING_TITLE).first()
    if existing is not None or not shares:
        return existing
    return services.record_earlier_scale(
        actor=None,
        title=FOUNDING_TITLE,
        first_year=FIRST_YEAR,
        last_year=last_year,
        decision="Convention, annex on the initial scale of contributions",
        shares={state.pk: share for state, share in shares.items()},
    )


def seed_accounts(staff: Any, *, today: dt.date | None = None) -> None:
    """Calls for each year of the founding scale up to this one, and payments: most states paid each
    call in May, Portugal is behind but within art. V.8, Greece has paid nothing (no vote)."""
    today = today or timezone.localdate()
    for year in range(FIRST_YEAR, today.year + 1):
        if not Call.objects.filter(year=year).exists() and scale_in_force(year) is not None:
            services.issue_calls(actor=staff, year=year, total_cents=TOTAL_CONTRIBUTIONS)
    for call in Call.objects.filter(year__lte=today.year).select_related("state").order_by("year", "state__name"):
        iso = call.state.iso2
        paid_on = dt.date(call.year, 5, 15)
        if iso == IN_ARREARS or paid_on > today:
            continue
        amount = call.amount_cents
        if iso == PARTLY_PAID and call.year > FIRST_YEAR:
            if call.year > FIRST_YEAR + 1:
                continue
            amount = call.amount_cents // 2
        reference = f"DEMO-{iso}-{call.year}"
        if not Payment.objects.filter(state=call.state, reference=reference).exists():
            services.record_payment(
                actor=staff, state_id=call.state_id, received_on=paid_on, amount_cents=amount, reference=reference
            )
