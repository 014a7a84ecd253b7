"""Institutional roles and who holds them.

A role follows from the institution's records: an appointment with its term makes a delegate, an
adviser's attachment an adviser, chairing a council the chair, an active review assignment a
reviewer. Each app answers for its own records through a role source registered in its ``roles.py``
(``cernai.core.registry.add_role_source``); nobody grants these roles by editing groups, and a
group of the same name gives nothing. Only the Secretariat is a group, and only superusers change it.
"""

from __future__ import annotations

from typing import Any

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


def held(user: Any) -> frozenset[str]:
    """The roles ``user`` holds today, from the records (and the Secretariat group).

    Remembered on the user object for the rest of the request: the middleware, navigation and
    permission checks all ask.
    """
    if not (user and user.is_authenticated):
        return frozenset()
    memo = user.__dict__.get("_cernai_roles")
    if memo is None:
        found: set[str] = set()
        for source in registry.ROLE_SOURCES:
            found.update(source(user))
        found.update(user.groups.filter(name__in=STAFF_MANAGED).values_list("name", flat=True))
        memo = user.__dict__["_cernai_roles"] = frozenset(found)
    return memo


def forget(user: Any) -> None:
    """Drop the remembered roles (after a record that gives one changed within the same request)."""
    user.__dict__.pop("_cernai_roles", None)
