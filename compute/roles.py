"""Compute roles from compute records: an assignment to review an allocation request still being
decided, or a review recorded on one, makes a reviewer. Registered in apps.ready(); evaluated with
every other app's conditions in one query (cernai.accounts.roles.standing)."""

from __future__ import annotations

from django.db.models import Exists

from cernai.accounts import roles
from cernai.core.registry import RoleCondition, add_role_condition

from .models import AllocationRequest, RequestReview
from .selectors import active_assignments

UNDECIDED = [AllocationRequest.Status.SUBMITTED, AllocationRequest.Status.IN_REVIEW]
# The condition behind the "Compute reviews" menu entry: something in the person's review queue.
REVIEW_ASSIGNED = "compute.review_assigned"

add_role_condition(
    RoleCondition(
        REVIEW_ASSIGNED,
        roles.REVIEWER,
        lambda person, today: Exists(active_assignments(person).filter(request__status__in=UNDECIDED)),
    )
)
add_role_condition(
    RoleCondition(
        "compute.review_recorded",
        roles.REVIEWER,
        lambda person, today: Exists(RequestReview.objects.filter(reviewer=person, request__status__in=UNDECIDED)),
    )
)
