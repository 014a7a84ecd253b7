"""Who may do what in fellowships: predicates used by views, the API and services alike."""

from __future__ import annotations

from typing import Any

import rules

from cernai.accounts.permissions import is_authenticated, is_secretariat

from .models import Application


@rules.predicate
def is_applicant_of(user: Any, application: Application | None) -> bool:
    return bool(application is not None and user.is_authenticated and application.applicant_id == user.pk)


@rules.predicate
def is_active_reviewer_of(user: Any, application: Application | None) -> bool:
    from .selectors import reviewer_assignment

    return bool(application is not None and user.is_authenticated and reviewer_assignment(user, application))


is_fellowships_staff = is_secretariat
can_view_application = is_fellowships_staff | is_applicant_of | is_active_reviewer_of
can_manage_calls = is_fellowships_staff

rules.add_perm("fellowships.view_application", can_view_application)
rules.add_perm("fellowships.manage", can_manage_calls)
rules.add_perm("fellowships.apply", is_authenticated)


def can_download(user: Any, private_file: Any) -> bool:
    """Files of an application for the reviewers assigned to it (not in blind calls: metadata identify)."""
    from django.db.models import Q

    from .models import Referee
    from .selectors import active_assignments

    if not private_file.purpose.startswith("fellowships."):
        return False
    if is_fellowships_staff(user):
        return True
    assignments = active_assignments(user).filter(application__call__blind=False)
    if assignments.filter(Q(application__cv=private_file) | Q(application__plan_file=private_file)).exists():
        return True
    return Referee.objects.filter(letter=private_file, application__in=assignments.values("application")).exists()


# The secretariat runs calls, assignments and placements from the admin: model permissions through
# `rules` rather than per-user database grants. Applications, reviews and their parts are read there
# (decisions go through the services, from the ranked list or the admin actions).
for _model in ("hostsite", "programme", "call", "criterion", "lateallowance", "reviewassignment", "placement"):
    for _action in ("view", "add", "change", "delete"):
        rules.add_perm(f"fellowships.{_action}_{_model}", is_fellowships_staff)
rules.add_perm("fellowships.change_application", is_fellowships_staff)
for _model in ("stay", "careerbreak", "referee", "review", "exportjob", "erasurerequest"):
    rules.add_perm(f"fellowships.view_{_model}", is_fellowships_staff)
