"""Compute roles from compute records: a review of an allocation request still being decided makes
a reviewer. Registered in apps.ready()."""

from __future__ import annotations

from typing import Any

from cernai.accounts import roles
from cernai.core import registry

from .models import AllocationRequest, RequestReview

UNDECIDED = [AllocationRequest.Status.SUBMITTED, AllocationRequest.Status.IN_REVIEW]


def roles_from_compute(user: Any) -> set[str]:
    reviewing = RequestReview.objects.filter(reviewer=user, request__status__in=UNDECIDED)
    return {roles.REVIEWER} if reviewing.exists() else set()


registry.add_role_source(roles_from_compute)
