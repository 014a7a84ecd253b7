"""Rules §4 "Accession": a state that becomes a member on the deposit of its instrument is in the
contribution scale from the next financial year, not the year it joined."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from finance import services
from tests.governance.factories import MemberStateFactory

pytestmark = pytest.mark.django_db


def test_a_member_since_2024_is_on_the_scale_from_2025(states: Any, secretariat: Any, nni_csv: str) -> None:
    poland = MemberStateFactory(iso2="PL", name="Poland", status_since=dt.date(2024, 5, 4))
    lines = "".join(f"PL,{year},600000000.00,Eurostat\n" for year in (2021, 2022, 2023))
    services.import_nni_csv(actor=secretariat, text=nni_csv + lines)
    joined_year = services.compute_scale_version(actor=secretariat, first_year=2024, last_year=2024)
    assert "PL" not in set(joined_year.shares.values_list("state__iso2", flat=True))
    assert joined_year.shares.count() == 6
    next_year = services.compute_scale_version(actor=secretariat, first_year=2025, last_year=2027)
    assert "PL" in set(next_year.shares.values_list("state__iso2", flat=True))
    assert poland.status == "member"
