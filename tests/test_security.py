"""T15: deploy checks on production settings, refusal to start insecurely, security headers, secure
cookies over https, and pages free of inline script and style (the CSP forbids them)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

from cernai.core import files
from cernai.core.notifications import notify
from tests import factories

ROOT = Path(__file__).resolve().parents[1]
GOOD_SECRET = "k3Jq9-vN2xL8pR4tW7yZ0aB5cD6eF1gH3iJ2kL9mN8oP7qR6sT5uV4wX3yZ2aB1c"


UNSET = {"DEBUG", "SECRET_KEY", "TEST_RUN_ID", "DJANGO_ALLOW_ASYNC_UNSAFE"}


def production(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **{
            k: v
            for k, v in os.environ.items()
            if k not in {"DEBUG", "SECRET_KEY", "TEST_RUN_ID", "DJANGO_ALLOW_ASYNC_UNSAFE"}
        },
        "DJANGO_SETTINGS_MODULE": "cernai.settings.production",
        "SECRET_KEY": GOOD_SECRET,
        "ALLOWED_HOSTS": "portal.cernai.example",
        **env,
    }
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_on_production_settings() -> None:
    result = production(["manage.py", "check", "--deploy", "--fail-level", "WARNING"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "1"}, "DEBUG must be off in production"),
        ({"SECRET_KEY": "dev-insecure-cernai-key-change-me"}, "SECRET_KEY must be set to a long random value"),
        ({"SECRET_KEY": ""}, "SECRET_KEY must be set to a long random value"),
        ({"SECRET_KEY": "short-secret"}, "SECRET_KEY must be set to a long random value"),
    ],
    ids=["debug-on", "default-secret", "empty-secret", "short-secret"],
)
def test_production_refuses_to_start_insecurely(env: dict[str, str], message: str) -> None:
    result = production(["manage.py", "check"], **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr


def test_production_refuses_without_a_secret_in_the_environment() -> None:
    environment = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    environment["DJANGO_SETTINGS_MODULE"] = "cernai.settings.production"
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr


def csp_directives(response: Any) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.strip() for part in header.split(";") if part.strip()}


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/accounts/signup/", "/api/v1/docs/", "/no-such-page/"])
def test_every_response_carries_a_strict_csp_and_the_other_headers(db: Any, path: str) -> None:
    response = Client().get(path)
    directives = csp_directives(response)
    assert directives["object-src"] == "object-src 'none'"
    assert directives["base-uri"] == "base-uri 'none'"
    assert directives["frame-ancestors"] == "frame-ancestors 'none'"
    assert directives["default-src"] == "default-src 'self'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db(transaction=True)
def test_https_responses_under_production_settings_have_hsts_and_secure_cookies() -> None:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    script = textwrap.dedent(
        """
        import django
        from django.conf import settings
        # The manifest of collected static files is not what this checks; do not depend on it.
        settings.STORAGES = {**settings.STORAGES, "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
        django.setup()
        from allauth.account.models import EmailAddress
        from django.test import Client
        from cernai.accounts.models import User

        user = User.objects.create_user("https.check@example.org", "a long pass phrase 42", name="H")
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        host = {"HTTP_HOST": "portal.cernai.example"}
        plain = Client().get("/accounts/login/", **host)
        print("plain", plain.status_code, plain.get("Location"))
        # Behind the TLS-terminating proxy production expects (SECURE_PROXY_SSL_HEADER).
        client = Client(secure=True, HTTP_X_FORWARDED_PROTO="https")
        page = client.get("/accounts/login/", **host)
        print("hsts", page.get("Strict-Transport-Security"))
        response = client.post(
            "/accounts/login/", {"login": user.email, "password": "a long pass phrase 42"}, **host
        )
        print("login", response.status_code, response.get("Location"))
        print("hsts-post", response.get("Strict-Transport-Security"))
        for name in ("sessionid", "csrftoken"):
            cookie = response.cookies.get(name) or page.cookies.get(name)
            print("cookie", name, bool(cookie and cookie["secure"]), bool(cookie and cookie["httponly"]))
        user.delete()
        """
    )
    result = production(["-c", script], DATABASE_URL=url, EMAIL_URL="locmem://")
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(" ", 1) for line in result.stdout.strip().splitlines())
    assert lines["plain"] == "301 https://portal.cernai.example/accounts/login/"
    assert lines["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert lines["login"] == "302 /dashboard/"
    assert lines["hsts-post"] == lines["hsts"]
    cookies = [line for line in result.stdout.splitlines() if line.startswith("cookie ")]
    assert "cookie sessionid True True" in cookies
    assert "cookie csrftoken True False" in cookies  # htmx reads the token from the page, not the cookie


class InlineFinder(HTMLParser):
    """Collects what a strict CSP would block: inline scripts, style attributes, event handlers."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script" and "src" not in names and names.get("type") not in {"application/json"}:
            self._in_inline_script = True
        if tag == "style":
            self.problems.append("<style> element")
        if "style" in names:
            self.problems.append(f"style= on <{tag}>")
        self.problems += [f"{name}= on <{tag}>" for name in names if name.startswith("on")]

    def handle_data(self, data: str) -> None:
        if self._in_inline_script and data.strip():
            self.problems.append(f"inline <script>: {data.strip()[:60]}")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_inline_script = False


def inline_problems(html: str) -> list[str]:
    finder = InlineFinder()
    finder.feed(html)
    return finder.problems


def test_the_finder_finds_what_it_should() -> None:
    html = '<script>alert(1)</script><p style="x" onclick="y"></p><script type="application/json">{}</script>'
    assert inline_problems(html) == ["inline <script>: alert(1)", "style= on <p>", "onclick= on <p>"]


def test_core_and_allauth_pages_have_no_inline_script_or_style(applicant: Any, secretariat: Any, login: Any) -> None:
    notify(kind="core.welcome", recipients=[applicant], dedupe_key="w", url="/profile/")
    files.store_upload(upload=SimpleUploadedFile("cv.pdf", b"%PDF-1.4"), owner=applicant, purpose="cv")
    anonymous = Client()
    pages: dict[str, Any] = {}
    for path in (
        "/",
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password/reset/",
        "/accounts/confirm-email/",
        "/no-such-page/",
    ):
        pages[f"anonymous {path}"] = anonymous.get(path)
    me = login(applicant)
    for path in (
        "/",
        "/dashboard/",
        "/notifications/",
        "/profile/",
        "/accounts/email/",
        "/accounts/password/change/",
        "/accounts/2fa/",
        "/accounts/2fa/totp/activate/",
        f"/files/{uuid.uuid4()}/",
    ):
        pages[f"applicant {path}"] = me.get(path, follow=True)
    staff = login(secretariat)
    for path in (
        "/status/",
        "/dashboard/",
        "/accounts/2fa/",
        "/accounts/2fa/recovery-codes/",
        "/accounts/reauthenticate/",
    ):
        pages[f"secretariat {path}"] = staff.get(path, follow=True)
    at_second_factor = Client()
    at_second_factor.post("/accounts/login/", {"login": secretariat.email, "password": factories.PASSWORD})
    pages["2fa authenticate"] = at_second_factor.get("/accounts/2fa/authenticate/")
    pages["403"] = login(applicant).get("/status/", follow=True)

    problems = {}
    for label, response in pages.items():
        assert response.status_code in (200, 403, 404), f"{label}: {response.status_code}"
        assert "text/html" in response["Content-Type"], label
        found = inline_problems(response.content.decode())
        if found:
            problems[label] = found
    assert not problems, problems
