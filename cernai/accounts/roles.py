"""Institutional roles and who holds them.

A role follows from the institution's records: an appointment with its term makes a delegate, an
adviser's attachment an adviser, chairing a council the chair, an active review assignment a
reviewer. Each app answers for its own records through role conditions registered in its ``roles.py``
(``cernai.core.registry.add_role_condition``); nobody grants these roles by editing groups, and a
group of the same name gives nothing. Only the Secretariat is a group, and only superusers change it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef
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
    from allauth.mfa.models import Authenticator
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    person, today = OuterRef("pk"), timezone.localdate()
    conditions = list(registry.ROLE_CONDITIONS)
    groups = Group.user_set.through.objects.filter(user=person)  # type: ignore[attr-defined]
    expressions = {f"c{i}": c.condition(person, today) for i, c in enumerate(conditions)}
    expressions |= {f"g{i}": Exists(groups.filter(group__name=name)) for i, name in enumerate(STAFF_MANAGED)}
    expressions["mfa"] = Exists(
        Authenticator.objects.filter(user=person, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN])
    )
    row = get_user_model().objects.filter(pk=user.pk).values(**expressions).first() or {}
    met = frozenset(c.name for i, c in enumerate(conditions) if row.get(f"c{i}"))
    roles = {c.role for c in conditions if c.name in met}
    roles |= {name for i, name in enumerate(STAFF_MANAGED) if row.get(f"g{i}")}
    return Standing(frozenset(roles), met, second_factor=bool(row.get("mfa")))


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
