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


def _holds(role: str) -> Any:
    @rules.predicate(name=f"holds {role}")
    def holds(user: Any) -> bool:
        return role in roles.held(user)

    return holds


# Roles follow from records (roles.held); the Secretariat is the one staff-managed group.
is_secretariat = is_staff | _holds(roles.SECRETARIAT)
is_chair = _holds(roles.CHAIR)
is_delegate = _holds(roles.DELEGATE)
is_adviser = _holds(roles.ADVISER)
is_reviewer = _holds(roles.REVIEWER)


def requires_mfa(user: Any) -> bool:
    """Staff and anyone holding a role in roles.MFA_REQUIRED (from their records) must use a second factor."""
    if not (user and user.is_authenticated):
        return False
    if user.is_staff or user.is_superuser:
        return True
    return bool(roles.held(user) & set(roles.MFA_REQUIRED))


rules.add_perm("accounts.view_status", is_staff)

# The secretariat administers people and reads the operational records in the admin (apps grant
# their own models in their permissions.py). Roles come from records; groups are read-only to it.
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


def may_use_app(app_label: str) -> Any:
    """Django's admin shows an app (index, sidebar, the app's own page and breadcrumb link) to a
    person with a module permission; with permissions granted by `rules`, that is: staff with a
    view or change permission on one of the app's models."""

    @rules.predicate(name=f"may use {app_label}")
    def uses(user: Any) -> bool:
        from django.apps import apps

        if not (user and user.is_authenticated and user.is_active and user.is_staff):
            return False
        models = apps.get_app_config(app_label).get_models()
        return any(
            user.has_perm(f"{app_label}.{action}_{model._meta.model_name}")
            for model in models
            for action in ("view", "change")
        )

    return uses


def register_module_permissions() -> None:
    """One module permission per installed app that does not define its own (AccountsConfig.ready)."""
    from django.apps import apps

    for config in apps.get_app_configs():
        if not rules.perm_exists(config.label):
            rules.add_perm(config.label, may_use_app(config.label))
