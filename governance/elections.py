"""Elections among candidates (rules §4): set up, cast, close a round (maybe calling a second round),
publish. Every write of an election goes through here.

An election owns a motion on the session's agenda, and each of its rounds is an ordinary **secret**
ballot of that motion (always "either" mode). So a round is opened by ``services.open_ballot`` (the
electorate frozen, quorum checked at opening, delegates told), and a cast, a close or a publication
asked of ``services`` for a round's ballot (the generic ballot views, the admin actions, the
scheduled-closing sweeper) comes here. Secrecy is the sealed-envelope design of
``governance/envelopes.py``: a cast stores only a fixed-length encrypted envelope (the candidate's key
or "abstain", and the receipt) next to the register's "this state voted" mark; at the close the
envelopes are opened and the choices written once in the order of their random receipts. The counts
per candidate are stored with the round, and the explanation is rendered from them
(``governance.election_rules.explain``) in the reader's language.

After a first round without a majority the second round's ballot is created as a draft with the two
best placed; the chair opens it (the quorum is checked again at its opening).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cernai.core import sentences
from cernai.core.audit import audit_context
from cernai.core.notifications import notify

from . import election_rules, envelopes, services
from .models import (
    AgendaItem,
    Ballot,
    Candidate,
    Council,
    Election,
    ElectionRound,
    ElectorateEntry,
    MemberState,
    Motion,
    RoundCandidate,
    SealedEnvelope,
    SecretChoice,
)
from .selectors import delegates_of_states

ABSTAIN = "abstain"
MAX_CANDIDATES = 50


def round_of(ballot_id: int) -> ElectionRound | None:
    """The election round a ballot belongs to, if it is one."""
    return ElectionRound.objects.select_related("election").filter(ballot_id=ballot_id).first()


def is_election_ballot(ballot_id: int) -> bool:
    return ElectionRound.objects.filter(ballot_id=ballot_id).exists()


def round_result(election_round: ElectionRound, entries: list[RoundCandidate] | None = None) -> Any:
    """The pure rule's result rebuilt from a closed round's stored counts (None while it is open)."""
    if not election_round.outcome:
        return None
    entries = entries if entries is not None else list(election_round.entries.select_related("candidate"))
    return election_rules.count_round(
        round=election_round.number,
        votes={e.candidate.key: e.votes for e in entries},
        abstain=election_round.abstain,
    )


def explanation(election_round: ElectionRound, entries: list[RoundCandidate] | None = None) -> str:
    """The round's result sentence, in the active language."""
    entries = entries if entries is not None else list(election_round.entries.select_related("candidate"))
    result = round_result(election_round, entries)
    if result is None:
        return ""
    return election_rules.explain(result, {e.candidate.key: e.candidate.name for e in entries})


# --- set up --------------------------------------------------------------------------------------


def clean_candidates(names: list[str] | str) -> list[str]:
    """Candidate names, one per line (or a list): stripped, blank lines dropped, each once."""
    if isinstance(names, str):
        names = names.splitlines()
    cleaned = [n.strip() for n in names if n and n.strip()]
    if not cleaned:
        raise services.GovernanceError(
            _("List at least one candidate, one per line."), code="candidates", field="candidates"
        )
    if len(cleaned) > MAX_CANDIDATES:
        raise services.GovernanceError(
            _("At most %(n)d candidates can stand in one election.") % {"n": MAX_CANDIDATES},
            code="candidates",
            field="candidates",
        )
    seen: set[str] = set()
    for name in cleaned:
        if len(name) > 200:
            raise services.GovernanceError(
                _("The candidate name “%(name)s…” is longer than 200 characters.") % {"name": name[:40]},
                code="candidates",
                field="candidates",
            )
        if name.casefold() in seen:
            raise services.GovernanceError(
                _("%(name)s is listed twice; each candidate stands once.") % {"name": name},
                code="candidates",
                field="candidates",
            )
        seen.add(name.casefold())
    return cleaned


def setup_election(
    *,
    actor: Any,
    item: AgendaItem,
    office: str,
    candidates: list[str] | str,
    opens_at: dt.datetime | None = None,
    closes_at: dt.datetime | None = None,
) -> Election:
    """The secretariat sets up an election on an agenda item: its motion, its candidates and the first
    round's secret ballot (a draft, opened by the chair or at ``opens_at``)."""
    office = (office or "").strip()
    if not office:
        raise services.GovernanceError(_("Say which office the election fills."), code="office", field="office")
    names = clean_candidates(candidates)
    if opens_at and closes_at and closes_at <= opens_at:
        raise services.GovernanceError(
            _("The scheduled closing must come after the scheduled opening."), code="schedule", field="closes_at"
        )
    with transaction.atomic(), audit_context(actor=actor, reason="set up election"):
        motion = Motion.objects.create(
            item=item,
            title=_("Election: %(office)s") % {"office": office},
            text=_("Secret ballot among the candidates: %(names)s.") % {"names": ", ".join(names)},
            kind=Motion.Kind.ORDINARY,
        )
        election = Election.objects.create(motion=motion, office=office)
        people = Candidate.objects.bulk_create(
            [Candidate(election=election, name=name, position=i) for i, name in enumerate(names, start=1)]
        )
        _new_round(
            election, number=election_rules.FIRST_ROUND, candidates=people, opens_at=opens_at, closes_at=closes_at
        )
    return election


def _new_round(
    election: Election,
    *,
    number: int,
    candidates: list[Candidate],
    opens_at: dt.datetime | None = None,
    closes_at: dt.datetime | None = None,
) -> ElectionRound:
    ballot = Ballot.objects.create(
        motion_id=election.motion_id,
        secrecy=Ballot.Secrecy.SECRET,
        mode=Ballot.Mode.EITHER,
        opens_at=opens_at,
        closes_at=closes_at,
    )
    election_round = ElectionRound.objects.create(election=election, number=number, ballot=ballot)
    RoundCandidate.objects.bulk_create([RoundCandidate(round=election_round, candidate=c) for c in candidates])
    return election_round


# --- casting -------------------------------------------------------------------------------------


def valid_choices(ballot_id: int) -> dict[str, str]:
    """The keys a vote in this round may carry, with their labels: each candidate, then abstain."""
    entries = RoundCandidate.objects.filter(round__ballot_id=ballot_id).select_related("candidate")
    choices = {e.candidate.key: e.candidate.name for e in entries}
    choices[ABSTAIN] = str(_("abstain"))
    return choices


def check_choice(ballot_id: int, choice: str) -> str:
    """Refuse a choice that is neither a candidate of this round nor an abstention; returns its label."""
    choices = valid_choices(ballot_id)
    if choice not in choices:
        raise services.GovernanceError(
            _("Choose one of this round's candidates, or abstain."), code="choice", field="choice"
        )
    return choices[choice]


def cast_in_round(ballot: Ballot, body: Council, *, user: Any, choice: str, now: dt.datetime) -> services.CastReceipt:
    """A delegate casts their state's single, final vote in a round: a sealed envelope and the
    register's mark, in the transaction of ``services.cast_vote``, which holds the ballot's share
    lock (envelopes.py says why one transaction keeps the choice unlinkable)."""
    check_choice(ballot.pk, choice)
    seat = services._seat_to_cast(ballot, body, user, now)
    entry = services._entitled_row(ballot, seat, lock=True)
    if entry.voted_at is not None:
        raise services._already_voted(entry, seat)
    receipt = services._receipt()
    with audit_context(actor=user, reason="cast vote"):
        SealedEnvelope.objects.create(
            ballot_id=ballot.pk, sealed=envelopes.seal(ballot_id=ballot.pk, choice=choice, receipt=receipt)
        )
        claimed = ElectorateEntry.objects.filter(pk=entry.pk, voted_at__isnull=True).update(voted_at=now, voted_by=user)
        if not claimed:  # raising rolls the envelope back with the transaction
            raise services._already_voted(entry, seat)
    return services.CastReceipt(receipt=receipt, state=seat.label, counted=True)


# --- closing and publishing ----------------------------------------------------------------------


def close_round(*, actor: Any, ballot_id: int, now: dt.datetime | None = None) -> Ballot:
    """Close a round: open the envelopes, count per candidate, decide by the rule and, without a
    majority in the first round, create the second round's ballot (a draft) with the two best placed."""
    now = now or timezone.now()
    with transaction.atomic(), audit_context(actor=actor, reason="close election round"):
        ballot = services._locked(ballot_id)
        if ballot.status in (Ballot.Status.CLOSED, Ballot.Status.PUBLISHED):
            return ballot
        if ballot.status != Ballot.Status.OPEN:
            raise services.GovernanceError(_("Only an open ballot can be closed."), code="status")
        election_round = ElectionRound.objects.select_for_update().select_related("election").get(ballot=ballot)
        entries = list(election_round.entries.select_related("candidate"))
        services._publish_secret_choices(ballot)
        counted = Counter(SecretChoice.objects.filter(ballot=ballot).values_list("choice", flat=True))
        keys = {e.candidate.key for e in entries}
        if set(counted) - keys - {ABSTAIN}:
            raise services.GovernanceError(
                _("A sealed vote of this ballot names no candidate of this round; the ballot cannot be closed."),
                code="tampered",
            )
        result = election_rules.count_round(
            round=election_round.number,
            votes={e.candidate.key: counted.get(e.candidate.key, 0) for e in entries},
            abstain=counted.get(ABSTAIN, 0),
        )
        for entry in entries:
            entry.votes = result.votes[entry.candidate.key]
        RoundCandidate.objects.bulk_update(entries, ["votes"])
        election_round.outcome = result.outcome.value
        election_round.abstain = result.abstain
        election_round.save(update_fields=["outcome", "abstain"])
        ballot.status = Ballot.Status.CLOSED
        ballot.closed_at = now
        # The motion's yes/no columns do not apply; abstentions match the published choices (verify_ballot).
        ballot.yes, ballot.no, ballot.abstain = 0, 0, result.abstain
        ballot.threshold = result.needed if result.round == election_rules.FIRST_ROUND else 0
        # A copy for the feed and the notification; pages render the sentence from the counts.
        ballot.explanation = election_rules.explain(result, {e.candidate.key: e.candidate.name for e in entries})
        ballot.explanation_data = sentences.data(ballot.explanation)
        ballot.voted_count = ElectorateEntry.objects.filter(ballot=ballot, voted_at__isnull=False).count()
        ballot.save()
        election = election_round.election
        by_key = {e.candidate.key: e.candidate for e in entries}
        if result.outcome is election_rules.RoundOutcome.SECOND_ROUND:
            _new_round(election, number=election_rules.SECOND_ROUND, candidates=[by_key[k] for k in result.runoff])
        elif result.outcome is election_rules.RoundOutcome.ELECTED:
            election.status, election.elected = Election.Status.ELECTED, by_key[result.elected or ""]
            election.save(update_fields=["status", "elected"])
        else:
            election.status = Election.Status.NOBODY
            election.save(update_fields=["status"])
    return ballot


def publish_round(*, actor: Any, ballot_id: int, now: dt.datetime | None = None) -> Ballot:
    """Publish a closed round's result (it joins the register when its session is open). Publishing
    the deciding round settles the election's motion: adopted with a resolution number when someone
    is elected, rejected when nobody is."""
    now = now or timezone.now()
    with transaction.atomic(), audit_context(actor=actor, reason="publish election round"):
        ballot = services._locked(ballot_id)
        if ballot.status == Ballot.Status.PUBLISHED:
            return ballot
        if ballot.status != Ballot.Status.CLOSED:
            raise services.GovernanceError(_("Close the ballot before publishing its result."), code="status")
        election_round = ElectionRound.objects.select_related("election").get(ballot=ballot)
        ballot.status = Ballot.Status.PUBLISHED
        ballot.published_at = now
        ballot.save(update_fields=["status", "published_at"])
        motion = Motion.objects.select_for_update().get(pk=ballot.motion_id)
        if election_round.outcome != ElectionRound.Outcome.SECOND_ROUND:
            if election_round.outcome == ElectionRound.Outcome.ELECTED:
                motion.status = Motion.Status.ADOPTED
                if not motion.resolution_number:
                    motion.resolution_number = services._next_resolution_number(timezone.localdate(now).year)
            else:
                motion.status = Motion.Status.REJECTED
            motion.save(update_fields=["status", "resolution_number"])
        state_ids = list(
            ElectorateEntry.objects.filter(ballot=ballot, state__status=MemberState.Status.MEMBER).values_list(
                "state_id", flat=True
            )
        )
        notify(
            kind="governance.result_published",
            recipients=delegates_of_states(state_ids, on=timezone.localdate(now)),
            dedupe_key=f"governance.result_published:{ballot.pk}",
            context={
                "motion_title": motion.title,
                "outcome": election_round.get_outcome_display(),
                "explanation": ballot.explanation_data or ballot.explanation,
            },
            url=reverse("governance:election", args=[election_round.election_id]),
        )
    return ballot


def receipts(ballot: Ballot) -> list[dict[str, str]]:
    """A closed round's published receipts with the candidate (or abstention) each recorded."""
    labels = valid_choices(ballot.pk)
    return [
        {"receipt": r["receipt"], "choice": labels.get(r["choice"], r["choice"])}
        for r in SecretChoice.objects.filter(ballot=ballot).order_by("receipt").values("receipt", "choice")
    ]
