"""An applicant's own data: download all of it, and erasure after the calls' retention periods."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.apps import apps as django_apps
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cernai.core.audit import audit_context, redact_events
from cernai.core.files import STORAGE_DIR
from cernai.core.models import PrivateFile
from cernai.core.notifications import notify

from .. import notifications as kinds
from ..models import Application, CareerBreak, ErasureRequest, Placement, Referee, Stay

DAYS_PER_MONTH = 365.25 / 12


def export_data_of(user: Any) -> dict[str, Any]:
    """Everything fellowships holds about a person, as JSON-ready data (reviews stay confidential)."""
    applications = []
    for a in (
        Application.objects.filter(applicant=user)
        .select_related("call", "host_site")
        .prefetch_related("stays", "career_breaks", "referees")
    ):
        placement = getattr(a, "placement", None)
        applications.append(
            {
                "reference": a.reference,
                "call": a.call.title,
                "status": a.status,
                "revision": a.revision,
                "nationality": a.nationality,
                "home_institution": a.home_institution,
                "home_country": a.home_country,
                "host_site": a.host_site.name if a.host_site else None,
                "proposed_start": a.proposed_start.isoformat() if a.proposed_start else None,
                "proposed_end": a.proposed_end.isoformat() if a.proposed_end else None,
                "secondment_months": str(a.secondment_months),
                "title": a.title,
                "research_plan": a.research_plan,
                "highest_degree": a.highest_degree,
                "masters_date": a.masters_date.isoformat() if a.masters_date else None,
                "phd_date": a.phd_date.isoformat() if a.phd_date else None,
                "experience_years": str(a.experience_years) if a.experience_years is not None else None,
                "stays": [
                    {"country": s.country, "from": s.start.isoformat(), "to": s.end.isoformat()} for s in a.stays.all()
                ],
                "career_breaks": [
                    {"kind": b.kind, "from": b.start.isoformat(), "to": b.end.isoformat()}
                    for b in a.career_breaks.all()
                ],
                "referees": [
                    {"name": r.name, "email": r.email, "letter_received": r.letter_id is not None}
                    for r in a.referees.all()
                ],
                "submitted_at": a.submitted_at.isoformat() if a.submitted_at else None,
                "eligibility": a.eligibility,
                "eligibility_override": a.eligibility_override,
                "placement": None
                if placement is None
                else {
                    "host_site": placement.host_site.name,
                    "start": placement.start.isoformat(),
                    "end": placement.end.isoformat(),
                    "status": placement.status,
                    "report_due": placement.report_due.isoformat(),
                    "report": placement.report_text,
                },
            }
        )
    return {
        "person": {
            "name": user.name,
            "email": user.email,
            "nationality": str(user.nationality or ""),
            "home_institution": user.home_institution,
            "home_country": str(user.home_country or ""),
        },
        "applications": applications,
        "erasure_requests": [
            {"requested_at": e.requested_at.isoformat(), "due_at": e.due_at.isoformat(),
             "carried_out_at": e.carried_out_at.isoformat() if e.carried_out_at else None}
            for e in ErasureRequest.objects.filter(user=user)
        ],
    }  # fmt: skip


ERASED_APPLICATION_FIELDS: dict[str, Any] = {
    "title": "",
    "research_plan": "",
    "home_institution": "",
    "nationality": "",
    "masters_date": None,
    "phd_date": None,
    "experience_years": None,
    "eligibility": [],
    "override_justification": "",
    "info_request": "",
}


def events_of(model: Any) -> Any:
    """The append-only audit table of an @audited model."""
    return django_apps.get_model(model._meta.app_label, f"{model.__name__}Event")


def delete_files(files: Any) -> None:
    """Delete stored files: their records now, their content on disk once the transaction commits."""
    names = [f"{STORAGE_DIR}/{name}" for name in files.values_list("stored_name", flat=True)]
    files.delete()

    def remove() -> None:
        for name in names:
            default_storage.delete(name)

    transaction.on_commit(remove)


def erasure_due_at(user: Any, now: datetime) -> datetime:
    """The latest end of the retention periods of the calls the person applied to (now if none)."""
    latest = now
    for deadline, months in Application.objects.filter(applicant=user).values_list(
        "call__deadline", "call__retention_months"
    ):
        latest = max(latest, deadline + timedelta(days=months * DAYS_PER_MONTH))
    return latest


def request_erasure(*, user: Any) -> ErasureRequest:
    """Ask for erasure; it is carried out by the sweeper when the retention periods have ended."""
    now = timezone.now()
    with transaction.atomic(), audit_context(actor=user, reason="erasure requested"):
        open_request = ErasureRequest.objects.select_for_update().filter(user=user, carried_out_at__isnull=True).first()
        if open_request:
            return open_request
        return ErasureRequest.objects.create(user=user, due_at=erasure_due_at(user, now))


def carry_out_erasure(*, request_id: int, now: datetime | None = None) -> bool:
    """Erase an applicant's personal data from their applications once due (idempotent)."""
    moment = now or timezone.now()
    with transaction.atomic(), audit_context(actor=None, reason="erasure carried out"):
        request = (
            ErasureRequest.objects.select_for_update()
            .select_related("user")
            .filter(pk=request_id, carried_out_at__isnull=True, due_at__lte=moment)
            .first()
        )
        if request is None:
            return False
        user = request.user
        applications = Application.objects.filter(applicant=user)
        # Listed now, before the records that point at them are cleared.
        file_ids = list(
            PrivateFile.objects.filter(
                Q(owner=user, purpose__startswith="fellowships.")
                | Q(pk__in=applications.values("cv"))
                | Q(pk__in=applications.values("plan_file"))
                | Q(pk__in=Referee.objects.filter(application__applicant=user).values("letter"))
            ).values_list("pk", flat=True)
        )
        # Aggregates stay (home state, host site, dates, decision) for the circulation statistics;
        # everything that identifies or describes the person goes, from the records and their history.
        applications.update(**ERASED_APPLICATION_FIELDS, cv=None, plan_file=None, erased_at=moment)
        redact_events(events_of(Application), values=ERASED_APPLICATION_FIELDS, applicant_id=user.pk)
        Placement.objects.filter(application__applicant=user).update(report_text="")
        redact_events(
            events_of(Placement),
            values={"report_text": ""},
            application_id__in=applications.values("pk"),
        )
        Referee.objects.filter(application__applicant=user).delete()
        redact_events(
            events_of(Referee),
            values={"name": "", "email": ""},
            application_id__in=applications.values("pk"),
        )
        Stay.objects.filter(application__applicant=user).delete()
        CareerBreak.objects.filter(application__applicant=user).delete()
        delete_files(PrivateFile.objects.filter(pk__in=file_ids))
        request.carried_out_at = moment
        request.save(update_fields=["carried_out_at"])
        notify(
            kind=kinds.ERASURE_DONE,
            recipients=[request.user],
            dedupe_key=f"fellowships.erasure:{request.pk}",
            context={},
        )
    return True
