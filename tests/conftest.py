"""Shared fixtures: the named personas, a logged-in client per persona, MFA helpers."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import caches
from django.test import Client
from django.utils import translation
from hypothesis import settings as hypothesis_settings

# Playwright's sync API runs an event loop in the test thread; Django must still allow ORM calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from tests import factories

# Property tests check rules, not speed: no per-example deadline (a busy CI machine made one flaky),
# and no example database written into the checkout.
hypothesis_settings.register_profile("cernai", deadline=None, database=None)
hypothesis_settings.load_profile("cernai")


@pytest.fixture(autouse=True)
def _each_test_ends_in_the_default_language() -> Iterator[None]:
    """A request in French (cookie, profile) activates French in the test thread, and Django does
    not switch back: the next test would read French pages and emails."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(scope="session")
def django_db_modify_db_settings() -> None:
    """pytest-django would add the xdist worker to the test database's name: the test settings
    already do (and give the same name to the processes a test starts)."""


@pytest.fixture(scope="session")
def django_db_setup(django_test_environment: Any, django_db_blocker: Any) -> Iterator[None]:
    """This process's test database, cloned from a migrated template (tests/testdb.py), and before
    it is dropped every connection to it closed.

    Django keeps one connection per thread *and*, while an event loop runs in the thread, one per
    async context. Playwright's sync API keeps its loop running in the test thread for the whole
    session, so the browser tests open connections that live in the loop's context, out of sight of
    Django's own teardown; a thread that used the ORM and ended without closing leaves its
    connection open too, until the garbage collector runs.
    """
    from tests import testdb

    with django_db_blocker.unblock():
        created = testdb.create()
    yield
    for wrapper in _open_database_wrappers():
        wrapper.connection.close()  # the raw connection: Django refuses to close another thread's
    with django_db_blocker.unblock():
        testdb.destroy(created)


def _open_database_wrappers() -> list[Any]:
    import gc

    from django.db.backends.base.base import BaseDatabaseWrapper

    gc.collect()  # connections of ended threads that only the collector would close
    wrappers = []
    for obj in gc.get_objects():
        try:
            if isinstance(obj, BaseDatabaseWrapper) and obj.connection is not None and not obj.connection.closed:
                wrappers.append(obj)
        except ReferenceError:  # a weak proxy whose object is gone
            continue
    return wrappers


@pytest.fixture(scope="session", autouse=True)
def _flush_by_delete() -> Iterator[None]:
    """Empty the tables after a transactional test (live server, real workers) with DELETE, not
    TRUNCATE: the flush then takes a tenth of a second instead of seconds.

    Django flushes with one TRUNCATE of all ~170 tables, which gives each table and index new files:
    3 to 11 s a test on this machine (the more the machine is loaded, the longer), for tables that
    hold a few rows. DELETE empties them in place. Triggers are off for the flush only (``SET
    LOCAL``, so the test's own transactions keep them): pghistory's append-only guards would refuse
    to delete audit rows, and the foreign keys need no checking when every table is emptied.
    Anything else (sequences to reset, a cascade, a role that may not switch triggers off) keeps
    Django's TRUNCATE.
    """
    from django.db.backends.postgresql.operations import DatabaseOperations

    truncate = DatabaseOperations.sql_flush

    def sql_flush(
        ops: Any, style: Any, tables: Any, *, reset_sequences: bool = False, allow_cascade: bool = False
    ) -> list[str]:
        if not tables or reset_sequences or allow_cascade or not _may_switch_triggers_off(ops.connection):
            return truncate(ops, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        return [
            "SET LOCAL session_replication_role = replica",
            *(f"DELETE FROM {ops.quote_name(table)}" for table in tables),
        ]

    patch = pytest.MonkeyPatch()
    patch.setattr(DatabaseOperations, "sql_flush", sql_flush)
    yield
    patch.undo()


def _may_switch_triggers_off(connection: Any) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        row = cursor.fetchone()
    return bool(row and row[0])


@pytest.fixture(autouse=True)
def _clear_cache() -> Any:
    """Cached values in Redis: each test starts clean (sign-in counters live in PostgreSQL and roll back).

    Only this run's keys: ``cache.clear()`` is FLUSHDB, which would wipe the keys of parallel test
    runs, of a developer's `make run` and the Celery broker's queues sharing the Redis database.
    """
    client = caches["redis"]._cache.get_client(write=True)  # type: ignore[attr-defined]
    keys = list(client.scan_iter(match=f"{settings.CACHES['redis']['KEY_PREFIX']}:*", count=1000))
    if keys:
        client.delete(*keys)
    yield


@pytest.fixture
def secretariat(db: Any) -> Any:
    return factories.UserFactory(
        email="secretariat@example.org", name="Sam Secretariat", is_staff=True, groups=["Secretariat"], mfa=True
    )


@pytest.fixture
def chair(db: Any) -> Any:
    """Chairs the Council (the role follows from that record, not from a group)."""
    from governance.models import Council

    user = factories.UserFactory(email="chair@example.org", name="Claire Chair", mfa=True)
    Council.objects.update_or_create(name="Council", defaults={"chair": user})
    return user


@pytest.fixture
def applicant(db: Any) -> Any:
    return factories.UserFactory(
        email="applicant@example.org",
        name="Ana Applicant",
        nationality="PT",
        home_country="PT",
        home_institution="Universidade de Lisboa",
    )


@pytest.fixture
def reviewer(db: Any) -> Any:
    return factories.UserFactory(
        email="reviewer@example.org",
        name="Rita Reviewer",
        groups=["Reviewers"],
        mfa=True,
        home_institution="Politecnico di Milano",
        home_country="IT",
    )


@pytest.fixture
def login() -> Any:
    """``login(user)`` returns a test client signed in as ``user``. The MFA middleware only asks
    whether the person has a second factor, so a signed-in session is all a page test needs."""

    def do_login(user: Any, c: Client | None = None) -> Client:
        c = c or Client()
        c.force_login(user)
        return c

    return do_login
