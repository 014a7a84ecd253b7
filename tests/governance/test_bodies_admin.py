"""Issue 9 item 6 in the admin (T16): the secretariat (staff, not a superuser) appoints committee
members, ends their terms, records members' attendance and attaches recommendations by posting the
real admin forms; every rule is kept by governance/bodies.py and refusals name the field."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from governance import bodies
from governance.models import Attendance, BodyMembership, Council, Recommendation
from tests.admin_forms import form_fields, messages_of, post_form
from tests.factories import UserFactory
from tests.governance.factories import AgendaItemFactory, MotionFactory, SessionFactory

pytestmark = pytest.mark.django_db
ADD = "/admin/governance/bodymembership/add/"


@pytest.fixture
def spc(db: Any) -> Council:
    return Council.objects.create(name="Scientific Policy Committee", kind=Council.Kind.AD_PERSONAM)


@pytest.fixture
def fc(db: Any) -> Council:
    return Council.objects.create(name="Finance Committee", kind=Council.Kind.PER_STATE)


def test_the_secretariat_appoints_a_member_ad_personam(spc: Council, secretariat: Any, login: Any) -> None:
    assert secretariat.is_staff and not secretariat.is_superuser
    client = login(secretariat)
    person = UserFactory(email="ada@example.org", name="Ada Scientist")
    response = post_form(client, ADD, {"body": str(spc.pk), "user": str(person.pk), "start": "2026-01-01"})
    assert response.status_code == 200
    membership = BodyMembership.objects.get(user=person)
    assert (membership.body, membership.state, membership.start) == (spc, None, dt.date(2026, 1, 1))
    assert membership.events.get().pgh_context.metadata["reason"] == "appoint committee member"  # audited


def test_a_member_ad_personam_with_a_state_is_refused_naming_the_field(
    spc: Council, secretariat: Any, login: Any, france: Any
) -> None:
    client = login(secretariat)
    person = UserFactory(email="ada@example.org")
    response = post_form(
        client, ADD, {"body": str(spc.pk), "user": str(person.pk), "state": str(france.pk), "start": "2026-01-01"}
    )
    assert any("appointed ad personam: they represent no state" in m for m in messages_of(response))
    assert not BodyMembership.objects.exists()


def test_a_second_representative_of_a_state_is_refused(fc: Council, secretariat: Any, login: Any, france: Any) -> None:
    rep = UserFactory(name="Rep One")
    bodies.appoint_member(actor=secretariat, body=fc, user=rep, state=france, start=dt.date(2026, 1, 1))
    client = login(secretariat)
    other = UserFactory(email="rep2@example.org")
    response = post_form(
        client, ADD, {"body": str(fc.pk), "user": str(other.pk), "state": str(france.pk), "start": "2026-03-01"}
    )
    assert any("France is already represented on Finance Committee by Rep One" in m for m in messages_of(response))
    assert BodyMembership.objects.count() == 1


def test_a_term_is_ended_and_not_reopened_in_the_admin(spc: Council, secretariat: Any, login: Any) -> None:
    membership = bodies.appoint_member(actor=secretariat, body=spc, user=UserFactory(), start=dt.date(2026, 1, 1))
    client = login(secretariat)
    url = f"/admin/governance/bodymembership/{membership.pk}/change/"
    fields = form_fields(client, url)
    assert "user" not in fields and "body" not in fields and "state" not in fields and "start" not in fields
    response = post_form(client, url, {"end": "2025-06-01"})
    assert any("must end after it starts" in m for m in messages_of(response))
    post_form(client, url, {"end": "2026-07-01"})
    membership.refresh_from_db()
    assert membership.end == dt.date(2026, 7, 1)
    response = post_form(client, url, {"end": ""})
    assert any("cannot be reopened" in m for m in messages_of(response))
    assert client.get(f"/admin/governance/bodymembership/{membership.pk}/delete/").status_code == 403


def test_a_bodys_kind_is_fixed_once_it_has_met(spc: Council, secretariat: Any, login: Any) -> None:
    client = login(secretariat)
    url = f"/admin/governance/council/{spc.pk}/change/"
    assert "kind" in form_fields(client, url)
    SessionFactory(council=spc)
    assert "kind" not in form_fields(client, url)


def test_a_members_attendance_is_recorded_in_person(spc: Council, secretariat: Any, login: Any) -> None:
    member = UserFactory(email="m@example.org")
    bodies.appoint_member(actor=secretariat, body=spc, user=member, start=dt.date(2026, 1, 1))
    outsider = UserFactory(email="o@example.org")
    session = SessionFactory(council=spc)
    client = login(secretariat)
    url = f"/admin/governance/session/{session.pk}/attendance/"  # the session's "Record attendance" page
    fields = form_fields(client, url)
    assert "member" in fields and "state" not in fields
    response = post_form(client, url, {"member": str(outsider.pk)})  # not offered: not a serving member
    assert "Select a valid choice" in response.content.decode()
    assert not Attendance.objects.filter(session=session).exists()
    response = post_form(client, url, {"member": str(member.pk)})
    assert f"{member} is recorded as present at {session}." in messages_of(response)
    assert Attendance.objects.get(session=session).member == member


def test_the_secretariat_attaches_a_recommendation(spc: Council, secretariat: Any, login: Any, chair: Any) -> None:
    council_motion = MotionFactory(title="Adopt the plan")
    committee_motion = MotionFactory(item=AgendaItemFactory(session=SessionFactory(council=spc)), title="SPC advice")
    client = login(secretariat)
    url = "/admin/governance/recommendation/add/"
    response = post_form(client, url, {"motion": str(council_motion.pk), "council_motion": str(council_motion.pk)})
    assert any("A recommendation is a committee" in m for m in messages_of(response))
    post_form(client, url, {"motion": str(committee_motion.pk), "council_motion": str(council_motion.pk)})
    recommendation = Recommendation.objects.get()
    assert (recommendation.motion, recommendation.council_motion) == (committee_motion, council_motion)
    assert recommendation.events.get().pgh_context.metadata["reason"] == "attach recommendation"
