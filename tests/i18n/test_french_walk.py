"""Issue 14, acceptance: every portal page, read in French by each role over the demo data, shows no
English sentence of the project's own catalogues (a translated msgid of three words or more).

The walk starts at each role's home and dashboard and follows the links of every page it opens
(two pages per URL pattern, so every kind of page is read without reading every application); the
secretariat also reads the admin index and a few changelists. Signed-in people read French because
their profile says so (the language applied at sign-in), the public because of the language cookie.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import Resolver404, resolve

from cernai.accounts.models import User
from cernai.core.models import Notification
from tests.i18n.catalogue import english_phrases, visible_text

ROLES = {
    "public": None,
    "applicant": "applicant@cernai.example",
    "reviewer": "reviewer@cernai.example",
    "PI": "pi@cernai.example",
    "delegate": "fr.sci@cernai.example",
    "chair": "chair@cernai.example",
    "secretariat": "secretariat@cernai.example",
}
ADMIN_PAGES = [
    "/admin/",
    "/admin/governance/",
    "/admin/governance/ballot/",
    "/admin/governance/memberstate/",
    "/admin/fellowships/application/",
    "/admin/fellowships/call/",
    "/admin/compute/allocationrequest/",
    "/admin/finance/payment/",
    "/admin/nodes/node/",
]
SKIPPED_PREFIXES = ("/accounts/logout", "/i18n/", "/api/", "/static/", "/media/", "/files/", "/admin/", "/healthz")
PAGES_PER_PATTERN = 2
MAX_PAGES_PER_ROLE = 120


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def links_of(url: str, html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    out = []
    for href in parser.hrefs:
        parts = urlsplit(urljoin(url, href))
        if parts.netloc not in ("", "testserver") or parts.scheme not in ("", "http"):
            continue
        out.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return out


def pattern_of(path: str) -> str | None:
    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        return None
    return f"{match.route}?{bool(urlsplit(path).query)}"


def walk(client: Client, starts: list[str]) -> Iterator[tuple[str, str]]:
    """(url, html) of every page reached from ``starts``, two per URL pattern."""
    queue, seen, per_pattern = list(starts), set(), defaultdict(int)
    opened = 0
    while queue and opened < MAX_PAGES_PER_ROLE:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        pattern = pattern_of(url)
        if pattern is None or per_pattern[pattern] >= PAGES_PER_PATTERN:
            continue
        per_pattern[pattern] += 1
        response = client.get(url)
        if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
            continue
        opened += 1
        html = response.content.decode()
        yield url, html
        queue.extend(link for link in links_of(url, html) if not link.startswith(SKIPPED_PREFIXES))


@pytest.fixture(scope="module")
def demo(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    with django_db_blocker.unblock():
        call_command("seed_demo", stdout=io.StringIO())
        User.objects.update(language="fr")  # every person reads French: the profile says so
        # The seed's notifications were rendered for people who read English then (a message, like
        # an email, is written once in its reader's language of the day): not the pages' strings.
        Notification.objects.all().delete()
        yield
        call_command("flush", interactive=False, verbosity=0)


@pytest.mark.django_db
def test_every_page_in_french_shows_no_english_sentence_of_our_catalogues(demo: None) -> None:
    phrases = english_phrases()
    assert len(phrases) > 500  # the catalogues were read
    found: dict[str, set[str]] = defaultdict(set)
    pages: dict[str, int] = {}
    for role, email in ROLES.items():
        client = Client()
        if email is None:
            client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
        else:
            client.force_login(User.objects.get(email=email))
        starts = ["/"] if email is None else ["/", "/dashboard/", "/profile/", "/notifications/"]
        count = 0
        for url, html in walk(client, starts):
            count += 1
            assert '<html lang="fr"' in html, f"{url} as {role} is not in French"
            text = visible_text(html)
            for phrase in phrases:
                if phrase in text:
                    found[phrase].add(f"{url} ({role})")
        if role == "secretariat":
            for url in ADMIN_PAGES:
                response = client.get(url)
                assert response.status_code == 200, url
                count += 1
                text = visible_text(response.content.decode())
                for phrase in phrases:
                    if phrase in text:
                        found[phrase].add(f"{url} ({role})")
        pages[role] = count
    assert all(n >= 3 for n in pages.values()), pages  # every role read its pages
    report = [f"{phrase!r} [{phrases[phrase]}] on {', '.join(sorted(where)[:3])}" for phrase, where in found.items()]
    assert not report, f"English left on French pages ({len(report)}), pages read {pages}:\n" + "\n".join(
        sorted(report)
    )
