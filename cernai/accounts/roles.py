"""Institutional roles and who holds them.

A role follows from the institution's records: an appointment with its term makes a delegate, an
adviser's attachment an adviser, chairing a council the chair, an active review assignment a
reviewer. Each app answers for its own records through role conditions registered in its ``roles.py``
(``cernai.core.registry.add_role_condition``); nobody grants these roles by editing groups, and a
group of the same name gives nothing. Only the Secretariat is a group, and only superusers change it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import Exists
from django.utils import timezone

from cernai.core import registry

SECRETARIAT = "Secretariat"
CHAIR = "Council chair"
DELEGATE = "Delegates"
ADVISER = "Advisers"
REVIEWER = "Reviewers"
COMMITTEE = "Committee members"

ALL = [SECRETARIAT, CHAIR, DELEGATE, ADVISER, REVIEWER, COMMITTEE]
# Roles held through a group that superusers keep; every other role comes from records.
STAFF_MANAGED = [SECRETARIAT]
# Roles whose holders must have a second factor before they can do anything else.
MFA_REQUIRED = [SECRETARIAT, CHAIR, DELEGATE, ADVISER, REVIEWER, COMMITTEE]


@dataclass(frozen=True)
class Standing:
    """Who a person is today: the roles they hold, which of the apps' conditions give them, and
    whether they have a second factor. One query answers all of it (``standing``)."""

    roles: frozenset[str]
    conditions: frozenset[str]  # names of the registry's RoleConditions that hold
    second_factor: bool


NOBODY = Standing(frozenset(), frozenset(), second_factor=False)


def standing(user: Any) -> Standing:
    """The person's standing, in one query: every app's role conditions, the staff-managed groups
    and their second factor, each an EXISTS over the records.

    Remembered on the user object for the rest of the request: the middleware, navigation and
    permission checks all ask. ``forget`` drops it after a change within the same request.
    """
    if not (user and user.is_authenticated):
        return NOBODY
    memo = user.__dict__.get("_cernai_standing")
    if memo is None:
        memo = user.__dict__["_cernai_standing"] = _query(user)
    return memo


def _query(user: Any) -> Standing:
    sql, params, columns = _compiled(timezone.localdate(), len(registry.ROLE_CONDITIONS))
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk if _is_someone(p) else p for p in params])
        row = dict(zip(columns, cursor.fetchone() or (), strict=False))
    conditions = registry.ROLE_CONDITIONS
    met = frozenset(c.name for i, c in enumerate(conditions) if row.get(f"c{i}"))
    roles = {c.role for c in conditions if c.name in met}
    roles |= {name for i, name in enumerate(STAFF_MANAGED) if row.get(f"g{i}")}
    return Standing(frozenset(roles), met, second_factor=bool(row.get("mfa")))


# The standing query's SQL depends only on the day (the terms of appointments) and the registered
# conditions, so it is compiled once a day per process: compiling its ten EXISTS cost ~8 ms of ORM
# work on every signed-in request, running it costs ~0.3 ms.
#
# The person's key goes into each condition as a value, not as a reference to the outer row: with
# the value in hand PostgreSQL plans each EXISTS by that person's own statistics. Correlated, it
# planned by the average number of rows per person, and on a table where a few reviewers hold
# thousands of assignments it scanned all of them for everyone else (5 ms of every page at 31,000
# assignments, growing with the table).
_COMPILED: dict[tuple[date, int], tuple[str, tuple[Any, ...], list[str]]] = {}

_SOMEONE = -(2**62)  # the person's key while compiling (no one's): each such parameter becomes theirs


def _compiled(today: date, registered: int) -> tuple[str, tuple[Any, ...], list[str]]:
    key = (today, registered)
    compiled = _COMPILED.get(key)  # read once: another thread may replace the entry at midnight
    if compiled is None:
        from allauth.mfa.models import Authenticator
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group

        person = _SOMEONE
        groups = Group.user_set.through.objects.filter(user=person)  # type: ignore[attr-defined]
        expressions = {f"c{i}": c.condition(person, today) for i, c in enumerate(registry.ROLE_CONDITIONS)}
        expressions |= {f"g{i}": Exists(groups.filter(group__name=name)) for i, name in enumerate(STAFF_MANAGED)}
        expressions["mfa"] = Exists(
            Authenticator.objects.filter(user=person, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN])
        )
        query = get_user_model().objects.filter(pk=person).values(**expressions).query
        sql, params = query.sql_with_params()
        if sum(map(_is_someone, params)) <= len(expressions):  # each EXISTS and the WHERE
            raise ImproperlyConfigured("a role condition does not filter on the person's key as given")
        compiled = (sql, tuple(params), list(query.annotation_select))
        _COMPILED.clear()
        _COMPILED[key] = compiled
    return compiled


def _is_someone(param: Any) -> bool:
    return type(param) is int and param == _SOMEONE


def held(user: Any) -> frozenset[str]:
    """The roles ``user`` holds today, from the records (and the Secretariat group)."""
    return standing(user).roles


def holds_condition(user: Any, name: str) -> bool:
    """Whether one app's role condition (a RoleCondition's name) holds for ``user`` today."""
    return name in standing(user).conditions


def has_second_factor(user: Any) -> bool:
    """Whether ``user`` has a TOTP or WebAuthn authenticator."""
    return standing(user).second_factor


def forget(user: Any) -> None:
    """Drop the remembered standing (after a record that gives a role, or a second factor, changed
    within the same request)."""
    user.__dict__.pop("_cernai_standing", None)
