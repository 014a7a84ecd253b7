"""Who is who: predicates over roles, used by views, the API, services and navigation alike."""

from __future__ import annotations

from typing import Any

import rules

from . import roles


@rules.predicate
def is_authenticated(user: Any) -> bool:
    return bool(user and user.is_authenticated)


@rules.predicate
def is_staff(user: Any) -> bool:
    return bool(user and user.is_authenticated and user.is_staff)


is_secretariat = is_staff | rules.is_group_member(roles.SECRETARIAT)
is_chair = rules.is_group_member(roles.CHAIR)
is_delegate = rules.is_group_member(roles.DELEGATE)
is_reviewer = rules.is_group_member(roles.REVIEWER)


def requires_mfa(user: Any) -> bool:
    """Staff and anyone holding a role in roles.MFA_REQUIRED must use a second factor."""
    if not (user and user.is_authenticated):
        return False
    if user.is_staff or user.is_superuser:
        return True
    return user.groups.filter(name__in=roles.MFA_REQUIRED).exists()


rules.add_perm("accounts.view_status", is_staff)

# The secretariat administers people and reads the operational records in the admin (apps grant
# their own models in their permissions.py). Roles are assigned by editing a person's groups.
for _perm in (
    "accounts.view_user",
    "accounts.add_user",
    "accounts.change_user",
    "auth.view_group",
    "core.view_notification",
    "core.view_privatefile",
    "core.view_taskfailure",
    "core.change_taskfailure",
    "pghistory.view_events",
):
    rules.add_perm(_perm, is_secretariat)
