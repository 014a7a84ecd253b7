"""Migration 0007 drops the manual ``in_arrears`` flag only where the accounts carry its meaning: a
ticked state whose account in Finance does not show art. V.8 arrears stops the migration (dropping
the flag would silently give it its vote back); once its outstanding calls are entered, it runs.

Only this migration (and whatever depends on it) is unapplied and re-applied, so other branches'
governance migrations are left alone."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)

MINE = ("governance", "0007_membership_and_computed_arrears")


def unapply_mine() -> Any:
    """Unapply this migration and its descendants; return the models as they were before it."""
    executor = MigrationExecutor(connection)
    graph, applied = executor.loader.graph, executor.loader.applied_migrations
    plan = [(graph.nodes[node], True) for node in graph.backwards_plan(MINE) if node in applied]
    executor.migrate([MINE], plan=plan)
    return MigrationExecutor(connection)._create_project_state(with_applied_migrations=True).apps


def migrate_to_the_end() -> Any:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    return MigrationExecutor(connection)._create_project_state(with_applied_migrations=True).apps


def test_a_ticked_state_without_arrears_in_its_account_stops_the_migration_until_its_calls_are_entered() -> None:
    try:
        apps = unapply_mine()
        MemberState = apps.get_model("governance", "MemberState")
        Call = apps.get_model("finance", "Call")
        italy = MemberState.objects.create(iso2="IT", name="Italy", in_arrears=True)
        MemberState.objects.create(iso2="FR", name="France", in_arrears=False)
        with pytest.raises(RuntimeError, match=r"ticked 'in arrears' but their accounts .* Italy"):
            migrate_to_the_end()
        year = timezone.localdate().year  # the migration reads the accounts as of today
        for y in (year - 2, year - 1, year):
            Call.objects.create(
                state_id=italy.pk, year=y, amount_cents=10, issued_on=dt.date(y, 1, 1), due_on=dt.date(y, 1, 1)
            )
        apps = migrate_to_the_end()
        assert not hasattr(apps.get_model("governance", "MemberState")(), "in_arrears")
    finally:
        migrate_to_the_end()
