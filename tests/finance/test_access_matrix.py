"""T7 for finance: every finance URL x every persona → the expected status. The public table is
open to all; the admin pages (imports, issuing calls, accounts, add forms) are the secretariat's."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from finance import services
from tests.access import Row, check_matrix

pytestmark = pytest.mark.django_db


def test_access_matrix(states: Any, chair: Any, secretariat: Any, applicant: Any, login: Any) -> None:
    payment = services.record_payment(
        actor=secretariat, state_id=states["FR"].pk, received_on=dt.date(2025, 1, 5), amount_cents=1, reference="R"
    )
    lines = "\n".join(f"{iso},2023,{100 + i}.00,x" for i, iso in enumerate(states))
    services.import_nni_csv(actor=secretariat, text=f"state,year,nni_eur,source\n{lines}\n")
    version = services.compute_scale_version(actor=secretariat, first_year=2024, last_year=2024)
    clients: dict[str | None, Client] = {
        None: Client(),
        "applicant": login(applicant),
        "chair": login(chair),
        "secretariat": login(secretariat),
    }
    everyone = dict.fromkeys(clients, 200)
    secretariat_only = {None: 302, "applicant": 302, "chair": 302, "secretariat": 200}
    admin = "/admin/finance"
    rows = [
        Row("/finance/contributions/?year=2024", everyone),
        Row("/finance/contributions.csv?year=2024", everyone),
        Row("/api/v1/governance/contributions/?year=2024", everyone),
        *(
            Row(url, secretariat_only)
            for url in (
                f"{admin}/",
                f"{admin}/nnistatistic/",
                f"{admin}/nnistatistic/add/",
                f"{admin}/nnistatistic/import/",
                f"{admin}/scaleversion/",
                f"{admin}/scaleversion/add/",
                f"{admin}/scaleversion/{version.pk}/change/",
                f"{admin}/associateamount/add/",
                f"{admin}/call/",
                f"{admin}/call/issue/",
                f"{admin}/payment/",
                f"{admin}/payment/add/",
                f"{admin}/payment/{payment.pk}/change/",
                f"{admin}/payment/import/",
                f"{admin}/payment/accounts/",
            )
        ),
        # Amounts are never deleted, not even by the secretariat.
        Row(f"{admin}/payment/{payment.pk}/delete/", {"secretariat": 403}),
        Row(f"{admin}/call/add/", {"secretariat": 403}),
    ]
    check_matrix(rows, clients)
