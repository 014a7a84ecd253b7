"""A site token records when it was last used (shown to the secretariat in the admin), at most once
a minute, and without filling the audit trail."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from compute.models import SiteToken

from . import factories
from .conftest import post_json, token_client

pytestmark = pytest.mark.django_db


def test_last_used_at_is_set_on_use_at_most_once_a_minute(
    project: Any, site_fox: str, login: Any, secretariat: Any
) -> None:
    token = SiteToken.objects.get()
    assert token.last_used_at is None
    with time_machine.travel("2026-11-30T10:00:00Z", tick=False):
        assert post_json(token_client(site_fox), [factories.job()]).status_code == 200
    first = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    token.refresh_from_db()
    assert token.last_used_at == first
    with time_machine.travel("2026-11-30T10:00:59Z", tick=False):
        assert token_client(site_fox).get("/api/v1/compute/sites/flagship/limits/").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at == first
    with time_machine.travel("2026-11-30T10:01:01Z", tick=False):
        assert token_client(site_fox).get("/api/v1/compute/sites/flagship/limits/").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at == datetime(2026, 11, 30, 10, 1, 1, tzinfo=UTC)
    # Recording use is not a change of the token: its audit trail holds only its creation.
    assert [e.pgh_label for e in token.events.all()] == ["insert"]
    # The secretariat sees it on the token's page in the admin.
    page = login(secretariat).get(f"/admin/compute/sitetoken/{token.pk}/change/")
    assert page.status_code == 200 and "Last used at" in page.content.decode()


def test_a_revoked_or_unknown_token_is_refused_and_records_nothing(site_fox: str) -> None:
    token = SiteToken.objects.get()
    SiteToken.objects.update(revoked_at=datetime(2026, 1, 1, tzinfo=UTC))
    assert token_client(site_fox).get("/api/v1/compute/sites/flagship/limits/").status_code == 401
    assert token_client("cst_unknown").get("/api/v1/compute/sites/flagship/limits/").status_code == 401
    token.refresh_from_db()
    assert token.last_used_at is None
