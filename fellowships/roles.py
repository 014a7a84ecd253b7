"""Fellowship roles from fellowship records: an assignment that still gives access to an application
under review makes a reviewer. Registered in apps.ready()."""

from __future__ import annotations

from typing import Any

from cernai.accounts import roles
from cernai.core import registry

from .selectors import active_assignments


def roles_from_fellowships(user: Any) -> set[str]:
    return {roles.REVIEWER} if active_assignments(user).exists() else set()


registry.add_role_source(roles_from_fellowships)
