"""Runs inside ColdFront's own venv (``var/bench/coldfront-venv``), never in cernai's.

``python cf_data.py setup`` migrates ColdFront's database and runs its ``initial_setup`` once;
``python cf_data.py populate N`` replaces every project with N fresh ones (a PI, 2 members and one
active allocation of one cluster resource each, every user of the project on the allocation) and
prints, as one JSON line: sessions for the first PI and for a superuser, the first project's pk and
ColdFront's own query counts of the measured pages (Django's test client, in-process).

Invoked by tests/bench/bench_coldfront.py with DJANGO_SETTINGS_MODULE=coldfront.config.settings and
ColdFront's environment variables (DB_URL, SECRET_KEY, ...).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from typing import Any

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

PREFIX = "cfb"  # usernames of the generated people
ADMIN = "cfb-admin"


def setup() -> None:
    from coldfront.core.project.models import ProjectStatusChoice

    call_command("migrate", interactive=False, verbosity=0)
    if not ProjectStatusChoice.objects.exists():
        from coldfront.core.utils.management.commands.initial_setup import run_setup

        run_setup()
    admin = User.objects.filter(username=ADMIN).first() or User.objects.create(username=ADMIN, email="admin@cf.example")
    admin.is_staff = admin.is_superuser = True
    admin.set_unusable_password()
    admin.save()
    print(json.dumps({"ok": True}))


def resource() -> Any:
    from coldfront.core.resource.models import Resource, ResourceType

    return Resource.objects.get_or_create(
        name="Bench cluster",
        defaults={"resource_type": ResourceType.objects.get(name="Cluster"), "description": "B8"},
    )[0]


@transaction.atomic
def populate(n: int) -> dict[str, object]:
    from coldfront.core.allocation.models import (
        Allocation,
        AllocationStatusChoice,
        AllocationUser,
        AllocationUserStatusChoice,
    )
    from coldfront.core.project.models import (
        Project,
        ProjectStatusChoice,
        ProjectUser,
        ProjectUserRoleChoice,
        ProjectUserStatusChoice,
    )
    from coldfront.core.user.models import UserProfile

    Project.objects.all().delete()  # cascades to project users, allocations and allocation users
    User.objects.filter(username__startswith=f"{PREFIX}-u").delete()
    res = resource()
    today = dt.datetime.now(dt.UTC).date()
    people = User.objects.bulk_create(
        [
            User(
                username=f"{PREFIX}-u{i:05d}-{k}",
                email=f"{PREFIX}-u{i:05d}-{k}@cf.example",
                first_name="P",
                last_name=f"{i}",
            )
            for i in range(n)
            for k in range(3)
        ]
    )
    # bulk_create skips ColdFront's post_save signal that gives every user a profile.
    UserProfile.objects.bulk_create([UserProfile(user=u, is_pi=i % 3 == 0) for i, u in enumerate(people)])
    active_project = ProjectStatusChoice.objects.get(name="Active")
    projects = Project.objects.bulk_create(
        [
            Project(title=f"Bench project {i}", pi=people[3 * i], description="B8 bench project", status=active_project)
            for i in range(n)
        ]
    )
    manager = ProjectUserRoleChoice.objects.get(name="Manager")
    member = ProjectUserRoleChoice.objects.get(name="User")
    pu_active = ProjectUserStatusChoice.objects.get(name="Active")
    ProjectUser.objects.bulk_create(
        [
            ProjectUser(project=p, user=people[3 * i + k], role=manager if k == 0 else member, status=pu_active)
            for i, p in enumerate(projects)
            for k in range(3)
        ]
    )
    allocations = Allocation.objects.bulk_create(
        [
            Allocation(
                project=p,
                status=AllocationStatusChoice.objects.get(name="Active"),
                quantity=1,
                start_date=today - dt.timedelta(days=40),
                end_date=today + dt.timedelta(days=325),
                justification="B8 bench",
            )
            for p in projects
        ]
    )
    Allocation.resources.through.objects.bulk_create(
        [Allocation.resources.through(allocation_id=a.pk, resource_id=res.pk) for a in allocations]
    )
    au_active = AllocationUserStatusChoice.objects.get(name="Active")
    AllocationUser.objects.bulk_create(
        [
            AllocationUser(allocation=a, user=people[3 * i + k], status=au_active)
            for i, a in enumerate(allocations)
            for k in range(3)
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    pi = people[0]
    admin = User.objects.get(username=ADMIN)
    return {"project": projects[0].pk, "pi": pi, "admin": admin}


def session_for(user: User) -> str:
    from importlib import import_module

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return str(store.session_key)


def query_count(path: str, user: Any) -> tuple[int, int]:
    """(status, queries) of one request; ``@center-summary`` sums the page and every fragment and
    chart-data URL it loads (each uncached: this process has not served them yet)."""
    if path == "@center-summary":
        page = Client().get("/center-summary")
        urls = ["/center-summary", *dict.fromkeys(re.findall(r'(?:hx-get|data-url)="([^"]+)"', page.content.decode()))]
        counts = [query_count(url, user) for url in urls]
        return max(status for status, _ in counts), sum(queries for _, queries in counts)
    client = Client()
    if user is not None:
        client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    return response.status_code, len(captured)


def main() -> None:
    command = sys.argv[1]
    if command == "setup":
        setup()
        return
    if command != "populate":
        raise SystemExit(f"unknown command {command!r}")
    made = populate(int(sys.argv[2]))
    pages = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {}
    pi, admin = made["pi"], made["admin"]
    assert isinstance(pi, User) and isinstance(admin, User)
    counts = {}
    for label, (path, who) in pages.items():
        path = path.replace("{project}", str(made["project"]))
        counts[label] = query_count(path, {"pi": pi, "admin": admin, "": None}[who])
    print(
        json.dumps(
            {
                "project": made["project"],
                "pi_session": session_for(pi),
                "admin_session": session_for(admin),
                "session_cookie": settings.SESSION_COOKIE_NAME,
                "queries": counts,
                "databases": {k: v.get("CONN_MAX_AGE") for k, v in settings.DATABASES.items()},
            }
        )
    )


if __name__ == "__main__":
    main()
