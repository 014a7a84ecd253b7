"""Applying: drafts, documents, referees, submission with the deadline and eligibility."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cernai.core.audit import audit_context
from cernai.core.files import store_upload
from cernai.core.models import PrivateFile
from cernai.core.notifications import notify
from cernai.core.queue import enqueue_on_commit

from .. import eligibility
from .. import notifications as kinds
from ..models import Application, Call, CareerBreak, LateAllowance, Referee, Review, Stay
from ..selectors import state_statuses
from .privacy import delete_files

REFEREE_LINK_DAYS = 30
MAX_LETTER_UPLOADS = 3  # a referee may replace a letter twice (a typo, a signature), no more
DRAFT_FIELDS = {
    "home_institution",
    "home_country",
    "nationality",
    "host_site",
    "proposed_start",
    "proposed_end",
    "secondment_months",
    "title",
    "research_plan",
    "highest_degree",
    "masters_date",
    "phd_date",
    "experience_years",
    "step",
}
REQUIRED_TO_SUBMIT = ("home_institution", "host_site", "proposed_start", "proposed_end", "title", "research_plan")


class ApplicationError(ValidationError):
    """A write refused for a reason the person can act on."""


def start_application(*, call: Call, applicant: Any) -> Application:
    """Open (or resume) the applicant's draft for a call, prefilled from their profile."""
    with transaction.atomic(), audit_context(actor=applicant, reason="start application"):
        application, _created = Application.objects.get_or_create(
            call=call,
            applicant=applicant,
            defaults={
                "nationality": str(applicant.nationality or ""),
                "home_institution": applicant.home_institution,
                "home_country": str(applicant.home_country or ""),
            },
        )
    return application


def _lock_editable(application: Application) -> Application:
    locked = Application.objects.select_for_update().select_related("call").get(pk=application.pk)
    if not locked.editable:
        raise ApplicationError(
            _("This application can no longer be changed (it is %(status)s).") % {"status": locked.get_status_display()}
        )
    return locked


def save_draft(
    *,
    application: Application,
    actor: Any,
    fields: dict[str, Any],
    stays: list[tuple[str, Any, Any]] | None = None,
    breaks: list[tuple[str, Any, Any]] | None = None,
) -> Application:
    """Save one step of the form; stays and career breaks replace the earlier ones when given."""
    unknown = set(fields) - DRAFT_FIELDS
    if unknown:
        raise ValueError(f"not draft fields: {sorted(unknown)}")
    with transaction.atomic(), audit_context(actor=actor, reason="save draft"):
        locked = _lock_editable(application)
        if locked.applicant_id != actor.pk:
            raise ApplicationError(_("Only the applicant can change this application."))
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.full_clean(exclude=["cv", "plan_file", "applicant", "call"])
        locked.save()
        if stays is not None:
            locked.stays.all().delete()
            Stay.objects.bulk_create([Stay(application=locked, country=c.upper(), start=s, end=e) for c, s, e in stays])
        if breaks is not None:
            locked.career_breaks.all().delete()
            CareerBreak.objects.bulk_create(
                [CareerBreak(application=locked, kind=k, start=s, end=e) for k, s, e in breaks]
            )
    return locked


def attach_document(*, application: Application, actor: Any, upload: Any, kind: str) -> Application:
    """Store a CV or plan (T8 checks in core.files) and attach it, replacing the earlier one."""
    if kind not in ("cv", "plan_file"):
        raise ValueError(kind)
    with transaction.atomic(), audit_context(actor=actor, reason=f"attach {kind}"):
        locked = _lock_editable(application)
        if locked.applicant_id != actor.pk:
            raise ApplicationError(_("Only the applicant can change this application."))
        stored = store_upload(upload=upload, owner=actor, purpose=f"fellowships.{kind}")
        replaced = getattr(locked, f"{kind}_id")
        setattr(locked, kind, stored)
        locked.save(update_fields=[kind, "updated_at"])
        if replaced:  # the earlier version is not kept anywhere
            delete_files(PrivateFile.objects.filter(pk=replaced))
    return locked


# --- referees ---------------------------------------------------------------------------------------


def referee_token(referee: Referee) -> str:
    """The secret in a referee's link: an HMAC of the stored salt, so it can be re-sent but not read."""
    return hmac.new(settings.SECRET_KEY.encode(), f"referee:{referee.token_salt}".encode(), hashlib.sha256).hexdigest()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite_referee(*, application: Application, actor: Any, name: str, email: str) -> Referee:
    """Invite a referee by email to upload a letter through a private link that expires."""
    with transaction.atomic(), audit_context(actor=actor, reason="invite referee"):
        locked = _lock_editable(application)
        if locked.applicant_id != actor.pk:
            raise ApplicationError(_("Only the applicant can invite referees."))
        email = email.strip().lower()
        if locked.referees.filter(email=email).exists():
            raise ApplicationError(_("%(email)s is already invited.") % {"email": email})
        salt = secrets.token_hex(16)
        referee = Referee(
            application=locked,
            name=name.strip(),
            email=email,
            token_salt=salt,
            expires_at=max(locked.call.deadline, timezone.now()) + timedelta(days=REFEREE_LINK_DAYS),
        )
        referee.token_hash = _hash(referee_token(referee))
        referee.save()
        enqueue_on_commit("fellowships.send_referee_email", referee.pk, "invitation")
    return referee


INVITATION_CLAIM_EXPIRES = timedelta(minutes=10)


def invitations_unsent(now: datetime) -> QuerySet[Referee]:
    """Referees whose invitation is still to send and not claimed by a live worker (send and sweeper share it)."""
    return Referee.objects.filter(
        Q(invitation_claimed_at__isnull=True) | Q(invitation_claimed_at__lt=now - INVITATION_CLAIM_EXPIRES),
        invitation_sent_at__isnull=True,
        letter__isnull=True,
        expires_at__gt=now,
    )


def send_referee_email(*, referee_id: int, purpose: str) -> str:
    """Send a referee's invitation or a reminder at most once (a conditional UPDATE claims it first)."""
    now = timezone.now()
    referees = Referee.objects.filter(pk=referee_id, letter__isnull=True, expires_at__gt=now)
    if purpose == "invitation":
        claimed = invitations_unsent(now).filter(pk=referee_id).update(invitation_claimed_at=now)
    elif purpose.startswith("reminder-"):
        number = int(purpose.removeprefix("reminder-"))
        claimed = referees.filter(reminders_sent=number - 1, invitation_sent_at__isnull=False).update(
            reminders_sent=number, last_reminder_at=now
        )
    else:
        raise ValueError(purpose)
    if not claimed:
        return "not due"
    referee = Referee.objects.select_related("application__applicant", "application__call").get(pk=referee_id)
    link = settings.PORTAL_BASE_URL + reverse("fellowships:referee_upload", args=[referee_token(referee)])
    context = {
        "referee": referee,
        "application": referee.application,
        "link": link,
        "reminder": purpose != "invitation",
    }
    with translation.override(referee.application.applicant.language or "en"):
        subject = " ".join(render_to_string("fellowships/email/referee_subject.txt", context).split())
        body = render_to_string("fellowships/email/referee_body.txt", context)
    EmailMultiAlternatives(
        subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[referee.email]
    ).send()
    if purpose == "invitation":
        Referee.objects.filter(pk=referee_id).update(invitation_sent_at=timezone.now())
    return "sent"


def referee_by_token(token: str) -> Referee | None:
    referee = (
        Referee.objects.select_related("application__call", "application__applicant")
        .filter(token_hash=_hash(token))
        .first()
    )
    if referee is None or not hmac.compare_digest(referee_token(referee), token):
        return None
    return referee


def upload_reference_letter(*, token: str, upload: Any) -> Referee:
    """A referee (no account) uploads their letter through the private link, before it expires."""
    with transaction.atomic():
        referee = referee_by_token(token)
        if referee is None:
            raise ApplicationError(_("This link is not valid."))
        referee = Referee.objects.select_for_update().select_related("application__applicant").get(pk=referee.pk)
        if referee.expires_at <= timezone.now():
            raise ApplicationError(_("This link expired on %(date)s.") % {"date": f"{referee.expires_at:%Y-%m-%d}"})
        if referee.letter_uploads >= MAX_LETTER_UPLOADS:
            raise ApplicationError(
                _("This link has taken its %(n)d uploads; the last letter received is kept.")
                % {"n": MAX_LETTER_UPLOADS},
                code="uploads",
            )
        with audit_context(actor=None, reason=f"referee letter from {referee.email}"):
            stored = store_upload(upload=upload, owner=None, purpose="fellowships.letter")
            replaced = referee.letter_id
            referee.letter = stored
            referee.uploaded_at = timezone.now()
            referee.letter_uploads += 1
            referee.save(update_fields=["letter", "uploaded_at", "letter_uploads"])
            if replaced:
                delete_files(PrivateFile.objects.filter(pk=replaced))
            application = referee.application
            notify(
                kind=kinds.LETTER_RECEIVED,
                recipients=[application.applicant],
                dedupe_key=f"fellowships.letter:{referee.pk}:{stored.pk}",
                context={"application": application, "referee_name": referee.name},
                url=reverse("fellowships:application_status", args=[application.pk]),
            )
    return referee


# --- submission and eligibility ---------------------------------------------------------------------


def _candidate(application: Application) -> eligibility.Candidate:
    host_country = application.host_site.country if application.host_site else ""
    return eligibility.Candidate(
        nationality=application.nationality,
        host_country=host_country,
        start=application.proposed_start,
        end=application.proposed_end,
        secondment_months=Fraction(str(application.secondment_months or 0)),
        highest_degree=application.highest_degree,
        masters_date=application.masters_date,
        phd_date=application.phd_date,
        experience_years=None if application.experience_years is None else Fraction(str(application.experience_years)),
        stays=tuple(eligibility.Period(s.start, s.end, s.country) for s in application.stays.all()),
        breaks=tuple(eligibility.Period(b.start, b.end, b.kind) for b in application.career_breaks.all()),
    )


def _rules(call: Call) -> eligibility.CallRules:
    return eligibility.CallRules(
        deadline=call.deadline,
        tz=call.tz,
        check_nationality=call.check_nationality,
        career_stage=call.career_stage,
        check_mobility=call.check_mobility,
        other_nationals_quota=call.other_nationals_quota,
        min_duration_months=call.min_duration_months,
        max_duration_months=call.max_duration_months,
    )


def compute_eligibility(application: Application) -> list[eligibility.Result]:
    """Evaluate every rule of the call for this application (does not save)."""
    return eligibility.evaluate(_rules(application.call), _candidate(application), state_statuses=state_statuses())


def missing_fields(application: Application) -> list[str]:
    missing = [
        str(getattr(Application._meta.get_field(name), "verbose_name", name))
        for name in REQUIRED_TO_SUBMIT
        if not getattr(application, name if name != "host_site" else "host_site_id")
    ]
    if application.cv_id is None:
        missing.append(_("CV"))
    return missing


def submit_application(*, application: Application, actor: Any, now: datetime | None = None) -> Application:
    """Submit (or resubmit) an application: deadline with allow-list, completeness, eligibility, email."""
    moment = now or timezone.now()
    with transaction.atomic():
        locked = _lock_editable(application)
        if locked.applicant_id != actor.pk:
            raise ApplicationError(_("Only the applicant can submit this application."))
        call = locked.call
        allowance = LateAllowance.objects.filter(call=call, user=actor, until__gt=moment).first()
        deadline = eligibility.check_deadline(
            submitted_at=moment, deadline=call.deadline, tz=call.tz, allow_listed=allowance is not None
        )
        resubmission = locked.status == Application.Status.INFO_REQUESTED
        # A resubmission after "more information requested" is not held to the original deadline.
        if not deadline.passed and not resubmission:
            raise ApplicationError(deadline.reason, code="deadline")
        missing = missing_fields(locked)
        if missing:
            raise ApplicationError(
                _("Please complete: %(fields)s.") % {"fields": ", ".join(missing)}, code="incomplete"
            )
        if not call.host_sites.filter(pk=locked.host_site_id or 0).exists():
            raise ApplicationError(_("The host site is not one of this call's."), code="host_site")
        late = moment >= call.deadline and not resubmission
        reason = f"late submission (allow-list: {allowance.reason})" if late and allowance else "submit application"
        with audit_context(actor=actor, reason=reason):
            results = compute_eligibility(locked)
            results.insert(0, deadline)
            if resubmission:
                locked.revision += 1
                Review.objects.filter(application=locked, outdated=False).update(outdated=True)
            locked.eligibility = [r.as_dict() for r in results]
            locked.eligible = eligibility.all_passed(results)
            locked.other_national = any(r.facts.get("other_national") for r in results)
            locked.status = Application.Status.SUBMITTED
            locked.submitted_at = moment
            locked.late_submission = late
            locked.step = 5
            locked.save()
            notify(
                kind=kinds.APPLICATION_SUBMITTED,
                recipients=[actor],
                dedupe_key=f"fellowships.submitted:{locked.pk}:r{locked.revision}",
                context={"application": locked, "call": call},
                url=reverse("fellowships:application_status", args=[locked.pk]),
            )
    return locked


WITHDRAWABLE = (
    Application.Status.DRAFT,
    Application.Status.SUBMITTED,
    Application.Status.INFO_REQUESTED,
    Application.Status.WAITLISTED,
)


def withdraw_application(*, application: Application, actor: Any) -> Application:
    """The applicant withdraws before an acceptance: reviewers lose it at once; an accepted application
    (a placement is being planned) is withdrawn with the secretariat instead."""
    with transaction.atomic(), audit_context(actor=actor, reason="withdraw application"):
        locked = Application.objects.select_for_update().get(pk=application.pk)
        if locked.applicant_id != actor.pk:
            raise ApplicationError(_("Only the applicant can withdraw this application."))
        if locked.status not in WITHDRAWABLE:
            raise ApplicationError(
                _("A %(status)s application cannot be withdrawn here; write to the secretariat.")
                % {"status": locked.get_status_display()},
                code="status",
            )
        locked.status = Application.Status.WITHDRAWN
        locked.save(update_fields=["status", "updated_at"])
    return locked


def override_eligibility(*, application: Application, actor: Any, eligible: bool, justification: str) -> Application:
    """Staff override the computed eligibility; the justification is required and logged."""
    if not justification.strip():
        raise ApplicationError(_("An override needs a written justification."), code="justification")
    with transaction.atomic(), audit_context(actor=actor, reason="eligibility override", justification=justification):
        locked = Application.objects.select_for_update().select_related("applicant", "call").get(pk=application.pk)
        locked.eligibility_override = eligible
        locked.override_justification = justification.strip()
        locked.save(update_fields=["eligibility_override", "override_justification", "updated_at"])
        if not eligible:  # found (or confirmed) not eligible: the applicant is told why, in her language
            notify(
                kind=kinds.ELIGIBILITY_REFUSED,
                recipients=[locked.applicant],
                dedupe_key=f"fellowships.eligibility_refused:{locked.pk}:{timezone.now():%Y%m%d%H%M%S%f}",
                context={"application": locked, "reason": locked.override_justification},
                url=reverse("fellowships:application_status", args=[locked.pk]),
            )
    return locked
