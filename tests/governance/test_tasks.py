"""The beat sweeper: scheduled opening and closing, the closing-in-one-hour reminder (once, only to
delegations that have not voted)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from cernai.core.models import Notification
from governance import services, tasks
from governance.models import Ballot

pytestmark = pytest.mark.django_db


def sweep(capture: Any) -> int:
    with capture(execute=True):
        return tasks.sweep()


def test_sweep_opens_and_closes_scheduled_ballots(
    delegate_fr_sci: Any, make_ballot: Any, django_capture_on_commit_callbacks: Any
) -> None:
    now = timezone.now()
    later = make_ballot(open=False, opens_at=now + dt.timedelta(hours=1))
    due = make_ballot(open=False, opens_at=now - dt.timedelta(minutes=1), closes_at=now + dt.timedelta(hours=3))
    assert sweep(django_capture_on_commit_callbacks) == 1
    assert Ballot.objects.get(pk=due.pk).status == Ballot.Status.OPEN
    assert Ballot.objects.get(pk=later.pk).status == Ballot.Status.DRAFT
    services.cast_vote(ballot_id=due.pk, user=delegate_fr_sci, choice="no")
    Ballot.objects.filter(pk=due.pk).update(closes_at=now - dt.timedelta(seconds=1))
    sweep(django_capture_on_commit_callbacks)
    closed = Ballot.objects.get(pk=due.pk)
    assert (closed.status, closed.no) == (Ballot.Status.CLOSED, 1)
    # Idempotent: nothing else is due.
    assert sweep(django_capture_on_commit_callbacks) == 0


def test_admission_ballot_too_early_stays_draft(make_ballot: Any, django_capture_on_commit_callbacks: Any) -> None:
    ballot = make_ballot(
        kind="admission",
        open=False,
        opens_at=timezone.now() - dt.timedelta(minutes=1),
        circulated_on=timezone.localdate(),
    )
    sweep(django_capture_on_commit_callbacks)
    assert Ballot.objects.get(pk=ballot.pk).status == Ballot.Status.DRAFT


def test_closing_reminder_goes_once_to_delegations_that_have_not_voted(
    delegates: dict[str, Any], make_ballot: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ballot = make_ballot(closes_at=timezone.now() + dt.timedelta(minutes=50))
    services.cast_vote(ballot_id=ballot.pk, user=delegates["FR"][0], choice="yes")
    mail.outbox.clear()
    sweep(django_capture_on_commit_callbacks)
    sweep(django_capture_on_commit_callbacks)
    reminded = set(
        Notification.objects.filter(kind="governance.ballot_closing").values_list("recipient__email", flat=True)
    )
    assert delegates["FR"][0].email not in reminded and delegates["FR"][1].email not in reminded
    assert len(reminded) == 22 * 2
    assert len([m for m in mail.outbox if m.subject.startswith("Closing within the hour")]) == 44
