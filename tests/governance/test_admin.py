"""Issue 8 §1 for governance (T16): the secretariat (staff, not a superuser) posts the real admin
forms, built from their GET as a browser would; every write a rule governs is refused with a clear
message or carried out by the service that keeps the rule."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from governance import services
from governance.models import Adviser, Appointment, Attendance, MemberState, Motion, Ratification
from tests.admin_forms import form_fields, messages_of, post_form
from tests.factories import UserFactory
from tests.governance.factories import MotionFactory, SessionFactory

pytestmark = pytest.mark.django_db


def test_a_motion_cannot_be_set_adopted_in_the_admin(secretariat: Any, login: Any, make_ballot: Any) -> None:
    motion = make_ballot(open=False).motion
    assert secretariat.is_staff and not secretariat.is_superuser  # the rules' permissions, not a superuser's
    client = login(secretariat)
    url = f"/admin/governance/motion/{motion.pk}/change/"
    fields = form_fields(client, url)
    assert "status" not in fields and "resolution_number" not in fields
    with pytest.raises(AssertionError, match="shows no field 'status'"):
        post_form(client, url, {"status": "adopted"})
    response = post_form(client, url, {"title": "Adopt the plan (revised title)"})
    assert response.status_code == 200
    motion.refresh_from_db()
    assert (motion.title, motion.status, motion.resolution_number) == ("Adopt the plan (revised title)", "draft", "")
    page = client.get(url).content.decode()
    assert "draft" in page  # the status is shown, read-only


def test_a_motion_whose_ballot_opened_keeps_its_rule(secretariat: Any, login: Any, make_ballot: Any) -> None:
    motion = make_ballot().motion
    fields = form_fields(login(secretariat), f"/admin/governance/motion/{motion.pk}/change/")
    assert "kind" not in fields and "programme" not in fields


@pytest.fixture
def amendment(members: list[MemberState], session: Any) -> Motion:
    from tests.governance.factories import AgendaItemFactory

    return MotionFactory(item=AgendaItemFactory(session=session), kind=Motion.Kind.AMENDMENT, title="Amend art. V")


def test_ratifications_entered_in_the_admin_put_the_amendment_in_force(
    members: list[MemberState], amendment: Motion, secretariat: Any, login: Any
) -> None:
    for state in members[1:]:  # 22 of the 23 have ratified already
        services.record_ratification(actor=None, motion=amendment, state=state, deposited_on=dt.date(2026, 5, 1))
    client = login(secretariat)
    url = f"/admin/governance/motion/{amendment.pk}/change/"
    response = post_form(
        client,
        url,
        {  # the blank row after the 22 shown read-only
            "ratifications-22-state": str(members[0].pk),
            "ratifications-22-deposited_on": "2026-06-01",
            "ratifications-22-reference": "Instrument deposited with the Director-General",
        },
    )
    assert "Every member state has ratified: the amendment is in force." in messages_of(response)
    amendment.refresh_from_db()
    assert amendment.status == Motion.Status.IN_FORCE
    assert Ratification.objects.filter(motion=amendment).count() == 23


def test_an_associate_states_ratification_is_refused_in_the_admin(
    amendment: Motion, associate: MemberState, secretariat: Any, login: Any
) -> None:
    url = f"/admin/governance/motion/{amendment.pk}/change/"
    response = post_form(
        login(secretariat),
        url,
        {"ratifications-0-state": str(associate.pk), "ratifications-0-deposited_on": "2026-06-01"},
    )
    assert "Only member states ratify amendments; Cyprus is not a member state (associate member)." in messages_of(
        response
    )
    assert not Ratification.objects.exists()


def test_associates_and_observers_cannot_be_recorded_at_closed_sessions(
    members: list[MemberState], associate: MemberState, observer: MemberState, secretariat: Any, login: Any
) -> None:
    closed = SessionFactory(closed=True, title="In camera")
    client = login(secretariat)
    change = f"/admin/governance/session/{closed.pk}/change/"
    url = f"/admin/governance/session/{closed.pk}/attendance/"
    assert not any(name.startswith("attendances-0-") for name in form_fields(client, change))  # the register is read
    assert f'href="{url}"' in client.get(change).content.decode()
    for state, status in ((associate, "associate member"), (observer, "observer")):
        response = post_form(client, url, {"state": str(state.pk)})
        expected = f"Closed sessions are for member states only; {state.name} is not a member state ({status})."
        assert expected in messages_of(response)
    assert not Attendance.objects.filter(session=closed).exists()
    response = post_form(client, url, {"state": str(members[0].pk)})
    assert f"{members[0].name} is recorded as present at In camera." in messages_of(response)
    attendance = Attendance.objects.get(session=closed)
    assert (attendance.state, attendance.checked_in_by) == (members[0], secretariat)
    assert members[0].name in client.get(change).content.decode()  # shown in the register


def test_appointments_go_through_the_service(
    members: list[MemberState], delegate_fr_sci: Any, secretariat: Any, login: Any
) -> None:
    france = members[0]
    client = login(secretariat)
    newcomer = UserFactory(email="new.delegate@example.org", name="Nina Newcomer", mfa=True)
    overlap = post_form(
        client,
        "/admin/governance/appointment/add/",
        {"state": str(france.pk), "user": str(newcomer.pk), "role": "scientific", "start": "2026-01-01"},
    )
    assert "This state already has a delegate in this role during that term." in messages_of(overlap)
    appointment = Appointment.objects.get(user=delegate_fr_sci)
    url = f"/admin/governance/appointment/{appointment.pk}/change/"
    fields = form_fields(client, url)
    assert not {"state", "user", "role", "start"} & set(fields)  # fixed once appointed
    assert "end" not in fields  # ended on its own page, through end_appointment
    end_url = f"/admin/governance/appointment/{appointment.pk}/end-term/"
    too_early = post_form(client, end_url, {"end": "2019-12-31", "reason": "letter of the ministry"})
    assert "A term must end after it starts." in messages_of(too_early)
    assert Appointment.objects.get(pk=appointment.pk).end is None
    post_form(client, end_url, {"end": "2026-03-01", "reason": "letter of the ministry"})
    appointment.refresh_from_db()
    assert appointment.end == dt.date(2026, 3, 1)
    later = post_form(client, end_url, {"end": "2026-06-01", "reason": "changed their mind"})
    assert any("an ended term is not extended, appoint again instead" in m for m in messages_of(later))
    assert Appointment.objects.get(pk=appointment.pk).end == dt.date(2026, 3, 1)
    history = client.get(f"/admin/governance/appointment/{appointment.pk}/history/").content.decode()
    assert "secretariat@example.org" in history and "end appointment — letter of the ministry" in history
    # Now the seat is free from 1 March: the newcomer is appointed through the service.
    post_form(
        client,
        "/admin/governance/appointment/add/",
        {"state": str(france.pk), "user": str(newcomer.pk), "role": "scientific", "start": "2026-03-01"},
    )
    assert Appointment.objects.filter(user=newcomer, state=france, start=dt.date(2026, 3, 1)).exists()
    ended = appointment.events.order_by("pgh_id").last()  # type: ignore[attr-defined]
    assert ended.end == dt.date(2026, 3, 1)
    assert (ended.pgh_context.metadata["actor"], ended.pgh_context.metadata["reason"]) == (
        secretariat.pk,
        "end appointment",
    )


def test_a_motion_is_withdrawn_in_the_admin_with_a_reason(secretariat: Any, login: Any, make_ballot: Any) -> None:
    motion = make_ballot(open=False).motion
    client = login(secretariat)
    url = f"/admin/governance/motion/{motion.pk}/change/"
    post_form(client, url, {"withdrawal": "Replaced by motion 12."})
    motion.refresh_from_db()
    assert (motion.status, motion.withdrawal_reason) == ("withdrawn", "Replaced by motion 12.")
    assert motion.events.order_by("pgh_id").last().pgh_context.metadata["reason"] == "withdraw motion"  # type: ignore[attr-defined]
    # Once its ballot is open, the admin no longer offers it.
    opened = make_ballot().motion
    assert "withdrawal" not in form_fields(client, f"/admin/governance/motion/{opened.pk}/change/")


def test_an_adviser_is_attached_through_the_service_and_the_term_ended_on_its_own_page(
    members: list[MemberState], secretariat: Any, login: Any
) -> None:
    france = members[0]
    client = login(secretariat)
    person = UserFactory(email="adviser@example.org", name="Ada Adviser", mfa=True)
    add = "/admin/governance/adviser/add/"
    backwards = post_form(
        client, add, {"state": str(france.pk), "user": str(person.pk), "start": "2026-02-01", "end": "2026-01-01"}
    )
    assert "A term must end after it starts." in messages_of(backwards)
    post_form(client, add, {"state": str(france.pk), "user": str(person.pk), "start": "2026-01-01"})
    adviser = Adviser.objects.get(user=person)
    assert adviser.events.get().pgh_context.metadata["reason"] == "appoint adviser"  # type: ignore[attr-defined]
    twice = post_form(client, add, {"state": str(france.pk), "user": str(person.pk), "start": "2026-06-01"})
    assert "Ada Adviser already advises France during that term." in " ".join(messages_of(twice))
    assert Adviser.objects.filter(user=person).count() == 1
    change = f"/admin/governance/adviser/{adviser.pk}/change/"
    assert not {"state", "user", "start", "end"} & set(form_fields(client, change))  # fixed once made
    end_url = f"/admin/governance/adviser/{adviser.pk}/end-term/"
    no_reason = post_form(client, end_url, {"end": "2026-04-01"})
    assert "This field is required." in messages_of(no_reason)
    post_form(client, end_url, {"end": "2026-04-01", "reason": "left the delegation"})
    adviser.refresh_from_db()
    assert adviser.end == dt.date(2026, 4, 1)
    history = client.get(f"/admin/governance/adviser/{adviser.pk}/history/").content.decode()
    assert "secretariat@example.org" in history and "end adviser — left the delegation" in history


def test_a_states_status_is_read_only_once_the_state_exists(
    members: list[MemberState], secretariat: Any, login: Any
) -> None:
    """The status decides who votes: chosen when a founding state is added, then changed only by the
    membership services (accession, association). The contribution share is still typed in (issue 10
    item 1 takes it from the adopted scale)."""
    client = login(secretariat)
    assert "status" in form_fields(client, "/admin/governance/memberstate/add/")
    assert "status" not in form_fields(client, f"/admin/governance/memberstate/{members[0].pk}/change/")
    with pytest.raises(AssertionError, match="shows no field 'status'"):
        post_form(client, f"/admin/governance/memberstate/{members[0].pk}/change/", {"status": "observer"})
    assert MemberState.objects.get(pk=members[0].pk).status == MemberState.Status.MEMBER
