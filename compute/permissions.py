"""Who may see and do what in compute: predicates used by views, the API and services alike."""

from __future__ import annotations

from typing import Any

import rules

from cernai.accounts.permissions import is_authenticated, is_secretariat, is_staff

from .models import Project, ProjectMembership


@rules.predicate
def is_project_member(user: Any, project: Project | None) -> bool:
    if project is None or not (user and user.is_authenticated):
        return False
    return project.pi_id == user.pk or ProjectMembership.objects.filter(project=project, user=user).exists()


@rules.predicate
def is_project_manager(user: Any, project: Project | None) -> bool:
    if project is None or not (user and user.is_authenticated):
        return False
    return (
        project.pi_id == user.pk
        or ProjectMembership.objects.filter(project=project, user=user, role=ProjectMembership.Role.MANAGER).exists()
    )


can_view_project = is_secretariat | is_project_member
can_request_allocation = is_secretariat | is_project_manager
# Members, renewals and extensions: the PI and the project's managers (and the secretariat).
can_manage_project = can_request_allocation
can_view_staff_pages = is_staff

rules.add_perm("compute.view_project_usage", can_view_project)
rules.add_perm("compute.request_allocation", can_request_allocation)
rules.add_perm("compute.view_staff_pages", can_view_staff_pages)

__all__ = [
    "can_manage_project",
    "can_request_allocation",
    "can_view_project",
    "can_view_staff_pages",
    "is_authenticated",
]

# The secretariat runs compute from the admin: model permissions through `rules` rather than
# per-user database grants. Usage records, batches and the ledger are read-only there.
for _model in (
    "site",
    "cluster",
    "sitetoken",
    "resource",
    "resourceperiod",
    "project",
    "projectmembership",
    "slurmaccount",
    "clusterlogin",
    "allocationcall",
    "allocationrequest",
    "allocation",
    "allocationchange",
):
    for _action in ("view", "add", "change", "delete"):
        rules.add_perm(f"compute.{_action}_{_model}", is_secretariat)
for _model in ("usagerecord", "usagebatch", "monthlyusage", "requestreview", "reviewerassignment"):
    rules.add_perm(f"compute.view_{_model}", is_secretariat)
