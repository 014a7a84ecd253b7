"""T16, no escalation: the secretariat (staff, group Secretariat, not a superuser) posts the real admin
forms and cannot raise its own or anyone's power, set a password or second factor, change another
staff account, sign in as someone, or touch the audit trail."""

from __future__ import annotations

from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import Group, Permission
from django.db import connection, transaction
from django.urls import get_resolver

from tests import factories
from tests.admin_forms import form_fields, messages_of, post_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(db: Any) -> Any:
    return factories.UserFactory(email="delegate.person@example.org", name="Dora Delegate", mfa=True)


def change_url(user: Any) -> str:
    return f"/admin/accounts/user/{user.pk}/change/"


def test_secretariat_is_not_offered_grants_and_a_forged_post_grants_nothing(
    secretariat: Any, person: Any, login: Any
) -> None:
    client = login(secretariat)
    url = change_url(person)
    shown = form_fields(client, url)
    assert not {"is_superuser", "is_staff", "groups", "user_permissions", "password", "email"} & set(shown)

    # A crafted request adds what the page does not offer: the admin ignores it.
    superuser_perm = Permission.objects.get(codename="change_user")
    secretariat_group = Group.objects.get(name="Secretariat")
    forged = {
        **shown,
        "name": "Dora D. Delegate",
        "is_superuser": "on",
        "is_staff": "on",
        "groups": [str(secretariat_group.pk)],
        "user_permissions": [str(superuser_perm.pk)],
        "email": "secretariat-controlled@example.org",
    }
    response = client.post(url, forged, follow=True)
    assert response.status_code == 200
    person.refresh_from_db()
    assert person.name == "Dora D. Delegate"  # the profile is the secretariat's to keep up to date
    assert (person.is_superuser, person.is_staff) == (False, False)
    assert not person.groups.exists() and not person.user_permissions.exists()
    assert person.email == "delegate.person@example.org"


def test_secretariat_cannot_tick_its_own_superuser_flag(secretariat: Any, login: Any) -> None:
    client = login(secretariat)
    url = change_url(secretariat)
    page = client.get(url)
    assert "Only a superuser can change a staff account" in " ".join(messages_of(page))
    with pytest.raises(AssertionError, match="shows no field 'is_superuser'"):
        post_form(client, url, {"is_superuser": "on"})

    response = client.post(url, {**form_fields(client, url), "is_superuser": "on", "name": "Sam"}, follow=True)
    assert "Only a superuser can change a staff account" in " ".join(messages_of(response))
    secretariat.refresh_from_db()
    assert not secretariat.is_superuser
    assert secretariat.name == "Sam Secretariat"


def test_secretariat_cannot_change_another_staff_account(secretariat: Any, login: Any) -> None:
    colleague = factories.UserFactory(email="colleague@example.org", name="Colin Colleague", is_staff=True, mfa=True)
    client = login(secretariat)
    response = post_form(client, change_url(colleague), {"is_active": None})
    assert "Only a superuser can change a staff account" in " ".join(messages_of(response))
    colleague.refresh_from_db()
    assert colleague.is_active


def test_secretariat_cannot_set_a_persons_password(secretariat: Any, person: Any, login: Any) -> None:
    client = login(secretariat)
    url = f"/admin/accounts/user/{person.pk}/password/"
    response = client.get(url, follow=True)
    assert "Nobody sets another person's password" in " ".join(messages_of(response))
    response = client.post(
        url, {"password1": "Secretariat-knows-1", "password2": "Secretariat-knows-1", "usable_password": "true"}
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.check_password(factories.PASSWORD)
    assert not person.check_password("Secretariat-knows-1")


def test_an_account_added_by_the_secretariat_has_no_password_the_secretariat_knows(
    secretariat: Any, login: Any
) -> None:
    client = login(secretariat)
    shown = form_fields(client, "/admin/accounts/user/add/")
    assert not {"password1", "password2", "usable_password"} & set(shown)
    response = post_form(client, "/admin/accounts/user/add/", {"email": "New.Person@example.org", "name": "Nina New"})
    assert response.status_code == 200, messages_of(response)
    created = factories.User.objects.get(email="new.person@example.org")
    assert not created.has_usable_password()
    assert not created.is_staff and not created.is_superuser


def test_second_factors_are_shown_but_cannot_be_deleted_in_the_admin(secretariat: Any, person: Any, login: Any) -> None:
    client = login(secretariat)
    assert client.get("/admin/mfa/authenticator/").status_code == 404  # no admin for them at all
    url = change_url(person)
    page = client.get(url).content.decode()
    assert "second factors" in page.lower() or "Second factors" in page
    data = form_fields(client, url)
    assert not [name for name in data if name.endswith("-DELETE")]
    forged = {**data}
    for index, authenticator in enumerate(Authenticator.objects.filter(user=person).order_by("pk")):
        forged[f"authenticators-{index}-id"] = str(authenticator.pk)
        forged[f"authenticators-{index}-DELETE"] = "on"
    client.post(url, forged)
    assert Authenticator.objects.filter(user=person, type=Authenticator.Type.TOTP).exists()


def test_secretariat_cannot_edit_role_groups(secretariat: Any, login: Any) -> None:
    group = Group.objects.get(name="Secretariat")
    client = login(secretariat)
    url = f"/admin/auth/group/{group.pk}/change/"
    assert client.get(url).status_code == 200  # it may read who is in which group
    perm = Permission.objects.get(codename="change_user")
    response = client.post(url, {"name": "Secretariat", "permissions": [str(perm.pk)]})
    assert response.status_code == 403
    assert not group.permissions.exists()
    assert client.post("/admin/auth/group/add/", {"name": "Delegates"}).status_code == 403


def test_secretariat_cannot_edit_or_delete_audit_rows(secretariat: Any, login: Any) -> None:
    from governance.models import Council

    council = Council.objects.create(name="Audit Council")
    event_model = Council.pgh_event_model  # type: ignore[attr-defined]
    event = event_model.objects.get(pgh_obj=council)
    client = login(secretariat)
    listing = client.get("/admin/pghistory/events/")
    assert listing.status_code == 200
    for url in (f"/admin/pghistory/events/{event.pk}/change/", f"/admin/pghistory/events/{event.pk}/delete/"):
        response = client.post(url, {"post": "yes", "pgh_label": "forged"}, follow=True)
        assert not [m for m in messages_of(response) if "successfully" in m], url
    assert event_model.objects.filter(pk=event.pk, pgh_label="insert").exists()
    # Below the admin too: the event tables are append-only in the database itself.
    with (
        pytest.raises(Exception, match=r"(?i)append|cannot|not allowed|protect"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"DELETE FROM {event_model._meta.db_table} WHERE pgh_id = %s", [event.pk])


def test_there_is_no_way_to_sign_in_as_someone_else() -> None:
    """No hijack, impersonation or login-as view is installed or routed."""
    from django.conf import settings

    words = ("hijack", "impersonat", "loginas", "login_as", "become", "switch_user", "su/")
    installed = " ".join(settings.INSTALLED_APPS + settings.MIDDLEWARE).lower()
    assert not [w for w in words if w in installed]

    def patterns(resolver: Any, prefix: str = "") -> list[str]:
        found = []
        for entry in resolver.url_patterns:
            route = prefix + str(entry.pattern)
            found.append(route + " " + str(getattr(entry, "name", "") or ""))
            if hasattr(entry, "url_patterns"):
                found.extend(patterns(entry, route))
        return found

    routed = patterns(get_resolver())
    assert routed  # the walk saw the site
    assert not [r for r in routed if any(w in r.lower() for w in words)]


def test_a_persons_history_page_shows_the_audit_trail_with_who(secretariat: Any, person: Any, login: Any) -> None:
    client = login(secretariat)
    post_form(client, change_url(person), {"name": "Dora D. Delegate"})
    history = client.get(f"/admin/accounts/user/{person.pk}/history/")
    assert history.status_code == 200
    html = history.content.decode()
    assert 'id="audit-trail"' in html
    assert "Dora D. Delegate" in html and "secretariat@example.org" in html
    assert "pbkdf2" not in html and "argon2" not in html  # no password hash in the trail
