"""Council records: member states, programmes, delegations, sessions, motions, ballots and votes."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateRangeField, RangeOperators
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cernai.core import sentences
from cernai.core.audit import audited
from cernai.core.countries import state_name


@audited
class MemberState(models.Model):
    """A state party to the Convention (or associated with it), with its status."""

    class Status(models.TextChoices):
        MEMBER = "member", _("member")
        ASSOCIATE = "associate", _("associate member")
        OBSERVER = "observer", _("observer")
        CANDIDATE = "candidate", _("candidate")

    name = models.CharField(_("name"), max_length=100)
    # Same ISO 3166-1 alpha-2 codes as User.home_country / nationality, so other apps can join on them.
    iso2 = models.CharField(_("ISO code"), max_length=2, unique=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.MEMBER)
    # The contribution share is not stored here: it is the adopted scale in force for the year
    # (finance.ScaleVersion), snapshotted into a ballot's electorate at opening.
    # Arrears are not stored: the electorate computes art. V.8 from the accounts (finance.selectors).
    status_since = models.DateField(
        _("status since"),
        null=True,
        blank=True,
        help_text=_(
            "The date the current status took effect (a member from the deposit of its instrument of "
            "accession); blank for founding states."
        ),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("member state")
        verbose_name_plural = _("member states")
        constraints = [
            # Two characters; real states use ISO 3166-1 alpha-2 (upper case). Synthetic assemblies used
            # by the large-electorate benchmark need more codes than A-Z allows, so only length is checked.
            models.CheckConstraint(condition=Exact(Length("iso2"), 2), name="memberstate_iso2_two_chars"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The state's name in the reader's language (the stored English name, else django-countries by ISO code)."""
        return state_name(self.iso2, self.name)

    @property
    def may_attend_closed_sessions(self) -> bool:
        """Closed sessions are for member states only (rules §4): checked when a state checks in
        (services.check_attendance) and when a session is closed (configuration)."""
        return self.status == self.Status.MEMBER


@audited
class Programme(models.Model):
    """An optional programme of the organisation; only its participating states vote on its matters."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    participants = models.ManyToManyField(
        MemberState, blank=True, related_name="programmes", verbose_name=_("participating states")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")

    def __str__(self) -> str:
        return self.name


# Who takes part in a programme decides who votes on its matters: every change is in the audit trail
# (governance/configuration.py makes them, with who and why).
audited(Programme.participants.through, model_name="ProgrammeParticipantEvent", app_label="governance")


class DateRangeFunc(models.Func):
    """``daterange(start, end, '[)')`` for the appointment-term exclusion constraint."""

    function = "DATERANGE"
    output_field = DateRangeField()


@audited
class VotingAuthorisation(models.Model):
    """A dated Council decision allowing a state in arrears to vote anyway, for a period (art. V.8).

    Recorded through ``governance.membership.record_voting_authorisation``; never edited afterwards."""

    state = models.ForeignKey(
        MemberState, on_delete=models.CASCADE, related_name="authorisations", verbose_name=_("member state")
    )
    decided_on = models.DateField(
        _("decided on"),
        null=True,  # only for authorisations recorded before this field (see migration 0007); required in forms
        help_text=_("The date of the Council's decision."),
    )
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True, help_text=_("Inclusive; blank: open."))
    reference = models.CharField(_("Council decision"), max_length=200, blank=True)

    class Meta:
        ordering = ["-valid_from"]
        verbose_name = _("voting authorisation")
        verbose_name_plural = _("voting authorisations")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True) | models.Q(valid_until__gte=models.F("valid_from")),
                name="authorisation_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.state} ({self.valid_from})"


@audited
class Council(models.Model):
    """A deliberating body (the Council, or a committee) with its voting configuration.

    This is the portal's *body*: ``kind`` says who sits in it and whose votes its ballots count —
    the member states' delegations (the Council), members appointed ad personam (one vote per
    member), or one representative per member state (one vote per state). See governance/bodies.py."""

    class Kind(models.TextChoices):
        COUNCIL = "council", _("the Council (member states' delegations)")
        AD_PERSONAM = "ad_personam", _("committee of members appointed ad personam (one vote per member)")
        PER_STATE = "per_state", _("committee of one representative per member state (one vote per state)")

    class WeightedRule(models.TextChoices):
        OFF = "off", _("off")
        ON = "on", _("contribution-weighted")

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(
        _("kind of body"),
        max_length=12,
        choices=Kind.choices,
        default=Kind.COUNCIL,
        help_text=_("Who sits in the body and whose votes its ballots count. Fixed once it has sessions."),
    )
    quorum_required = models.BooleanField(
        _("quorum required"),
        default=True,
        help_text=_("A ballot is valid only if most states entitled to vote were present when it opened."),
    )
    weighted_rule = models.CharField(
        _("contribution-weighted rule"), max_length=4, choices=WeightedRule.choices, default=WeightedRule.OFF
    )
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="chaired_councils",
        verbose_name=_("chair"),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("body")
        verbose_name_plural = _("bodies (Council and committees)")

    def __str__(self) -> str:
        return self.name

    @property
    def is_committee(self) -> bool:
        return self.kind != self.Kind.COUNCIL


# The rules' word for it; the table keeps its historical name.
Body = Council


@audited
class Appointment(models.Model):
    """A delegate's term for a state in one role (scientific or political)."""

    class Role(models.TextChoices):
        SCIENTIFIC = "scientific", _("scientific delegate")
        POLITICAL = "political", _("political delegate")

    state = models.ForeignKey(
        MemberState, on_delete=models.CASCADE, related_name="appointments", verbose_name=_("member state")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="appointments", verbose_name=_("delegate")
    )
    role = models.CharField(_("role"), max_length=12, choices=Role.choices)
    start = models.DateField(_("term start"))
    end = models.DateField(_("term end"), null=True, blank=True, help_text=_("Exclusive; blank while open-ended."))

    class Meta:
        ordering = ["state__name", "role", "-start"]
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        constraints = [
            # The guarantee behind "at most one active delegate per state and role".
            ExclusionConstraint(
                name="appointment_one_active_per_state_role",
                expressions=[
                    (DateRangeFunc("start", "end", models.Value("[)")), RangeOperators.OVERLAPS),
                    ("state", RangeOperators.EQUAL),
                    ("role", RangeOperators.EQUAL),
                ],
            ),
            models.CheckConstraint(
                condition=models.Q(end__isnull=True) | models.Q(end__gt=models.F("start")),
                name="appointment_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.state} ({self.get_role_display()})"


@audited
class Adviser(models.Model):
    """Someone attached to a delegation: sees what its delegates see, never votes."""

    state = models.ForeignKey(
        MemberState, on_delete=models.CASCADE, related_name="advisers", verbose_name=_("member state")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="adviser_roles", verbose_name=_("adviser")
    )
    start = models.DateField(_("start"))
    end = models.DateField(_("end"), null=True, blank=True)

    class Meta:
        ordering = ["state__name"]
        verbose_name = _("adviser")
        verbose_name_plural = _("advisers")

    def __str__(self) -> str:
        return f"{self.user} ({self.state})"


@audited
class Session(models.Model):
    """A Council meeting, open or closed to associate members and observers."""

    council = models.ForeignKey(Council, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("body"))
    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("starts at"))
    location = models.CharField(_("location"), max_length=200, blank=True)
    closed = models.BooleanField(
        _("closed session"), default=False, help_text=_("Closed sessions are invisible to associates and observers.")
    )

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("session")
        verbose_name_plural = _("sessions")

    def __str__(self) -> str:
        return self.title


@audited
class Attendance(models.Model):
    """A state's registered presence at a session (counts for quorum)."""

    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="attendances", verbose_name=_("session")
    )
    # A delegation (the Council, a committee of state representatives) or, in a committee of members
    # appointed ad personam, the member in person: exactly one of the two.
    state = models.ForeignKey(
        MemberState,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="attendances",
        verbose_name=_("member state"),
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("member in person"),
    )
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("checked in by")
    )
    checked_in_at = models.DateTimeField(_("checked in at"), default=timezone.now)

    class Meta:
        ordering = ["state__name"]
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(fields=["session", "state"], name="attendance_once_per_state"),
            models.UniqueConstraint(fields=["session", "member"], name="attendance_once_per_member"),
            models.CheckConstraint(
                condition=models.Q(state__isnull=True) ^ models.Q(member__isnull=True),
                name="attendance_state_or_member",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.state or self.member} @ {self.session}"


@audited
class AgendaItem(models.Model):
    """One point on a session's agenda."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="items", verbose_name=_("session"))
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["session", "position", "id"]
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")

    def __str__(self) -> str:
        return f"{self.position}. {self.title}"


@audited
class Paper(models.Model):
    """A document for an agenda item, stored as a private file. Drafted by the secretariat, then
    published (governance/papers.py): publication gives it its symbol and announces it. Who may
    read it follows from its classification (governance/papers.py ``readable_papers``)."""

    class Classification(models.TextChoices):
        PUBLIC = "public", _("public")
        RESTRICTED = "restricted", _("restricted to delegations")
        CLOSED = "closed", _("closed session")

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="papers", verbose_name=_("agenda item"))
    title = models.CharField(_("title"), max_length=300)
    file = models.ForeignKey(
        "core.PrivateFile", on_delete=models.PROTECT, related_name="+", verbose_name=_("document file")
    )
    classification = models.CharField(
        _("classification"),
        max_length=10,
        choices=Classification.choices,
        default=Classification.RESTRICTED,
        help_text=_(
            "Public: anyone. Restricted: delegations, advisers and the secretariat. "
            "Closed session: those entitled to attend the closed session."
        ),
    )
    # Given at publication from the session's PaperCounter: "<body>/<session>/<n>", never reused.
    number = models.PositiveIntegerField(_("number in the session"), null=True, blank=True, editable=False)
    symbol = models.CharField(_("symbol"), max_length=40, blank=True, editable=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["item", "number", "title"]
        verbose_name = _("paper")
        verbose_name_plural = _("papers")
        constraints = [
            models.UniqueConstraint(fields=["symbol"], condition=~models.Q(symbol=""), name="paper_symbol_unique"),
            models.CheckConstraint(
                condition=(models.Q(published_at__isnull=True, symbol="", number__isnull=True))
                | (models.Q(published_at__isnull=False, number__isnull=False) & ~models.Q(symbol="")),
                name="paper_published_has_symbol",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.symbol} {self.title}" if self.symbol else self.title


@audited
class Motion(models.Model):
    """A proposal put to the Council; its kind selects the majority rule."""

    class Kind(models.TextChoices):
        ORDINARY = "ordinary", _("ordinary (simple majority)")
        BUDGET = "budget", _("budget (two-thirds of those voting)")
        TWO_THIRDS_ALL = "two_thirds_all", _("two-thirds of all member states")
        ADMISSION = "admission", _("admission of a new member (unanimity)")
        AMENDMENT = "amendment", _("convention amendment (ratification by all)")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        TABLED = "tabled", _("tabled")
        ADOPTED = "adopted", _("adopted")
        REJECTED = "rejected", _("rejected")
        IN_FORCE = "in_force", _("in force")
        WITHDRAWN = "withdrawn", _("withdrawn")

    item = models.ForeignKey(
        AgendaItem, on_delete=models.CASCADE, related_name="motions", verbose_name=_("agenda item")
    )
    title = models.CharField(_("title"), max_length=300)
    text = models.TextField(_("text"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.ORDINARY)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    programme = models.ForeignKey(
        Programme,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="motions",
        verbose_name=_("programme"),
        help_text=_("For programme matters: only participating states vote."),
    )
    # An admission's circulation date is its membership request's (MembershipRequest.circulated_on).
    resolution_number = models.CharField(_("resolution number"), max_length=40, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawal_reason = models.TextField(_("reason for withdrawal"), blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("motion")
        verbose_name_plural = _("motions")
        constraints = [
            # "R/<year>/<n>": unique per year by construction (allocated from ResolutionCounter).
            models.UniqueConstraint(
                fields=["resolution_number"], condition=~models.Q(resolution_number=""), name="motion_resolution_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.title


@audited
class ResolutionCounter(models.Model):
    """The last resolution number given in a year; publishing locks this row to take the next one."""

    year = models.PositiveSmallIntegerField(_("year"), primary_key=True)
    last = models.PositiveIntegerField(_("last number given"), default=0)

    class Meta:
        verbose_name = _("resolution counter")
        verbose_name_plural = _("resolution counters")

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


@audited
class Ratification(models.Model):
    """A state's written acceptance of a convention amendment."""

    motion = models.ForeignKey(Motion, on_delete=models.CASCADE, related_name="ratifications", verbose_name=_("motion"))
    state = models.ForeignKey(
        MemberState, on_delete=models.PROTECT, related_name="ratifications", verbose_name=_("member state")
    )
    deposited_on = models.DateField(_("deposited on"))
    reference = models.CharField(_("reference"), max_length=200, blank=True)

    class Meta:
        ordering = ["deposited_on"]
        verbose_name = _("ratification")
        verbose_name_plural = _("ratifications")
        constraints = [models.UniqueConstraint(fields=["motion", "state"], name="ratification_once_per_state")]

    def __str__(self) -> str:
        return f"{self.state}: {self.motion}"


class Choice(models.TextChoices):
    YES = "yes", _("yes")
    NO = "no", _("no")
    ABSTAIN = "abstain", _("abstain")


@audited
class Ballot(models.Model):
    """A vote on a motion: its mode, secrecy, schedule, frozen electorate counters and result."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")
        PUBLISHED = "published", _("published")

    class Mode(models.TextChoices):
        EITHER = "either", _("either delegate")
        JOINT = "joint", _("joint (both delegates)")

    class Secrecy(models.TextChoices):
        NAMED = "named", _("named")
        SECRET = "secret", _("secret")

    class Outcome(models.TextChoices):
        ADOPTED = "adopted", _("adopted")
        REJECTED = "rejected", _("rejected")
        NO_QUORUM = "no_quorum", _("invalid: no quorum")

    motion = models.ForeignKey(Motion, on_delete=models.CASCADE, related_name="ballots", verbose_name=_("motion"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    mode = models.CharField(_("delegation mode"), max_length=6, choices=Mode.choices, default=Mode.EITHER)
    secrecy = models.CharField(_("secrecy"), max_length=6, choices=Secrecy.choices, default=Secrecy.NAMED)
    opens_at = models.DateTimeField(_("scheduled opening"), null=True, blank=True)
    closes_at = models.DateTimeField(_("scheduled closing"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True, editable=False)
    # Frozen at opening. ``voted_count`` is the final turnout, frozen at close: casts never write this
    # row (a per-vote counter here serialised every cast); live turnout is counted from the register.
    all_count = models.PositiveIntegerField(
        _("members in all"), default=0, editable=False, help_text=_("Counted when the ballot opened.")
    )
    entitled_count = models.PositiveIntegerField(
        _("number entitled to vote"), default=0, editable=False, help_text=_("Counted when the ballot opened.")
    )
    present_count = models.PositiveIntegerField(
        _("present at opening"), default=0, editable=False, help_text=_("Counted when the ballot opened.")
    )
    voted_count = models.PositiveIntegerField(
        _("turnout"), default=0, editable=False, help_text=_("How many voted, counted when the ballot closed.")
    )
    # The result, written at close.
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True)
    yes = models.PositiveIntegerField(_("votes in favour"), default=0)
    no = models.PositiveIntegerField(_("votes against"), default=0)
    abstain = models.PositiveIntegerField(_("abstentions"), default=0)
    threshold = models.PositiveIntegerField(
        _("votes needed to adopt"), default=0, help_text=_("Set by the motion's majority rule at the close.")
    )
    explanation = models.TextField(_("explanation"), blank=True)
    # How the explanation was made (cernai.core.sentences), to show it in the reader's language.
    explanation_data = models.JSONField(_("explanation data"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")
        constraints = [
            # A secret ballot cannot use the dual key: joint mode needs each delegate's choice.
            models.CheckConstraint(condition=~models.Q(secrecy="secret", mode="joint"), name="ballot_secret_is_either"),
            models.CheckConstraint(
                condition=models.Q(voted_count__lte=models.F("entitled_count")) | models.Q(status="draft"),
                name="ballot_turnout_within_electorate",
            ),
        ]
        indexes = [models.Index(fields=["status", "opens_at"]), models.Index(fields=["status", "closes_at"])]

    def __str__(self) -> str:
        return f"{self.motion} ({self.get_status_display()})"

    @property
    def explained(self) -> str:
        """The result's sentence in the reader's language (rows closed before it was stored: as stored)."""
        return sentences.render(self.explanation_data) if self.explanation_data else self.explanation


class ElectorateEntry(models.Model):
    """One state in a ballot's electorate, frozen at opening: entitled or excluded (and why).

    It is also the participation register: ``voted_at`` says the state has voted, never how.
    """

    class Reason(models.TextChoices):
        ENTITLED = "entitled", _("entitled to vote")
        ASSOCIATE = "associate", _("associate member: sits without a vote")
        OBSERVER = "observer", _("observer: no vote")
        CANDIDATE = "candidate", _("candidate: accession in progress")
        ARREARS = "arrears", _("in arrears, without a voting authorisation")
        NOT_PARTICIPANT = "not_participant", _("does not participate in the programme")

    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="electorate", verbose_name=_("ballot"))
    # A state (the Council, a committee of state representatives) or a member in person (a committee
    # appointed ad personam: one vote per member): exactly one of the two.
    state = models.ForeignKey(
        MemberState, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("member state")
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("member in person"),
    )
    reason = models.CharField(_("right to vote"), max_length=16, choices=Reason.choices)
    counts_in_all = models.BooleanField(
        _("counted in all members"), default=False, help_text=_("Counted in 'all member states'.")
    )
    # The sentence frozen with the entry: art. V.8 on the accounts as of the opening, an authorisation.
    explanation = models.TextField(_("explanation"), blank=True)
    # How the explanation was made (cernai.core.sentences); {"reason": true}: the state and the reason's label.
    explanation_data = models.JSONField(_("explanation data"), null=True, blank=True, editable=False)
    # Its weight under the contribution-weighted rule: its share in the adopted scale in force for the
    # year of the opening (finance), frozen like the arrears; empty when that scale does not list it.
    share = models.DecimalField(_("contribution share used (%)"), max_digits=9, decimal_places=6, null=True, blank=True)
    present = models.BooleanField(_("present"), default=False)
    voted_at = models.DateTimeField(_("voted at"), null=True, blank=True)
    voted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("voted by"),
    )

    class Meta:
        ordering = ["state__name"]
        verbose_name = _("electorate entry")
        verbose_name_plural = _("electorate")
        constraints = [
            models.UniqueConstraint(fields=["ballot", "state"], name="electorate_once_per_state"),
            models.UniqueConstraint(fields=["ballot", "member"], name="electorate_once_per_member"),
            models.CheckConstraint(
                condition=models.Q(state__isnull=True) ^ models.Q(member__isnull=True),
                name="electorate_state_or_member",
            ),
        ]
        indexes = [
            models.Index(fields=["ballot", "reason", "voted_at"]),
            # Who has yet to vote, in the register's order (by name, as written at the opening): the
            # live turnout names the first fifty on every poll.
            models.Index(
                fields=["ballot", "id"],
                condition=models.Q(reason="entitled", voted_at__isnull=True),
                name="electorate_waiting",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.state or self.member}: {self.get_reason_display()}"

    @property
    def explained(self) -> str:
        """The entry's sentence in the reader's language (entries frozen before it was stored: as stored)."""
        if self.explanation_data == {"reason": True}:
            return f"{self.state or self.member}: {self.get_reason_display()}"
        return sentences.render(self.explanation_data) if self.explanation_data else self.explanation


@audited
class Vote(models.Model):
    """A state's counted vote in a named ballot (either mode, or the agreed dual key in joint mode)."""

    ballot = models.ForeignKey(Ballot, on_delete=models.PROTECT, related_name="votes", verbose_name=_("ballot"))
    # Blank in a committee of members appointed ad personam: the member (cast_by) votes in person.
    state = models.ForeignKey(
        MemberState,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="votes",
        verbose_name=_("member state"),
    )
    choice = models.CharField(_("choice"), max_length=8, choices=Choice.choices)
    cast_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("cast by")
    )
    cast_at = models.DateTimeField(_("cast at"))
    receipt = models.CharField(_("receipt"), max_length=24, unique=True)
    # HMAC over the row with the SECRET_KEY: a raw-SQL edit breaks it (integrity check, T4).
    seal = models.CharField(
        _("integrity seal"), max_length=64, help_text=_("A change made to the vote outside the portal breaks it.")
    )

    class Meta:
        ordering = ["state__name"]
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        constraints = [
            models.UniqueConstraint(fields=["ballot", "state"], name="vote_once_per_state"),
            models.UniqueConstraint(
                fields=["ballot", "cast_by"], condition=models.Q(state__isnull=True), name="vote_once_per_member"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.state or self.cast_by}: {self.choice}"


@audited
class JointKey(models.Model):
    """One delegate's half of a state's vote in a joint (dual-key) ballot; revisable until close."""

    ballot = models.ForeignKey(Ballot, on_delete=models.PROTECT, related_name="keys")
    state = models.ForeignKey(MemberState, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=12, choices=Appointment.Role.choices)
    delegate = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    choice = models.CharField(max_length=8, choices=Choice.choices)
    submitted_at = models.DateTimeField()
    receipt = models.CharField(max_length=24, unique=True)

    class Meta:
        ordering = ["state__name", "role"]
        verbose_name = _("joint key")
        verbose_name_plural = _("joint keys")
        constraints = [models.UniqueConstraint(fields=["ballot", "state", "role"], name="jointkey_once_per_role")]

    def __str__(self) -> str:
        return f"{self.state} {self.role}: {self.choice}"


class SealedEnvelope(models.Model):
    """A secret ballot's choice while the ballot is open: encrypted, one length for every choice,
    with no state, user, time or sequential id (see governance/envelopes.py). Opened and deleted at
    the close. Not audited on purpose: an event row would outlive the envelope."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    ballot = models.ForeignKey(Ballot, on_delete=models.PROTECT, related_name="envelopes")
    sealed = models.BinaryField()

    class Meta:
        verbose_name = _("sealed envelope")
        verbose_name_plural = _("sealed envelopes")

    def __str__(self) -> str:
        return str(self.id)


class SecretChoice(models.Model):
    """A published choice of a secret ballot, written once at the close from the sealed envelopes,
    in the order of the random receipts. Deliberately carries no state, user, time or sequential id:
    nothing links it to the participation register (ElectorateEntry.voted_at). Not audited by
    pghistory on purpose: event timestamps would link it to the register."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    ballot = models.ForeignKey(Ballot, on_delete=models.PROTECT, related_name="secret_choices")
    choice = models.CharField(max_length=8, choices=Choice.choices)
    receipt = models.CharField(max_length=24, unique=True)
    seal = models.CharField(max_length=64)

    class Meta:
        ordering = ["receipt"]
        verbose_name = _("secret choice")
        verbose_name_plural = _("secret choices")

    def __str__(self) -> str:
        return self.receipt


class PaperCounter(models.Model):
    """The last paper number given in a session; publishing locks this row to take the next one."""

    session = models.OneToOneField(Session, on_delete=models.CASCADE, primary_key=True, related_name="paper_counter")
    last = models.PositiveIntegerField(_("last number given"), default=0)

    class Meta:
        verbose_name = _("paper counter")
        verbose_name_plural = _("paper counters")

    def __str__(self) -> str:
        return f"{self.session}: {self.last}"


@audited
class Convocation(models.Model):
    """The convocation of a session, sent once to its members before it starts, with the agenda as sent."""

    session = models.OneToOneField(Session, on_delete=models.PROTECT, related_name="convocation")
    sent_at = models.DateTimeField(_("sent at"))
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    agenda = models.TextField(_("agenda as sent"))
    recipients = models.PositiveIntegerField(_("recipients"), default=0)

    class Meta:
        verbose_name = _("convocation")
        verbose_name_plural = _("convocations")

    def __str__(self) -> str:
        return f"{self.session} ({self.sent_at:%Y-%m-%d})"


@audited
class Minutes(models.Model):
    """A session's minutes: drafted by the secretariat, approved at a later session of the same body,
    then published: the public part in the register, the closed part for those entitled."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        APPROVED = "approved", _("approved")
        PUBLISHED = "published", _("published")

    session = models.OneToOneField(Session, on_delete=models.PROTECT, related_name="minutes", verbose_name=_("session"))
    public_part = models.TextField(_("public part"))
    closed_part = models.TextField(
        _("closed part"), blank=True, help_text=_("Only for those entitled to attend the closed session.")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    approved_at_session = models.ForeignKey(
        Session,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="approved_minutes",
        verbose_name=_("approved at session"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("approved by"),
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        ordering = ["-session__starts_at"]
        verbose_name = _("minutes")
        verbose_name_plural = _("minutes")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="draft")
                | models.Q(approved_at_session__isnull=False, approved_at__isnull=False),
                name="minutes_approved_at_a_session",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="published") | models.Q(published_at__isnull=False),
                name="minutes_published_at",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Minutes of %(session)s") % {"session": self.session})


# --- elections (rules §4; governance/elections.py) ----------------------------------------------


@audited
class Election(models.Model):
    """An election among candidates (the President, a committee chair, members ad personam): a secret
    ballot in up to two rounds. It owns a motion on the session's agenda ("Election of …") so that
    each round is an ordinary secret Ballot of that motion: same electorate, quorum, register,
    sealed envelopes and transitions as any ballot (governance/elections.py)."""

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        ELECTED = "elected", _("elected")
        NOBODY = "nobody", _("nobody elected")

    motion = models.OneToOneField(Motion, on_delete=models.CASCADE, related_name="election", verbose_name=_("motion"))
    office = models.CharField(
        _("office"), max_length=200, help_text=_("What is filled, e.g. President of the Council.")
    )
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.RUNNING)
    elected = models.ForeignKey(
        "Candidate", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("elected")
    )

    class Meta:
        ordering = ["-id"]
        verbose_name = _("election")
        verbose_name_plural = _("elections")

    def __str__(self) -> str:
        return self.office


@audited
class Candidate(models.Model):
    """A candidate standing in an election, in ballot-paper order."""

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="candidates")
    name = models.CharField(_("name"), max_length=200)
    position = models.PositiveSmallIntegerField(_("position on the ballot paper"), default=1)

    class Meta:
        ordering = ["election", "position", "id"]
        verbose_name = _("candidate")
        verbose_name_plural = _("candidates")
        constraints = [models.UniqueConstraint(fields=["election", "name"], name="candidate_once_per_election")]

    def __str__(self) -> str:
        return self.name

    @property
    def key(self) -> str:
        """The choice a sealed envelope carries for this candidate (fits envelopes.CHOICE_WIDTH)."""
        return str(self.pk)


@audited
class ElectionRound(models.Model):
    """One round of an election: its secret ballot, its candidates and, once closed, its outcome
    (the counts per candidate are on RoundCandidate; the sentence is rendered from them)."""

    class Outcome(models.TextChoices):
        ELECTED = "elected", _("elected")
        SECOND_ROUND = "second_round", _("second round needed")
        NOBODY = "nobody", _("nobody elected")

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="rounds")
    number = models.PositiveSmallIntegerField(_("round"))
    ballot = models.OneToOneField(Ballot, on_delete=models.PROTECT, related_name="election_round")
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)
    abstain = models.PositiveIntegerField(_("abstentions"), default=0)

    class Meta:
        ordering = ["election", "number"]
        verbose_name = _("election round")
        verbose_name_plural = _("election rounds")
        constraints = [
            models.UniqueConstraint(fields=["election", "number"], name="electionround_once_per_number"),
            models.CheckConstraint(condition=models.Q(number__in=[1, 2]), name="electionround_first_or_second"),
        ]

    def __str__(self) -> str:
        return f"{self.election} ({self.number})"


@audited
class RoundCandidate(models.Model):
    """A candidate on a round's ballot paper, with the votes counted for them at the close."""

    round = models.ForeignKey(ElectionRound, on_delete=models.CASCADE, related_name="entries")
    candidate = models.ForeignKey(Candidate, on_delete=models.PROTECT, related_name="+")
    votes = models.PositiveIntegerField(_("votes"), default=0)

    class Meta:
        ordering = ["round", "candidate__position", "candidate_id"]
        verbose_name = _("candidate in a round")
        verbose_name_plural = _("candidates in a round")
        constraints = [models.UniqueConstraint(fields=["round", "candidate"], name="roundcandidate_once")]

    def __str__(self) -> str:
        return f"{self.candidate}: {self.votes}"


# --- bodies: committees with their own members (rules §4; services in governance/bodies.py) ---------


@audited
class BodyMembership(models.Model):
    """A person's term on a committee: appointed ad personam, or as a member state's representative."""

    body = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("body"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="body_memberships", verbose_name=_("member")
    )
    state = models.ForeignKey(
        MemberState,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="committee_seats",
        verbose_name=_("represents"),
        help_text=_("Committees of one representative per member state only; blank for members ad personam."),
    )
    start = models.DateField(_("term start"))
    end = models.DateField(_("term end"), null=True, blank=True, help_text=_("Exclusive; blank while open-ended."))

    class Meta:
        ordering = ["body__name", "-start"]
        verbose_name = _("committee membership")
        verbose_name_plural = _("committee memberships")
        constraints = [
            # One seat per person and body at a time, and one representative per state and body.
            ExclusionConstraint(
                name="bodymembership_one_active_per_person",
                expressions=[
                    (DateRangeFunc("start", "end", models.Value("[)")), RangeOperators.OVERLAPS),
                    ("body", RangeOperators.EQUAL),
                    ("user", RangeOperators.EQUAL),
                ],
            ),
            ExclusionConstraint(
                name="bodymembership_one_active_per_state",
                expressions=[
                    (DateRangeFunc("start", "end", models.Value("[)")), RangeOperators.OVERLAPS),
                    ("body", RangeOperators.EQUAL),
                    ("state", RangeOperators.EQUAL),
                ],
                condition=models.Q(state__isnull=False),
            ),
            models.CheckConstraint(
                condition=models.Q(end__isnull=True) | models.Q(end__gt=models.F("start")),
                name="bodymembership_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        seat = f" ({self.state})" if self.state_id else ""
        return f"{self.user}{seat} — {self.body}"


@audited
class Recommendation(models.Model):
    """A committee's motion attached to the Council motion it advises on; shown there once adopted."""

    motion = models.OneToOneField(
        Motion, on_delete=models.CASCADE, related_name="recommendation", verbose_name=_("committee motion")
    )
    council_motion = models.ForeignKey(
        Motion, on_delete=models.CASCADE, related_name="recommendations", verbose_name=_("Council motion")
    )
    attached_at = models.DateTimeField(_("attached at"), default=timezone.now)

    class Meta:
        ordering = ["attached_at"]
        verbose_name = _("committee recommendation")
        verbose_name_plural = _("committee recommendations")

    def __str__(self) -> str:
        return f"{self.motion} → {self.council_motion}"


@audited
class MembershipRequest(models.Model):
    """A state's request to accede (become a member) or to associate, from receipt to membership.

    Received → circulated (accession: the admission ballot opens 3 months later at the earliest) →
    a motion naming the candidate (admission: unanimity; association: two-thirds of all) → adopted →
    the instrument of accession (or the association agreement) deposited: the state's status changes
    from that date. Every step is a service in ``governance.membership``."""

    class Kind(models.TextChoices):
        ACCESSION = "accession", _("accession (member state)")
        ASSOCIATION = "association", _("associate membership")

    state = models.ForeignKey(
        MemberState, on_delete=models.PROTECT, related_name="membership_requests", verbose_name=_("requesting state")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.ACCESSION)
    received_on = models.DateField(_("received on"))
    previous_status = models.CharField(
        _("status before the request"), max_length=10, choices=MemberState.Status.choices
    )
    circulated_on = models.DateField(_("circulated on"), null=True, blank=True)
    motion = models.OneToOneField(
        Motion,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="membership_request",
        verbose_name=_("motion naming the candidate"),
    )
    deposited_on = models.DateField(
        _("instrument deposited on"),
        null=True,
        blank=True,
        help_text=_("Accession: the instrument of accession; association: the signed association agreement."),
    )
    instrument_reference = models.CharField(_("instrument reference"), max_length=200, blank=True)
    closed_on = models.DateField(
        _("closed on"), null=True, blank=True, help_text=_("Rejected by the Council or withdrawn by the state.")
    )
    closing_reason = models.CharField(_("reason for closing"), max_length=300, blank=True)

    class Meta:
        ordering = ["-received_on", "-id"]
        verbose_name = _("membership request")
        verbose_name_plural = _("membership requests")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(circulated_on__isnull=True) | models.Q(circulated_on__gte=models.F("received_on")),
                name="membership_circulated_after_receipt",
            ),
            models.CheckConstraint(
                condition=models.Q(deposited_on__isnull=True) | models.Q(motion__isnull=False),
                name="membership_deposit_after_a_motion",
            ),
            # One request in progress per state: a finished (deposited) one does not block a later one.
            models.UniqueConstraint(
                fields=["state"],
                condition=models.Q(deposited_on__isnull=True, closed_on__isnull=True),
                name="membership_one_open_per_state",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.state}: {self.get_kind_display()}"
