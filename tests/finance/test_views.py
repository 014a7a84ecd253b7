"""Public contributions of a year: the page, its CSV and /api/v1/governance/contributions/, read
anonymously; bad input names the parameter; query counts do not grow from 10 to 1,000 states."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from finance import services
from finance.models import Call, Payment
from governance.models import MemberState, Motion
from tests.finance.conftest import M

PAGE, CSV, API = "/finance/contributions/", "/finance/contributions.csv", "/api/v1/governance/contributions/"


@pytest.fixture
def year_2025(states: Any, secretariat: Any, nni_csv: str, scale_motion: Motion) -> None:
    services.import_nni_csv(actor=secretariat, text=nni_csv)
    version = services.compute_scale_version(actor=secretariat, first_year=2024, last_year=2026)
    services.adopt_scale_version(actor=secretariat, version_id=version.pk, motion_id=scale_motion.pk)
    services.issue_calls(actor=secretariat, year=2025, total_cents=1_000 * M)
    Payment.objects.create(state=states["DE"], received_on=dt.date(2025, 3, 1), amount_cents=150 * M, reference="D1")


@time_machine.travel("2026-01-15T10:00:00Z", tick=False)
def test_contributions_page_csv_and_api_agree(year_2025: None, client: Any) -> None:
    page = client.get(PAGE, {"year": 2025}).content.decode()
    assert "Scale in force: Scale 2024" in page
    assert "Germany" in page and "20.000000" in page and "EUR 200.0 M" in page and "EUR 50.0 M" in page
    lines = client.get(CSV, {"year": 2025}).content.decode().splitlines()
    assert lines[0] == "year,state,name,share_percent,called_eur,settled_eur,outstanding_eur,received_eur"
    assert "2025,DE,Germany,20.000000,200000000.00,150000000.00,50000000.00,150000000.00" in lines
    api = client.get(API, {"year": 2025}).json()
    germany = next(r for r in api["results"] if r["state"] == "DE")
    assert germany == {
        "state": "DE",
        "name": "Germany",
        "share_percent": "20.000000",
        "called_cents": 200 * M,
        "settled_cents": 150 * M,
        "outstanding_cents": 50 * M,
        "received_in_year_cents": 150 * M,
    }
    assert api["count"] == 6


def test_a_bad_year_is_refused_naming_the_parameter(client: Any, db: Any) -> None:
    assert client.get(API, {"year": "20x5"}).json() == {"year": ["A valid integer is required."]}
    assert client.get(API, {"year": "99999"}).status_code == 400
    page = client.get(PAGE, {"year": "abc"})
    assert page.status_code == 400 and "Enter a whole number." in page.content.decode()
    assert client.get(CSV, {"year": "1"}).status_code == 400


def _queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, {"year": 2025, "limit": 1000}).status_code == 200
    return len(ctx.captured_queries)


def test_public_query_counts_are_the_same_at_10_and_1000_states(client: Any, db: Any) -> None:
    def grow(n: int) -> None:
        start = MemberState.objects.count()
        MemberState.objects.bulk_create(MemberState(name=f"S{i:04d}", iso2=_code(i)) for i in range(start, n))
        Call.objects.bulk_create(
            Call(state=s, year=2025, amount_cents=M, issued_on=dt.date(2025, 1, 1), due_on=dt.date(2025, 4, 1))
            for s in MemberState.objects.filter(calls__isnull=True)
        )

    grow(10)
    small = {url: _queries(client, url) for url in (PAGE, CSV, API)}
    grow(1000)
    assert client.get(API, {"year": 2025, "limit": 1000}).json()["count"] == 1000
    assert {url: _queries(client, url) for url in (PAGE, CSV, API)} == small


def _code(i: int) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return alphabet[i // len(alphabet)] + alphabet[i % len(alphabet)]
