"""Governance roles from governance records: a serving appointment makes a delegate, a serving
attachment an adviser, chairing the Council the chair, a serving committee membership (or chairing a
committee) a committee member. Registered in apps.ready(); evaluated with every other app's
conditions in one query (cernai.accounts.roles.standing)."""

from __future__ import annotations

from django.db.models import Exists

from cernai.accounts import roles
from cernai.core.registry import RoleCondition, add_role_condition

from .models import Adviser, Appointment, BodyMembership, Council
from .selectors import serving_on

for condition in (
    RoleCondition(
        "governance.delegate",
        roles.DELEGATE,
        lambda person, today: Exists(Appointment.objects.filter(serving_on(today), user=person)),
    ),
    RoleCondition(
        "governance.adviser",
        roles.ADVISER,
        lambda person, today: Exists(Adviser.objects.filter(serving_on(today), user=person)),
    ),
    RoleCondition(
        "governance.chair",
        roles.CHAIR,
        lambda person, today: Exists(Council.objects.filter(chair=person, kind=Council.Kind.COUNCIL)),
    ),
    RoleCondition(
        "governance.committee_member",
        roles.COMMITTEE,
        lambda person, today: Exists(BodyMembership.objects.filter(serving_on(today), user=person)),
    ),
    RoleCondition(
        "governance.committee_chair",
        roles.COMMITTEE,
        lambda person, today: Exists(Council.objects.filter(chair=person).exclude(kind=Council.Kind.COUNCIL)),
    ),
):
    add_role_condition(condition)
