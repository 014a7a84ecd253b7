"""`manage.py seed_demo` is idempotent and every printed persona can sign in through the real form."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from cernai.core.demo import DEMO_PASSWORD, current_totp_code

LOGIN_LINE = re.compile(r"^\s+(\S+)\s+(\S+@\S+)\s*(?:TOTP secret ([A-Z2-7]+)\s+recovery code (\S+))?\s*$")


def row_counts() -> dict[str, int]:
    """Rows per model, audit event tables and sessions excepted (they record activity, not data)."""
    counts = {}
    for model in apps.get_models():
        label = model._meta.label
        if model._meta.app_label in {"pghistory", "sessions"} or label.endswith("Event"):
            continue
        if not model._meta.managed or model._meta.proxy:
            continue
        counts[label] = model._default_manager.count()
    return counts


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def seeded(django_db_setup: Any, django_db_blocker: Any) -> Any:
    """Seed twice (the expensive part) once for the module; rolled back by flushing at the end."""
    with django_db_blocker.unblock():
        first = seed()
        after_first = row_counts()
        second = seed()
        after_second = row_counts()
        yield first, after_first, second, after_second
        from django.core.management import call_command as flush_command

        flush_command("flush", interactive=False, verbosity=0)


@pytest.mark.django_db
def test_seeding_twice_changes_nothing(seeded: Any) -> None:
    _, after_first, _, after_second = seeded
    assert after_first == after_second
    assert after_first["accounts.User"] >= 8


@pytest.mark.django_db
def test_the_printed_logins_are_stable_across_runs(seeded: Any) -> None:
    first, _, second, _ = seeded
    personas = lambda text: [m.groups()[:3] for m in map(LOGIN_LINE.match, text.splitlines()) if m]  # noqa: E731
    assert personas(first) == personas(second)
    assert DEMO_PASSWORD in first


@pytest.mark.django_db
def test_every_printed_persona_signs_in_through_the_login_form(seeded: Any) -> None:
    output = seeded[0]
    logins = [m.groups() for m in map(LOGIN_LINE.match, output.splitlines()) if m]
    names = {key for key, *_ in logins}
    assert {"admin", "secretariat", "chair", "applicant", "reviewer"} <= names, output
    for key, email, secret, _recovery in logins:
        client = Client()
        response = client.post("/accounts/login/", {"login": email, "password": DEMO_PASSWORD})
        assert response.status_code == 302, (key, response.status_code)
        if secret:
            assert response["Location"].startswith("/accounts/2fa/authenticate/"), key
            response = client.post("/accounts/2fa/authenticate/", {"code": current_totp_code(secret)})
            assert response.status_code == 302, (key, "TOTP refused")
        assert response["Location"] == "/dashboard/", (key, response["Location"])
        assert client.get("/dashboard/").status_code == 200, key


@pytest.mark.django_db
def test_a_printed_recovery_code_also_signs_in(seeded: Any) -> None:
    logins = [m.groups() for m in map(LOGIN_LINE.match, seeded[0].splitlines()) if m]
    _key, email, _secret, recovery = next(login for login in logins if login[0] == "reviewer")
    client = Client()
    client.post("/accounts/login/", {"login": email, "password": DEMO_PASSWORD})
    response = client.post("/accounts/2fa/authenticate/", {"code": recovery})
    assert response.status_code == 302 and response["Location"] == "/dashboard/"


@pytest.mark.django_db
def test_the_printed_curl_line_stores_and_charges_records_the_first_time(
    seeded: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """A newcomer's first try of the machine API: the curl line `make run` prints stores records and
    charges them to the demo project's allocation; sending the same file again changes nothing."""
    from django.conf import settings

    from compute.models import Allocation

    output = seeded[0]
    curl = next(line for line in output.splitlines() if "curl " in line)
    token = re.search(r"Token (\S+)'", curl).group(1)  # type: ignore[union-attr]
    path = settings.BASE_DIR / re.search(r"--data-binary @(\S+)", curl).group(1)  # type: ignore[union-attr]
    body = path.read_bytes()
    jobs = len(body.decode().splitlines()) - 1
    assert jobs >= 10
    today = timezone.localdate()
    live = Allocation.objects.get(
        project__code="llm-alignment", end__gte=today, start__lte=today, resource__unit="gpu_hours"
    )
    used_before = live.used_seconds

    client = Client()
    auth = {"HTTP_AUTHORIZATION": f"Token {token}"}
    with django_capture_on_commit_callbacks(execute=True):  # the accounting task, run as after a commit
        reply = client.post("/api/v1/compute/usage/", body, content_type="text/plain", **auth).json()
    assert (reply["created"], reply["rejected"], reply["unmatched"]) == (jobs, 0, 0), reply

    live.refresh_from_db()
    assert live.used_seconds > used_before, "the demo jobs were stored but not charged to the running allocation"
    again = client.post("/api/v1/compute/usage/", body, content_type="text/plain", **auth).json()
    assert (again["created"], again["unchanged"]) == (0, jobs), again


@pytest.mark.django_db
def test_the_printed_storage_curl_line_reports_today_and_the_project_shows_it(seeded: Any) -> None:
    """The second curl line `make run` prints posts today's storage of the demo project: one new
    report, charged with the days the demo already holds to the running 50 TB storage allocation."""
    from django.conf import settings

    from compute import selectors
    from compute.models import Allocation

    curl = next(line for line in seeded[0].splitlines() if "/api/v1/compute/storage/" in line)
    token = re.search(r"Token (\S+)'", curl).group(1)  # type: ignore[union-attr]
    path = settings.BASE_DIR / re.search(r"--data-binary @(\S+)", curl).group(1)  # type: ignore[union-attr]
    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    reply = client.post("/api/v1/compute/storage/", path.read_bytes(), content_type="application/json").json()
    assert (reply["created"], reply["rejected"], reply["unmatched"]) == (1, 0, 0), reply
    storage = Allocation.objects.get(project__code="llm-alignment", resource__unit="storage_tb")
    use = selectors.storage_use([storage])[storage.pk]
    assert use.as_of is not None and 80.0 <= use.percent_of_quota < 100.0
