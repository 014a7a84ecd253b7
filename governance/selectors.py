"""Read queries of governance, shared with other apps (fellowships, compute)."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import MemberState


def member_states(*, statuses: list[str] | None = None) -> QuerySet[MemberState]:
    """All states, optionally filtered by status, ordered by name."""
    qs = MemberState.objects.all()
    if statuses is not None:
        qs = qs.filter(status__in=statuses)
    return qs.order_by("name")


def state_by_iso2(iso2: str) -> MemberState | None:
    """The state with this ISO 3166-1 alpha-2 code, or None."""
    if not iso2:
        return None
    return MemberState.objects.filter(iso2=str(iso2).upper()).first()
