"""Governance roles from governance records: a serving appointment makes a delegate, a serving
attachment an adviser, chairing a council the chair. Registered in apps.ready()."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef
from django.utils import timezone

from cernai.accounts import roles
from cernai.core import registry

from .models import Adviser, Appointment, Council
from .selectors import serving_on


def roles_from_governance(user: Any) -> set[str]:
    """One query: which governance roles ``user`` holds today."""
    today = timezone.localdate()
    person = OuterRef("pk")
    flags: Mapping[str, object] = (
        get_user_model()
        .objects.filter(pk=user.pk)
        .annotate(
            delegate=Exists(Appointment.objects.filter(serving_on(today), user=person)),
            adviser=Exists(Adviser.objects.filter(serving_on(today), user=person)),
            chair=Exists(Council.objects.filter(chair=person)),
        )
        .values("delegate", "adviser", "chair")
        .first()
    ) or {}
    return {
        role
        for role, flag in ((roles.DELEGATE, "delegate"), (roles.ADVISER, "adviser"), (roles.CHAIR, "chair"))
        if flags.get(flag)
    }


registry.add_role_source(roles_from_governance)
