"""Issue 14 §4: the person's language at sign-in and emails branded with the organisation's name and
the configured base URL (never the host the request reached, "Hello from 127.0.0.1:8103!")."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client, override_settings

from cernai.accounts.models import User
from tests import factories

pytestmark = pytest.mark.django_db

BASE = "https://portal.cernai.example"


@override_settings(PORTAL_BASE_URL=BASE, SITE_NAME="cernai")
def test_the_verification_email_names_the_organisation_and_links_to_the_base_url() -> None:
    client = Client(HTTP_HOST="127.0.0.1")
    client.cookies["django_language"] = "fr"
    response = client.post(
        "/accounts/signup/",
        {
            "email": "new.person@example.org",
            "password1": "a-long-passphrase-2026",
            "password2": "a-long-passphrase-2026",
            "name": "Nouvelle Personne",
            "nationality": "BE",
            "home_institution": "UCLouvain",
            "home_country": "BE",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.get(email="new.person@example.org").language == "fr"  # signed up in French
    (email,) = mail.outbox
    assert "127.0.0.1" not in email.body and "testserver" not in email.body
    assert "Bonjour, c'est cernai !" in email.body  # allauth's French, with the organisation's name
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", email.body)
    assert link and link.group(0).startswith(f"{BASE}/accounts/confirm-email/"), email.body
    assert email.subject.startswith("[cernai] ")


@override_settings(PORTAL_BASE_URL=BASE)
def test_a_password_reset_arrives_in_the_profiles_language_with_a_link_on_the_base_url() -> None:
    factories.UserFactory(email="francophone@example.org", language="fr")
    client = Client(HTTP_HOST="localhost")  # an English page asks for it
    assert client.post("/accounts/password/reset/", {"email": "francophone@example.org"}).status_code == 302
    (email,) = mail.outbox
    assert "Bonjour, c'est cernai !" in email.body, email.body
    assert f"{BASE}/accounts/password/reset/key/" in email.body
    assert "localhost" not in email.body


def test_pages_follow_the_profiles_language_from_sign_in_and_the_switch_updates_it(login: Any) -> None:
    person = factories.UserFactory(email="lang@example.org", language="fr")
    client = Client()
    client.cookies["django_language"] = "en"  # the browser was reading English before signing in
    response = client.post("/accounts/login/", {"login": person.email, "password": factories.PASSWORD})
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "fr"  # the profile's language, from sign-in on
    assert '<html lang="fr"' in client.get("/dashboard/").content.decode()
    # Switching in the header while signed in updates the profile (the emails follow).
    client.post("/i18n/setlang/", {"language": "en", "next": "/dashboard/"})
    person.refresh_from_db()
    assert person.language == "en"
    assert '<html lang="en"' in client.get("/dashboard/").content.decode()
    # Anonymous visitors keep their own choice; nobody's profile changes.
    visitor = Client()
    visitor.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    assert '<html lang="fr"' in visitor.get("/").content.decode()
    assert User.objects.get(pk=person.pk).language == "en"
