"""Issue 8 §1 for governance (T16): the secretariat (staff, not a superuser) posts the real admin
forms, built from their GET as a browser would; every write a rule governs is refused with a clear
message or carried out by the service that keeps the rule."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from governance import services
from governance.models import Appointment, Attendance, MemberState, Motion, Ratification
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
    url = f"/admin/governance/session/{closed.pk}/change/"
    for state, status in ((associate, "associate member"), (observer, "observer")):
        response = post_form(client, url, {"attendances-0-state": str(state.pk)})
        expected = f"Closed sessions are for member states only; {state.name} is not a member state ({status})."
        assert expected in messages_of(response)
    assert not Attendance.objects.filter(session=closed).exists()
    post_form(client, url, {"attendances-0-state": str(members[0].pk)})
    attendance = Attendance.objects.get(session=closed)
    assert (attendance.state, attendance.checked_in_by) == (members[0], secretariat)


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
    too_early = post_form(client, url, {"end": "2019-12-31"})
    assert "A term must end after it starts." in messages_of(too_early)
    post_form(client, url, {"end": "2026-03-01"})
    appointment.refresh_from_db()
    assert appointment.end == dt.date(2026, 3, 1)
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
