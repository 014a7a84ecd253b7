"""Account recovery through the admin as the secretariat: an audited reason, a reset link to the
person's own address, the lost second factor removed and every session ended; the secretariat never
sees the link and cannot sign in as the person."""

from __future__ import annotations

import re
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from django.core import mail
from django.test import Client

from cernai.accounts.models import AccountRecovery, SignInFactorChange
from cernai.core.models import Notification
from tests import factories
from tests.admin_forms import form_fields, messages_of, post_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(db: Any) -> Any:
    return factories.UserFactory(email="dora.delegate@example.org", name="Dora Delegate", mfa=True)


def recovery_url(user: Any) -> str:
    return f"/admin/accounts/user/{user.pk}/recovery/"


def test_second_factor_lost_removes_it_ends_sessions_and_mails_the_person_a_link(
    secretariat: Any, person: Any, login: Any, django_capture_on_commit_callbacks: Any
) -> None:
    their_session = Client()
    their_session.force_login(person)
    assert their_session.get("/profile/").status_code == 200
    mail.outbox.clear()

    client = login(secretariat)
    change_page = client.get(f"/admin/accounts/user/{person.pk}/change/").content.decode()
    assert recovery_url(person) in change_page  # the way in is on the person's page
    with django_capture_on_commit_callbacks(execute=True):
        response = post_form(
            client,
            recovery_url(person),
            {"reason": "Lost her phone; called from the number on file.", "second_factor_lost": "on"},
        )
    assert "A password reset link was sent to dora.delegate@example.org" in " ".join(messages_of(response))

    assert not Authenticator.objects.filter(user=person).exists()
    person.refresh_from_db()
    assert not person.has_usable_password()
    assert their_session.get("/profile/").status_code == 302  # the old session is over

    assert [m.to for m in mail.outbox] == [["dora.delegate@example.org"]]
    assert re.search(r"/accounts/password/reset/key/\S+", mail.outbox[0].body)
    # The link is nowhere the secretariat can read it.
    assert not Notification.objects.filter(body_text__contains="/password/reset/key/").exists()
    assert not Notification.objects.filter(url__contains="/password/reset/key/").exists()
    assert "/password/reset/key/" not in response.content.decode()

    recovery = AccountRecovery.objects.get(person=person)
    assert (recovery.started_by, recovery.second_factor_lost) == (secretariat, True)
    removed = SignInFactorChange.objects.filter(user=person, action="removed")
    assert sorted(removed.values_list("kind", flat=True)) == ["recovery_codes", "totp"]
    assert {(c.actor, c.reason) for c in removed} == {(secretariat, "Lost her phone; called from the number on file.")}
    event = SignInFactorChange.pgh_event_model.objects.filter(pgh_obj=removed.first()).get()  # type: ignore[attr-defined]
    assert event.pgh_context.metadata["actor"] == secretariat.pk  # and in the append-only trail


def test_a_recovery_without_a_reason_is_refused_and_changes_nothing(secretariat: Any, person: Any, login: Any) -> None:
    mail.outbox.clear()
    response = post_form(login(secretariat), recovery_url(person), {"reason": "  ", "second_factor_lost": "on"})
    assert "This field is required." in messages_of(response)
    assert Authenticator.objects.filter(user=person).count() == 2
    assert not AccountRecovery.objects.exists() and not mail.outbox


def test_a_reset_link_alone_keeps_the_second_factor(
    secretariat: Any, person: Any, login: Any, django_capture_on_commit_callbacks: Any
) -> None:
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        post_form(login(secretariat), recovery_url(person), {"reason": "Forgot her password."})
    assert Authenticator.objects.filter(user=person).count() == 2
    person.refresh_from_db()
    assert person.has_usable_password()
    assert [m.to for m in mail.outbox] == [["dora.delegate@example.org"]]


def test_the_secretariat_cannot_recover_a_staff_account(secretariat: Any, login: Any) -> None:
    colleague = factories.UserFactory(email="colleague@example.org", is_staff=True, mfa=True)
    client = login(secretariat)
    assert "reason" not in form_fields(client, f"/admin/accounts/user/{colleague.pk}/change/")
    response = client.post(recovery_url(colleague), {"reason": "takeover", "second_factor_lost": "on"}, follow=True)
    assert "Only a superuser can change a staff account" in " ".join(messages_of(response))
    assert Authenticator.objects.filter(user=colleague).count() == 2
    assert not AccountRecovery.objects.exists()
