"""Migrations 0011/0012 drop the hand-kept ``MemberState.contribution_share`` without losing it: when
no adopted scale covers this year, the shares become an adopted scale version for this year (marked
as adopted by an earlier decision), which the weighted rule and every page then read; ballots opened
before keep the shares they were counted with. Only these migrations are unapplied and re-applied."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from finance.models import ScaleVersion
from finance.selectors import shares_in_force

pytestmark = pytest.mark.django_db(transaction=True)

MINE = ("governance", "0011_contribution_share_from_the_scale")


def unapply_mine() -> Any:
    executor = MigrationExecutor(connection)
    graph, applied = executor.loader.graph, executor.loader.applied_migrations
    plan = [(graph.nodes[node], True) for node in graph.backwards_plan(MINE) if node in applied]
    executor.migrate([MINE], plan=plan)
    return MigrationExecutor(connection)._create_project_state(with_applied_migrations=True).apps


def migrate_to_the_end() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_hand_kept_shares_become_the_adopted_scale_in_force() -> None:
    try:
        apps = unapply_mine()
        MemberState = apps.get_model("governance", "MemberState")
        germany = MemberState.objects.create(iso2="DE", name="Germany", contribution_share=Decimal("20.600"))
        france = MemberState.objects.create(iso2="FR", name="France", contribution_share=Decimal("14.000"))
        MemberState.objects.create(iso2="EE", name="Estonia", contribution_share=None)
        migrate_to_the_end()
        year = timezone.localdate().year
        version = ScaleVersion.objects.get()
        assert (version.status, version.first_year, version.last_year) == ("adopted", year, year)
        assert version.motion is None and version.decision  # adopted by an earlier decision, named
        assert shares_in_force(year) == {germany.pk: Decimal("20.600000"), france.pk: Decimal("14.000000")}
    finally:
        migrate_to_the_end()
