"""Papers, convocations and minutes of sessions (issue 9 item 5): who may read them, who is told,
and every write (publish a paper, send a convocation, approve and publish minutes).

Three functions decide everything about audiences, so a new kind of body (a committee with its own
members) changes them in one place:

- ``readable_papers(user)`` is the only definition of who may read which paper: the download view,
  the session page, the register and core's file check all ask it.
- ``session_audience(session, closed=...)`` is who is told about a session's business (convocation,
  paper published, minutes published).
- ``attends_closed_sessions(user)`` is who is entitled to attend a closed session.

Classification (a paper's own, whatever its session): **public** — anyone, signed in or not;
**restricted** — delegates and advisers of the states that see the session, the chair, the
secretariat; **closed session** — those entitled to attend the closed session (delegations of member
states, the chair, the secretariat). A paper is readable only once published, except by the secretariat.

Paper symbols are ``<body initials>/<session id>/<n>`` ("C/12/3"): ``n`` comes from the session's
PaperCounter row, locked by the publishing transaction, and the symbol is unique in the database.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cernai.accounts.permissions import is_chair, is_secretariat
from cernai.core.audit import audit_context
from cernai.core.notifications import notify

from . import selectors
from .models import (
    Adviser,
    Appointment,
    BodyMembership,
    Convocation,
    Council,
    MemberState,
    Minutes,
    Paper,
    PaperCounter,
    Session,
)
from .services import GovernanceError

# --- who ----------------------------------------------------------------------------------------


def attends_closed_sessions(user: Any) -> bool:
    """Entitled to attend closed sessions: member-state delegations (delegates and advisers), the chair
    and the secretariat. Associate members, observers and candidates are not (rules §1)."""
    if not (user and user.is_authenticated):
        return False
    if is_secretariat(user) or is_chair(user):
        return True
    state = selectors.represented_state(user)
    return state is not None and state.status == MemberState.Status.MEMBER


def readable_papers(user: Any) -> QuerySet[Paper]:
    """The papers ``user`` may read (anonymous included): the one rule behind every download and list."""
    papers = Paper.objects.select_related("item__session__council", "file")
    if user is not None and user.is_authenticated and is_secretariat(user):
        return papers  # drafts too: the secretariat checks a paper before publishing it
    # A committee's papers stay with its members (rules §4), even its public ones.
    readable = Q(classification=Paper.Classification.PUBLIC, item__session__council__kind=Council.Kind.COUNCIL)
    if user is not None and user.is_authenticated and selectors.sees_council_business(user):
        seen = selectors.sees_session(user, "item__session__")
        readable |= seen & Q(classification__in=[Paper.Classification.PUBLIC, Paper.Classification.RESTRICTED])
        # Closed-session papers: the Council's to member-state delegations; a committee's to its members.
        closed_to = ~Q(item__session__council__kind=Council.Kind.COUNCIL)
        if attends_closed_sessions(user):
            closed_to = Q()
        readable |= seen & closed_to & Q(classification=Paper.Classification.CLOSED)
    return papers.filter(readable, published_at__isnull=False)


def may_read_paper(user: Any, paper: Paper) -> bool:
    return readable_papers(user).filter(pk=paper.pk).exists()


def may_read_paper_file(user: Any, private_file: Any) -> bool:
    """Core's permission-checked file view asks this (registered in navigation.py)."""
    if private_file.purpose != "paper":
        return False
    return readable_papers(user).filter(file=private_file).exists()


def session_audience(session: Session, *, closed: bool | None = None) -> list[Any]:
    """Who is told about ``session``'s business: the serving delegates and advisers of the states
    that sit in it — member states only when ``closed`` (default: the session's own closedness) —
    and the chair of its body; for a committee, its serving members and its chair."""
    closed = session.closed if closed is None else closed
    today = timezone.localdate()
    if session.council.kind != Council.Kind.COUNCIL:  # a committee: its serving members and its chair
        return list(
            get_user_model()
            .objects.filter(
                Q(body_memberships__in=BodyMembership.objects.filter(selectors.serving_on(today), body=session.council))
                | Q(chaired_councils=session.council_id)
            )
            .distinct()
            .order_by("pk")
        )
    states = MemberState.objects.all()
    if closed:
        states = states.filter(status=MemberState.Status.MEMBER)
    people = (
        get_user_model()
        .objects.filter(
            Q(appointments__in=Appointment.objects.filter(selectors.serving_on(today), state__in=states))
            | Q(adviser_roles__in=Adviser.objects.filter(selectors.serving_on(today), state__in=states))
            | Q(chaired_councils=session.council_id)
        )
        .distinct()
        .order_by("pk")
    )
    return list(people)


def paper_audience(paper: Paper) -> list[Any]:
    """Who is told a paper was published: the session's audience, narrowed to closed-session
    attendees for a closed paper (a public paper is announced to the same members)."""
    session = paper.item.session
    return session_audience(session, closed=True if paper.classification == Paper.Classification.CLOSED else None)


# --- numbering ------------------------------------------------------------------------------------


def body_initials(name: str) -> str:
    """ "Council" → "C", "Scientific Policy Committee" → "SPC", "Finance Committee" → "FC"."""
    return "".join(word[0] for word in name.split() if word[:1].isalpha()).upper()[:8] or "X"


def paper_symbol(*, body: str, session_id: int, number: int) -> str:
    return f"{body_initials(body)}/{session_id}/{number}"


# --- writes -------------------------------------------------------------------------------------


def publish_paper(*, actor: Any, paper_id: int) -> Paper:
    """Number a paper in its session, publish it and announce it to its audience (once)."""
    with transaction.atomic(), audit_context(actor=actor, reason="publish paper"):
        paper = Paper.objects.select_for_update().select_related("item__session__council").get(pk=paper_id)
        if paper.published_at is not None:
            raise GovernanceError(
                _("Paper %(symbol)s is already published.") % {"symbol": paper.symbol}, code="already_published"
            )
        session = paper.item.session
        PaperCounter.objects.get_or_create(session=session)
        counter = PaperCounter.objects.select_for_update().get(session=session)
        counter.last += 1
        counter.save(update_fields=["last"])
        paper.number = counter.last
        paper.symbol = paper_symbol(body=session.council.name, session_id=session.pk, number=counter.last)
        paper.published_at = timezone.now()
        paper.save(update_fields=["number", "symbol", "published_at"])
        notify(
            kind="governance.paper_published",
            recipients=paper_audience(paper),
            dedupe_key=f"governance.paper_published:{paper.pk}",
            context={
                "paper_title": paper.title,
                "symbol": paper.symbol,
                "session_title": session.title,
                # lazy: rendered in each recipient's language
                "classification": Paper.Classification(paper.classification).label,
            },
            url=reverse("governance:session", args=[session.pk]),
        )
    return paper


def agenda_text(session: Session) -> str:
    return "\n".join(f"{item.position}. {item.title}" for item in session.items.order_by("position", "pk"))


def send_convocation(*, actor: Any, session_id: int) -> Convocation:
    """Convene a session: before it starts, with its agenda, to its members; once."""
    with transaction.atomic(), audit_context(actor=actor, reason="send convocation"):
        session = Session.objects.select_for_update().select_related("council").get(pk=session_id)
        sent = Convocation.objects.filter(session=session).first()
        if sent is not None:
            raise GovernanceError(
                _("The convocation of this session was already sent on %(date)s.")
                % {"date": timezone.localtime(sent.sent_at).strftime("%Y-%m-%d %H:%M")},
                code="already_sent",
            )
        if session.starts_at <= timezone.now():
            raise GovernanceError(
                _("The session has already started: a convocation goes out before it."), code="too_late"
            )
        agenda = agenda_text(session)
        if not agenda:
            raise GovernanceError(_("The agenda is empty: add its items before convening."), code="no_agenda")
        audience = session_audience(session)
        convocation = Convocation.objects.create(
            session=session, sent_at=timezone.now(), sent_by=actor, agenda=agenda, recipients=len(audience)
        )
        notify(
            kind="governance.convocation",
            recipients=audience,
            dedupe_key=f"governance.convocation:{session.pk}",
            context={
                "session_title": session.title,
                "starts_at": timezone.localtime(session.starts_at).strftime("%Y-%m-%d %H:%M"),
                "location": session.location,
                "agenda": agenda,
            },
            url=reverse("governance:session", args=[session.pk]),
        )
    return convocation


def check_minutes_approval(*, minutes: Minutes, at_session: Session | None) -> None:
    """Minutes are approved once, at a later session of the same body that has begun."""
    if minutes.status != Minutes.Status.DRAFT:
        raise GovernanceError(_("These minutes are already approved."), code="already_approved")
    if at_session is None:
        raise GovernanceError(
            _("Choose the session at which the minutes were approved."), code="required", field="approved_at_session"
        )
    minuted = minutes.session
    if at_session.council_id != minuted.council_id or at_session.starts_at <= minuted.starts_at:
        raise GovernanceError(
            _("Minutes are approved at a later session of the same body."),
            code="wrong_session",
            field="approved_at_session",
        )
    if at_session.starts_at > timezone.now():
        raise GovernanceError(
            _("That session has not started yet: minutes are approved when it meets."),
            code="not_started",
            field="approved_at_session",
        )


def approve_minutes(*, actor: Any, minutes_id: int, at_session_id: int) -> Minutes:
    """Record that the minutes were approved at ``at_session``."""
    with transaction.atomic(), audit_context(actor=actor, reason="approve minutes"):
        minutes = Minutes.objects.select_for_update().select_related("session").get(pk=minutes_id)
        at_session = Session.objects.filter(pk=at_session_id).first()
        check_minutes_approval(minutes=minutes, at_session=at_session)
        minutes.status = Minutes.Status.APPROVED
        minutes.approved_at_session = at_session
        minutes.approved_at = timezone.now()
        minutes.approved_by = actor
        minutes.save(update_fields=["status", "approved_at_session", "approved_at", "approved_by"])
    return minutes


def publish_minutes(*, actor: Any, minutes_id: int) -> Minutes:
    """Publish approved minutes (public part in the register) and tell the session's members."""
    with transaction.atomic(), audit_context(actor=actor, reason="publish minutes"):
        minutes = Minutes.objects.select_for_update().select_related("session").get(pk=minutes_id)
        if minutes.status == Minutes.Status.PUBLISHED:
            raise GovernanceError(_("These minutes are already published."), code="already_published")
        if minutes.status != Minutes.Status.APPROVED:
            raise GovernanceError(
                _("Minutes are published only after their approval at a later session."), code="not_approved"
            )
        minutes.status = Minutes.Status.PUBLISHED
        minutes.published_at = timezone.now()
        minutes.save(update_fields=["status", "published_at"])
        notify(
            kind="governance.minutes_published",
            recipients=session_audience(minutes.session),
            dedupe_key=f"governance.minutes_published:{minutes.pk}",
            context={"session_title": minutes.session.title},
            url=reverse("governance:session", args=[minutes.session_id]),
        )
    return minutes


# --- reads for pages --------------------------------------------------------------------------------


def public_papers() -> QuerySet[Paper]:
    """The register's list of papers: published and public."""
    return readable_papers(None).order_by("-published_at", "-pk")


def published_minutes() -> QuerySet[Minutes]:
    return (
        Minutes.objects.select_related("session", "approved_at_session")
        .filter(status=Minutes.Status.PUBLISHED)
        .order_by("-session__starts_at")
    )


def session_documents(user: Any, session: Session) -> dict[str, Any]:
    """What the session page shows of papers, convocation and minutes to ``user``."""
    papers: dict[int, list[Paper]] = {}
    for paper in readable_papers(user).filter(item__session=session).order_by("number", "title"):
        papers.setdefault(paper.item_id, []).append(paper)
    minutes = Minutes.objects.filter(session=session).select_related("approved_at_session").first()
    show_minutes = minutes is not None and (minutes.status == Minutes.Status.PUBLISHED or is_secretariat(user))
    return {
        "papers_by_item": papers,
        "convocation": Convocation.objects.filter(session=session).first(),
        "minutes": minutes if show_minutes else None,
        "sees_closed_part": attends_closed_sessions(user),
    }
