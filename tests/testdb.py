"""The test database: migrated once into a PostgreSQL template, then cloned for each test process.

Migrating an empty database runs ~90 migrations whose state Django rebuilds model by model: more
than a minute of CPU on this machine, and `make test` runs several pytest-xdist workers that would
each pay it. Instead the first process to need it migrates a *template* named after a fingerprint
of everything that decides the migrated schema (every migration file and the pinned packages), and
every worker then clones it with ``CREATE DATABASE ... TEMPLATE`` (a file copy, about a second).

The template outlives the run, so the next run with the same migrations starts at once; a change to
any migration or package gives a new fingerprint and so a new template, built from scratch, never a
stale one. An advisory lock makes concurrent runs (workers, a developer beside CI) build a template
once and clone it one at a time; the two newest other templates are kept for other checkouts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.db import connections

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PREFIX = "test_cernai_tpl_"
LOCK = 0x63_65_72_6E_61_69  # "cernai": one lock for every run sharing this PostgreSQL
KEEP_OTHER_TEMPLATES = 2


def fingerprint() -> str:
    """What the migrated schema depends on: the migration files and the installed package pins."""
    digest = hashlib.sha256()
    inputs = sorted(
        path
        for path in ROOT.glob("**/migrations/*.py")
        if not {".venv", "node_modules"} & set(path.relative_to(ROOT).parts)
    )
    for path in [*inputs, ROOT / "requirements.lock"]:
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def create(alias: str = "default") -> dict[str, Any]:
    """Create this process's test database as a clone of the migrated template; point Django at it.
    Returns what :func:`destroy` needs."""
    connection = connections[alias]
    original_name = connection.settings_dict["NAME"]
    test_name = connection.creation._get_test_db_name()  # type: ignore[attr-defined]
    template = TEMPLATE_PREFIX + fingerprint()
    with _server(connection) as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [LOCK])
        try:
            if not _exists(cursor, template):
                _build(cursor, connection, alias, template)
            _drop(cursor, test_name)
            cursor.execute(f'CREATE DATABASE "{test_name}" TEMPLATE "{template}"')
            _drop_old_templates(cursor, keep=template)
        finally:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK])
    _use(connection, alias, test_name)
    return {"alias": alias, "name": test_name, "original_name": original_name}


def destroy(created: dict[str, Any]) -> None:
    connection = connections[created["alias"]]
    connection.close()
    _use(connection, created["alias"], created["original_name"])
    with _server(connection) as cursor:
        _drop(cursor, created["name"])


def _build(cursor: Any, connection: Any, alias: str, template: str) -> None:
    """Migrate a fresh database and publish it under the template's name only once it is complete
    (a run killed halfway leaves a ``_building`` database that the next build replaces)."""
    building = f"{template}_building"
    _drop(cursor, building)
    cursor.execute(f'CREATE DATABASE "{building}"')
    original_name = connection.settings_dict["NAME"]
    _use(connection, alias, building)
    try:
        call_command("migrate", database=alias, interactive=False, verbosity=0)
    finally:
        connection.close()
        _use(connection, alias, original_name)
    cursor.execute(f'ALTER DATABASE "{building}" RENAME TO "{template}"')
    # Nobody may connect to it: a template with a session open cannot be cloned.
    cursor.execute(f'ALTER DATABASE "{template}" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false')


def _drop_old_templates(cursor: Any, keep: str) -> None:
    cursor.execute(
        "SELECT datname FROM pg_database WHERE datname LIKE %s AND datname <> %s ORDER BY oid DESC OFFSET %s",
        [TEMPLATE_PREFIX + "%", keep, KEEP_OTHER_TEMPLATES],
    )
    for (name,) in cursor.fetchall():
        _drop(cursor, name)


def _drop(cursor: Any, name: str) -> None:
    if _exists(cursor, name):
        cursor.execute(f'ALTER DATABASE "{name}" WITH IS_TEMPLATE false')
        cursor.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def _exists(cursor: Any, name: str) -> bool:
    cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
    return cursor.fetchone() is not None


def _use(connection: Any, alias: str, name: str) -> None:
    settings.DATABASES[alias]["NAME"] = name
    connection.settings_dict["NAME"] = name


@contextmanager
def _server(connection: Any) -> Iterator[Any]:
    """A cursor on the server's maintenance database (Django's own, as for CREATE DATABASE)."""
    with connection._nodb_cursor() as cursor:
        yield cursor
