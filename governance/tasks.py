"""Background work of governance: thin tasks that take ids and call one service."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from cernai.core.queue import enqueue_on_commit

from . import services


@shared_task(name="governance.open_ballot")
def open_ballot(ballot_id: int) -> str:
    """Open a ballot whose scheduled opening has come (idempotent: an open ballot stays open)."""
    try:
        services.open_ballot(actor=None, ballot_id=ballot_id)
    except services.GovernanceError as exc:  # e.g. admission notice not met: stays draft, staff see why
        return exc.message
    return "opened"


@shared_task(name="governance.close_ballot")
def close_ballot(ballot_id: int) -> str:
    """Close a ballot whose scheduled closing has come (idempotent)."""
    services.close_ballot(actor=None, ballot_id=ballot_id)
    return "closed"


@shared_task(name="governance.closing_reminder")
def closing_reminder(ballot_id: int) -> int:
    """Remind delegations that have not voted (at most once per ballot)."""
    return services.send_closing_reminder(ballot_id=ballot_id)


@shared_task(name="governance.sweep")
def sweep() -> int:
    """Re-drive whatever the database says is due in governance (run by beat)."""
    due = services.due_ballots(now=timezone.now())
    for ballot_id in due["open"]:
        enqueue_on_commit("governance.open_ballot", ballot_id)
    for ballot_id in due["close"]:
        enqueue_on_commit("governance.close_ballot", ballot_id)
    for ballot_id in due["remind"]:
        enqueue_on_commit("governance.closing_reminder", ballot_id)
    return sum(len(ids) for ids in due.values())
