"""Issue 8 §1, the last rule-carrying fields of the governance admin: a programme's participants (who
votes on its matters), a session's "closed" flag (who may attend), a body's quorum and weighted-rule
settings (how its ballots are counted). Each is read-only in its change form and changed on its own
page, posted as the secretariat (not a superuser) the way a browser does, through
governance/configuration.py: refusals are shown and store nothing; changes are audited with who and why."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.apps import apps
from django.utils import timezone

from cernai.core.models import Notification
from governance.models import (
    Attendance,
    Ballot,
    Council,
    ElectorateEntry,
    MemberState,
    Programme,
    Session,
)
from tests.admin_forms import form_fields, messages_of, post_form
from tests.governance.factories import SessionFactory

pytestmark = pytest.mark.django_db
ProgrammeParticipantEvent = apps.get_model("governance", "ProgrammeParticipantEvent")


def last_event(model_events: Any) -> Any:
    return model_events.order_by("pgh_id").last()


def who_and_why(event: Any) -> dict[str, Any]:
    metadata = event.pgh_context.metadata
    return {key: metadata.get(key) for key in ("actor", "reason", "justification")}


def test_programme_participants_change_on_their_pages_with_a_reason(
    members: list[MemberState],
    associate: MemberState,
    observer: MemberState,
    delegate_fr_sci: Any,
    secretariat: Any,
    login: Any,
    make_ballot: Any,
) -> None:
    france = members[0]
    programme = Programme.objects.create(name="Exascale")
    client = login(secretariat)
    change = f"/admin/governance/programme/{programme.pk}/change/"
    add = f"/admin/governance/programme/{programme.pk}/add-participant/"
    remove = f"/admin/governance/programme/{programme.pk}/remove-participant/"
    assert "participants" not in form_fields(client, change)
    assert "participants" not in form_fields(client, "/admin/governance/programme/add/")
    page = client.get(change).content.decode()
    assert f'href="{add}"' in page and f'href="{remove}"' not in page  # nobody to remove yet

    # An observer does not take part in programmes: refused, nothing stored.
    refused = post_form(client, add, {"state": str(observer.pk), "reason": "Letter of 3 March"})
    assert "Only member states and associate members take part in programmes; Japan is not one (observer)." in (
        messages_of(refused)
    )
    assert not programme.participants.exists()
    # No reason: refused on its field.
    no_reason = post_form(client, add, {"state": str(france.pk), "reason": ""})
    assert "This field is required." in messages_of(no_reason)
    assert not programme.participants.exists()

    # France joins: stored, audited with who and why, its delegate told.
    added = post_form(client, add, {"state": str(france.pk), "reason": "Council decision 2026/12"})
    assert "France takes part in Exascale." in messages_of(added)
    assert list(programme.participants.all()) == [france]
    event = last_event(ProgrammeParticipantEvent.objects.filter(programme=programme, memberstate=france))
    assert event.pgh_label == "insert"
    assert who_and_why(event) == {
        "actor": secretariat.pk,
        "reason": "programme participant added",
        "justification": "Council decision 2026/12",
    }
    told = Notification.objects.get(kind="governance.programme_participation", recipient=delegate_fr_sci)
    assert told.subject == "France takes part in Exascale"
    # An associate member takes part (without a vote); twice is refused.
    post_form(client, add, {"state": str(associate.pk), "reason": "Association agreement, art. 4"})
    assert set(programme.participants.all()) == {france, associate}
    assert f'value="{associate.pk}"' not in client.get(add).content.decode()  # offered no more
    twice = client.post(add, {"state": str(associate.pk), "reason": "again"})
    assert "Select a valid choice." in " ".join(messages_of(twice))

    # A ballot on the programme's matters opened with France in it keeps its electorate when France
    # leaves: the page says so, and the frozen electorate is untouched.
    ballot = make_ballot(kind="two_thirds_all", programme=programme)
    assert ElectorateEntry.objects.get(ballot=ballot, state=france).reason == ElectorateEntry.Reason.ENTITLED
    page = client.get(remove).content.decode()
    assert "Ballots already open are not affected: their electorate was frozen when they opened." in page
    post_form(client, add, {"state": str(members[1].pk), "reason": "Council decision 2026/13"})
    removed = post_form(client, remove, {"state": str(france.pk), "reason": "France withdrew, note of 1 June"})
    assert "France no longer takes part in Exascale." in messages_of(removed)
    assert set(programme.participants.all()) == {associate, members[1]}
    assert ElectorateEntry.objects.get(ballot=ballot, state=france).reason == ElectorateEntry.Reason.ENTITLED
    event = last_event(ProgrammeParticipantEvent.objects.filter(programme=programme, memberstate=france))
    assert (event.pgh_label, event.pgh_context.metadata["justification"]) == (
        "delete",
        "France withdrew, note of 1 June",
    )
    # A ballot opened from now on counts France as a non-participant.
    later = make_ballot(kind="two_thirds_all", programme=programme)
    assert ElectorateEntry.objects.get(ballot=later, state=france).reason != ElectorateEntry.Reason.ENTITLED
    assert ElectorateEntry.objects.get(ballot=later, state=members[1]).reason == ElectorateEntry.Reason.ENTITLED
    history = client.get(f"/admin/governance/programme/{programme.pk}/history/").content.decode()
    assert "programme participant added — Council decision 2026/12" in history
    assert "programme participant removed — France withdrew, note of 1 June" in history
    assert "secretariat@example.org" in history


def test_a_sessions_closed_flag_changes_on_its_page_before_it_starts(
    members: list[MemberState], associate: MemberState, secretariat: Any, login: Any
) -> None:
    client = login(secretariat)
    soon = timezone.now() + dt.timedelta(days=7)
    session = SessionFactory(title="Summer session", starts_at=soon)
    change = f"/admin/governance/session/{session.pk}/change/"
    page_url = f"/admin/governance/session/{session.pk}/closedness/"
    assert "closed" not in form_fields(client, change)
    assert f'href="{page_url}"' in client.get(change).content.decode()

    # Cyprus (an associate member) is recorded as attending: the session cannot be closed.
    post_form(client, f"/admin/governance/session/{session.pk}/attendance/", {"state": str(associate.pk)})
    assert Attendance.objects.filter(session=session, state=associate).exists()
    refused = post_form(client, page_url, {"closed": "on", "reason": "Personnel matters"})
    assert (
        "Closed sessions are for member states only, and attendance is recorded for a state that is not one: "
        "Cyprus. This session cannot be closed."
    ) in messages_of(refused)
    assert Session.objects.get(pk=session.pk).closed is False

    # A session with member states only is closed: stored and audited with who and why.
    in_camera = SessionFactory(title="In camera", starts_at=soon)
    Attendance.objects.create(session=in_camera, state=members[0])
    url = f"/admin/governance/session/{in_camera.pk}/closedness/"
    done = post_form(client, url, {"closed": "on", "reason": "Personnel matters"})
    assert "In camera is a closed session: member states only." in messages_of(done)
    in_camera.refresh_from_db()
    assert in_camera.closed is True
    event = last_event(in_camera.events)  # type: ignore[attr-defined]
    assert who_and_why(event) == {
        "actor": secretariat.pk,
        "reason": "session closedness changed",
        "justification": "Personnel matters",
    }
    # Now closed, an associate's attendance is refused on the attendance page (check_in).
    late = post_form(client, f"/admin/governance/session/{in_camera.pk}/attendance/", {"state": str(associate.pk)})
    assert any("Closed sessions are for member states only" in m for m in messages_of(late))

    # Once the session has started the flag is fixed: no page, and a stale form is refused.
    started = SessionFactory(title="Started", starts_at=timezone.now() - dt.timedelta(minutes=5))
    started_url = f"/admin/governance/session/{started.pk}/closedness/"
    assert f'href="{started_url}"' not in client.get(f"/admin/governance/session/{started.pk}/change/").content.decode()
    # Nor can it be moved back into the future to reopen the flag: its date and body are fixed too.
    started_change = f"/admin/governance/session/{started.pk}/change/"
    assert not {"starts_at_0", "starts_at_1", "council"} & set(form_fields(client, started_change))
    post_form(client, started_change, {"title": "Started (renamed)"})
    assert Session.objects.get(pk=started.pk).title == "Started (renamed)"
    stale = client.post(started_url, {"closed": "on", "reason": "late"}, follow=True)
    assert any("does not apply" in m for m in messages_of(stale))
    assert Session.objects.get(pk=started.pk).closed is False


def test_a_bodys_voting_rules_change_on_their_page_never_under_an_open_ballot(
    secretariat: Any, login: Any, make_ballot: Any
) -> None:
    ballot = make_ballot()  # open, in the Council's session
    council = Council.objects.get(name="Council")
    assert (council.quorum_required, council.weighted_rule) == (True, "off")
    client = login(secretariat)
    change = f"/admin/governance/council/{council.pk}/change/"
    url = f"/admin/governance/council/{council.pk}/voting-rules/"
    fields = form_fields(client, change)
    assert "quorum_required" not in fields and "weighted_rule" not in fields
    assert {"quorum_required", "weighted_rule"} <= set(form_fields(client, "/admin/governance/council/add/"))

    refused = post_form(client, url, {"weighted_rule": "on", "reason": "Council decision 2026/7"})
    assert any(
        "A ballot of Council is open (" in m and "its voting rules cannot change under a running ballot" in m
        for m in messages_of(refused)
    ), messages_of(refused)
    council.refresh_from_db()
    assert (council.quorum_required, council.weighted_rule) == (True, "off")

    # The ballot closes (the admin's action); then the rules change, audited with who and why.
    post_form(client, "/admin/governance/ballot/", {"action": "close_ballots", "_selected_action": str(ballot.pk)})
    assert Ballot.objects.get(pk=ballot.pk).status == Ballot.Status.CLOSED
    done = post_form(client, url, {"quorum_required": None, "weighted_rule": "on", "reason": "Council decision 2026/7"})
    assert (
        "The voting rules of Council are changed: quorum not required; weighted rule contribution-weighted."
        in messages_of(done)
    )
    council.refresh_from_db()
    assert (council.quorum_required, council.weighted_rule) == (False, "on")
    event = last_event(council.events)  # type: ignore[attr-defined]
    assert who_and_why(event) == {
        "actor": secretariat.pk,
        "reason": "voting rules changed",
        "justification": "Council decision 2026/7",
    }
    unchanged = post_form(client, url, {"reason": "again"})
    assert "These are already the body&#x27;s settings." in messages_of(unchanged)  # on its field
