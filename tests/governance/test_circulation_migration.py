"""Migration 0011 makes the membership request the one record of an admission's circulation: the
date an admission motion carried (``Motion.request_circulated_on``, the one its ballot's notice was
checked against) is carried into the request it was tabled from; a request whose own date it cannot
take (before its receipt) keeps its own. Only this migration (and what depends on it) is unapplied and
re-applied, so other branches' governance migrations are left alone."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

MINE = ("governance", "0011_one_circulation_record_audited_participants")
BEFORE = ("governance", "0010_merge_membership")


def unapply_mine() -> Any:
    executor = MigrationExecutor(connection)
    graph, applied = executor.loader.graph, executor.loader.applied_migrations
    plan = [(graph.nodes[node], True) for node in graph.backwards_plan(MINE) if node in applied]
    executor.migrate([BEFORE], plan=plan)
    return MigrationExecutor(connection)._create_project_state(with_applied_migrations=True).apps


def migrate_to_the_end() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_the_motions_circulation_date_is_carried_into_its_request() -> None:
    try:
        apps = unapply_mine()
        MemberState = apps.get_model("governance", "MemberState")
        Council = apps.get_model("governance", "Council")
        Session = apps.get_model("governance", "Session")
        AgendaItem = apps.get_model("governance", "AgendaItem")
        Motion = apps.get_model("governance", "Motion")
        MembershipRequest = apps.get_model("governance", "MembershipRequest")
        council = Council.objects.create(name="Council of the migration test")
        session = Session.objects.create(council=council, title="S", starts_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
        item = AgendaItem.objects.create(session=session, title="Accessions", position=1)

        def admission(iso2: str, *, motion_on: dt.date | None, request_on: dt.date | None) -> Any:
            state = MemberState.objects.create(iso2=iso2, name=f"State {iso2}", status="candidate")
            motion = Motion.objects.create(
                item=item, title=f"Admit {iso2}", text="-", kind="admission", request_circulated_on=motion_on
            )
            return MembershipRequest.objects.create(
                state=state,
                kind="accession",
                received_on=dt.date(2025, 12, 1),
                previous_status="observer",
                circulated_on=request_on,
                motion=motion,
            )

        corrected = admission("QA", motion_on=dt.date(2025, 12, 20), request_on=dt.date(2026, 1, 10))
        missing = admission("QB", motion_on=dt.date(2025, 12, 15), request_on=None)
        impossible = admission("QC", motion_on=dt.date(2025, 11, 1), request_on=dt.date(2025, 12, 5))
        migrate_to_the_end()
        from governance.models import MembershipRequest as Request

        assert Request.objects.get(pk=corrected.pk).circulated_on == dt.date(2025, 12, 20)
        assert Request.objects.get(pk=missing.pk).circulated_on == dt.date(2025, 12, 15)
        assert Request.objects.get(pk=impossible.pk).circulated_on == dt.date(2025, 12, 5)  # before receipt
        event = Request.objects.get(pk=corrected.pk).events.order_by("pgh_id").last()  # type: ignore[attr-defined]
        assert event.pgh_context.metadata["reason"] == "migration: one circulation record (the membership request)"
    finally:
        migrate_to_the_end()
