"""Governance roles from governance records: a serving appointment makes a delegate, a serving
attachment an adviser, chairing the Council the chair, a serving committee membership (or chairing a
committee) a committee member. Registered in apps.ready()."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef
from django.utils import timezone

from cernai.accounts import roles
from cernai.core import registry

from .models import Adviser, Appointment, BodyMembership, Council
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
            chair=Exists(Council.objects.filter(chair=person, kind=Council.Kind.COUNCIL)),
            committee=Exists(BodyMembership.objects.filter(serving_on(today), user=person)),
            committee_chair=Exists(Council.objects.filter(chair=person).exclude(kind=Council.Kind.COUNCIL)),
        )
        .values("delegate", "adviser", "chair", "committee", "committee_chair")
        .first()
    ) or {}
    return {
        role
        for role, flag in (
            (roles.DELEGATE, "delegate"),
            (roles.ADVISER, "adviser"),
            (roles.CHAIR, "chair"),
            (roles.COMMITTEE, "committee"),
            (roles.COMMITTEE, "committee_chair"),
        )
        if flags.get(flag)
    }


registry.add_role_source(roles_from_governance)
