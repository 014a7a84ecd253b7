"""Roles follow from the institution's records, and so does the second factor: an appointment made
in the governance admin by the secretariat makes a delegate who must set up MFA before voting; an
ended term ends the role; a group of a role's name gives nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from cernai.accounts import roles
from cernai.core.demo import demo_totp_secret
from governance.models import Appointment, MemberState, Vote
from tests import factories
from tests.admin_forms import form_fields, messages_of, post_form

pytestmark = pytest.mark.django_db
MFA_SETUP = "/accounts/2fa/totp/activate/"


def appoint_in_admin(secretariat: Any, login: Any, state: MemberState, person: Any, **changes: Any) -> Appointment:
    client = login(secretariat)
    response = post_form(
        client,
        "/admin/governance/appointment/add/",
        {
            "state": str(state.pk),
            "user": str(person.pk),
            "role": Appointment.Role.SCIENTIFIC,
            "start": "2020-01-01",
            **changes,
        },
    )
    assert response.status_code == 200
    assert not [m for m in messages_of(response) if "error" in m.lower()], messages_of(response)
    return Appointment.objects.get(user=person)


def vote(person: Any, ballot: Any) -> Any:
    client = Client()
    client.force_login(person)
    return client, client.post(f"/governance/ballots/{ballot.pk}/vote/", {"choice": "yes", "confirmed": "1"})


def test_an_appointment_in_the_admin_gives_no_vote_until_the_person_sets_up_mfa(
    secretariat: Any,
    login: Any,
    france: MemberState,
    make_ballot: Any,
) -> None:
    ballot = make_ballot()
    person = factories.UserFactory(email="new.delegate@example.org", name="Nouveau Délégué")  # no second factor
    appoint_in_admin(secretariat, login, france, person)

    client, response = vote(person, ballot)
    assert response.status_code == 302 and response["Location"] == MFA_SETUP
    assert not Vote.objects.filter(ballot=ballot).exists()
    page = client.get(f"/governance/ballots/{ballot.pk}/", follow=True)
    assert "Your role requires two-factor authentication" in page.content.decode()

    # Once they have set up their second factor (as in their account pages), the vote is theirs.
    TOTP.activate(person, demo_totp_secret(person.email))
    client, response = vote(person, ballot)
    assert response.status_code == 200
    assert Vote.objects.filter(ballot=ballot, state=france).count() == 1


def test_an_ended_term_ends_the_role_and_its_access(
    secretariat: Any,
    login: Any,
    france: MemberState,
    make_ballot: Any,
) -> None:
    ballot = make_ballot()
    person = factories.UserFactory(email="leaving.delegate@example.org", name="Louise Leaving", mfa=True)
    appointment = appoint_in_admin(secretariat, login, france, person)
    assert roles.DELEGATE in roles.held(factories.User.objects.get(pk=person.pk))

    today = timezone.localdate()
    response = post_form(
        login(secretariat),
        f"/admin/governance/appointment/{appointment.pk}/end-term/",
        {"end": today.isoformat(), "reason": "recalled by the state"},
    )
    assert response.status_code == 200, messages_of(response)
    appointment.refresh_from_db()
    assert appointment.end == today

    fresh = factories.User.objects.get(pk=person.pk)
    assert roles.held(fresh) == frozenset()
    client, response = vote(person, ballot)
    assert response.status_code in {302, 403, 404}
    assert not Vote.objects.filter(ballot=ballot).exists()
    assert client.get("/governance/").status_code in {302, 403}


def test_a_group_named_after_a_role_gives_nothing(france: MemberState, make_ballot: Any) -> None:
    ballot = make_ballot()
    person = factories.UserFactory(email="group.only@example.org", mfa=True)
    for name in (roles.DELEGATE, roles.CHAIR, roles.REVIEWER, roles.ADVISER):
        person.groups.add(Group.objects.get_or_create(name=name)[0])
    assert roles.held(factories.User.objects.get(pk=person.pk)) == frozenset()
    _, response = vote(person, ballot)
    assert response.status_code in {302, 403, 404}
    assert not Vote.objects.filter(ballot=ballot).exists()


def test_roles_from_each_app_and_the_mfa_they_require(reviewer: Any, chair: Any) -> None:
    """The chair of a council is the chair; a person without records holds nothing and needs no MFA."""
    from cernai.accounts.permissions import requires_mfa

    assert roles.held(factories.User.objects.get(pk=chair.pk)) == {roles.CHAIR}
    nobody = factories.UserFactory(email="nobody@example.org")
    assert roles.held(nobody) == frozenset() and not requires_mfa(nobody)
    adviser = factories.UserFactory(email="adviser@example.org")
    from governance.models import Adviser

    state = MemberState.objects.create(name="Ruritania", iso2="RR")
    Adviser.objects.create(state=state, user=adviser, start=dt.date(2020, 1, 1))
    fresh = factories.User.objects.get(pk=adviser.pk)
    assert roles.held(fresh) == {roles.ADVISER} and requires_mfa(fresh)


def test_an_appointment_handed_to_someone_else_in_the_admin_requires_their_mfa(
    secretariat: Any,
    login: Any,
    france: MemberState,
    make_ballot: Any,
) -> None:
    """The case of the issue, now closed in the admin: an appointment's person cannot be swapped in its
    form; the seat changes hands by ending the term and appointing the successor, whose vote then
    waits for their own second factor."""
    ballot = make_ballot()
    first = factories.UserFactory(email="first.delegate@example.org", mfa=True)
    appointment = appoint_in_admin(secretariat, login, france, first)
    url = f"/admin/governance/appointment/{appointment.pk}/change/"
    assert "user" not in form_fields(login(secretariat), url)

    yesterday = timezone.localdate() - dt.timedelta(days=1)
    end_url = f"/admin/governance/appointment/{appointment.pk}/end-term/"
    response = post_form(login(secretariat), end_url, {"end": yesterday.isoformat(), "reason": "new delegate"})
    assert response.status_code == 200, messages_of(response)
    successor = factories.UserFactory(email="successor@example.org", name="Sylvie Successor")  # no second factor
    appoint_in_admin(secretariat, login, france, successor, start=timezone.localdate().isoformat())

    _, response = vote(successor, ballot)
    assert response.status_code == 302 and response["Location"] == MFA_SETUP
    assert not Vote.objects.filter(ballot=ballot).exists()
