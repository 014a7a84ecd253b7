"""Demo membership (called by governance.demo): Ireland's accession request in circulation, so the
membership page shows the 3-month clock running, and a convention amendment being ratified (some
member states have deposited their instrument, the register says who is missing). Idempotent."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from . import membership, services
from .models import AgendaItem, MembershipRequest, MemberState, Motion, Ratification, Session

CANDIDATE = "IE"
AMENDMENT_TITLE = "Amend Article VII of the Convention (seat of the Organisation)"
RATIFIED_BY = ["AT", "BE", "DE", "FR", "IT", "NL", "ES", "CH"]


def seed(session: Session, staff: Any, *, today: dt.date | None = None) -> list[tuple[str, str]]:
    today = today or timezone.localdate()
    candidate = MemberState.objects.filter(iso2=CANDIDATE).first()
    if candidate is not None and not MembershipRequest.objects.filter(state=candidate).exists():
        request = membership.receive_request(
            actor=staff,
            state_id=candidate.pk,
            kind=MembershipRequest.Kind.ACCESSION,
            received_on=today - dt.timedelta(days=45),
        )
        membership.circulate_request(actor=staff, request_id=request.pk, circulated_on=today - dt.timedelta(days=30))
    item, _ = AgendaItem.objects.get_or_create(
        session=session, position=4, defaults={"title": "Amendment of the Convention"}
    )
    amendment, _ = Motion.objects.get_or_create(
        item=item,
        title=AMENDMENT_TITLE,
        defaults={
            "kind": Motion.Kind.AMENDMENT,
            "status": Motion.Status.TABLED,
            "text": "Article VII is amended so that the Council may hold sessions at the seat of a national node.",
        },
    )
    done = set(Ratification.objects.filter(motion=amendment).values_list("state__iso2", flat=True))
    for offset, state in enumerate(MemberState.objects.filter(iso2__in=RATIFIED_BY).order_by("name")):
        if state.iso2 not in done:
            services.record_ratification(
                actor=staff,
                motion=amendment,
                state=state,
                deposited_on=today - dt.timedelta(days=90 - 7 * offset),
                reference=f"Instrument of ratification {state.iso2}-{today.year}",
            )
    return [("Membership requests (3-month clock)", "/governance/membership/")]
