"""Migration 0007 drops the manual ``in_arrears`` flag only where the accounts carry its meaning: a
ticked state whose account in Finance does not show art. V.8 arrears stops the migration (dropping
the flag would silently give it its vote back); once its outstanding calls are entered, it runs."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("governance", "0006_motion_withdrawal"), ("finance", "0001_money")]
AFTER = [("governance", "0007_membership_and_computed_arrears")]


def migrate(targets: list[tuple[str, str]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_a_ticked_state_without_arrears_in_its_account_stops_the_migration_until_its_calls_are_entered() -> None:
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        apps = migrate(BEFORE)
        MemberState = apps.get_model("governance", "MemberState")
        Call = apps.get_model("finance", "Call")
        italy = MemberState.objects.create(iso2="IT", name="Italy", in_arrears=True)
        MemberState.objects.create(iso2="FR", name="France", in_arrears=False)
        with pytest.raises(RuntimeError, match=r"ticked 'in arrears' but their accounts .* Italy"):
            migrate(AFTER)
        year = timezone.localdate().year  # the migration reads the accounts as of today
        for y in (year - 2, year - 1, year):
            Call.objects.create(
                state_id=italy.pk, year=y, amount_cents=10, issued_on=dt.date(y, 1, 1), due_on=dt.date(y, 1, 1)
            )
        apps = migrate(AFTER)
        assert not hasattr(apps.get_model("governance", "MemberState")(), "in_arrears")
    finally:
        migrate(leaves)
