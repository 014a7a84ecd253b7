"""Fellowship roles from fellowship records: an assignment that still gives access to an application
under review makes a reviewer. Registered in apps.ready(); evaluated with every other app's
conditions in one query (cernai.accounts.roles.standing)."""

from __future__ import annotations

from django.db.models import Exists

from cernai.accounts import roles
from cernai.core.registry import RoleCondition, add_role_condition

from .selectors import active_assignments

add_role_condition(
    RoleCondition(
        "fellowships.review_assigned", roles.REVIEWER, lambda person, today: Exists(active_assignments(person))
    )
)
