"""Fellowships and mobility: programmes, calls, applications, referees, reviews, placements, exports."""

from __future__ import annotations

import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cernai.core.audit import audited

TIMEZONE_CHOICES = [(name, name) for name in sorted(zoneinfo.available_timezones()) if "/" in name]


class HostSite(models.Model):
    """Where fellows are hosted: the flagship campus or a national node."""

    class Kind(models.TextChoices):
        FLAGSHIP = "flagship", _("flagship campus")
        NODE = "node", _("national node")

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.NODE)
    # ISO 3166-1 alpha-2, the same codes as governance.MemberState.iso2 and User.home_country.
    country = models.CharField(_("country (ISO code)"), max_length=2)
    city = models.CharField(_("city"), max_length=100, blank=True)
    node = models.ForeignKey(
        "nodes.Node",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="host_sites",
        verbose_name=_("national node"),
        help_text=_("The node of the registry this host site belongs to."),
    )

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("host site")
        verbose_name_plural = _("host sites")

    def __str__(self) -> str:
        return self.name


class Programme(models.Model):
    """A fellowship programme (junior, senior, exchange, sabbatical, technical residency)."""

    class Kind(models.TextChoices):
        JUNIOR = "junior", _("junior fellowship")
        SENIOR = "senior", _("senior fellowship")
        EXCHANGE = "exchange", _("exchange")
        SABBATICAL = "sabbatical", _("sabbatical")
        RESIDENCY = "residency", _("technical residency")

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("fellowship programme")
        verbose_name_plural = _("fellowship programmes")

    def __str__(self) -> str:
        return self.name


@audited
class Call(models.Model):
    """A call for applications to a programme, with its dates, places, eligibility and evaluation rules."""

    class CareerStage(models.TextChoices):
        ANY = "any", _("no career-stage rule")
        JUNIOR = "junior", _("junior")
        SENIOR = "senior", _("senior")
        POSTDOC = "postdoc", _("postdoctoral (MSCA-style)")

    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="calls", verbose_name=_("programme")
    )
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    timezone = models.CharField(_("time zone"), max_length=64, choices=TIMEZONE_CHOICES, default="Europe/Brussels")
    opens_at = models.DateTimeField(_("opens at"))
    deadline = models.DateTimeField(_("deadline"))
    host_sites = models.ManyToManyField(HostSite, related_name="calls", verbose_name=_("host sites"))
    places = models.PositiveIntegerField(_("places"), default=1)
    other_nationals_quota = models.PositiveIntegerField(
        _("places for other nationals"),
        default=0,
        help_text=_("Places reserved for nationals of states that are not member or associate member states."),
    )
    min_duration_months = models.PositiveIntegerField(_("minimum duration (months)"), default=1)
    max_duration_months = models.PositiveIntegerField(_("maximum duration (months)"), default=24)
    check_nationality = models.BooleanField(_("nationality rule"), default=True)
    career_stage = models.CharField(
        _("career-stage rule"), max_length=10, choices=CareerStage.choices, default=CareerStage.ANY
    )
    check_mobility = models.BooleanField(_("mobility rule (12 of 36 months)"), default=True)
    threshold_percent = models.DecimalField(_("threshold (%)"), max_digits=5, decimal_places=1, default=Decimal(70))
    min_reviewers = models.PositiveSmallIntegerField(_("minimum reviewers"), default=2)
    blind = models.BooleanField(_("blind review"), default=False)
    retention_months = models.PositiveIntegerField(
        _("retention period (months)"),
        default=24,
        help_text=_("Applicants' data is kept this long after the deadline, then erased on request."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-deadline"]
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(deadline__gt=models.F("opens_at")), name="call_deadline_after_open"
            ),
            models.CheckConstraint(
                condition=models.Q(max_duration_months__gte=models.F("min_duration_months")),
                name="call_duration_bounds",
            ),
            models.CheckConstraint(
                condition=models.Q(threshold_percent__gte=0, threshold_percent__lte=100), name="call_threshold_range"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def is_open(self, now: object = None) -> bool:
        moment = now or timezone.now()
        return self.opens_at <= moment < self.deadline  # type: ignore[operator]


class Criterion(models.Model):
    """An evaluation criterion of a call with its weight in percent (the weights of a call sum to 100)."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="criteria", verbose_name=_("call"))
    name = models.CharField(_("name"), max_length=100)
    weight = models.PositiveSmallIntegerField(
        _("weight (%)"), validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        constraints = [models.UniqueConstraint(fields=["call", "name"], name="criterion_unique_name")]

    def __str__(self) -> str:
        return f"{self.name} ({self.weight} %)"


@audited
class LateAllowance(models.Model):
    """A person allowed to submit to a call after its deadline (the call's late-submission allow-list)."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="late_allowances", verbose_name=_("call"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("applicant")
    )
    reason = models.CharField(_("reason"), max_length=300)
    until = models.DateTimeField(_("until"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("late-submission allowance")
        verbose_name_plural = _("late-submission allow-list")
        constraints = [models.UniqueConstraint(fields=["call", "user"], name="late_allowance_once")]

    def __str__(self) -> str:
        return f"{self.user} → {self.call}"


@audited
class Application(models.Model):
    """One person's application to one call, from draft to decision."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("submitted")
        INFO_REQUESTED = "info_requested", _("more information requested")
        ACCEPTED = "accepted", _("accepted")
        WAITLISTED = "waitlisted", _("waitlisted")
        REJECTED = "rejected", _("rejected")
        WITHDRAWN = "withdrawn", _("withdrawn")

    class Degree(models.TextChoices):
        BACHELOR = "bachelor", _("bachelor's degree")
        MASTER = "master", _("master's degree")
        PHD = "phd", _("PhD")

    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="applications", verbose_name=_("call"))
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="applications", verbose_name=_("applicant")
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    revision = models.PositiveSmallIntegerField(_("revision"), default=1)
    step = models.PositiveSmallIntegerField(_("form step reached"), default=1)
    # Step 1: who and where.
    nationality = models.CharField(_("nationality (ISO code)"), max_length=2, blank=True)
    home_institution = models.CharField(_("home institution"), max_length=200, blank=True)
    home_country = models.CharField(_("home state (ISO code)"), max_length=2, blank=True)
    host_site = models.ForeignKey(
        HostSite,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("host site"),
    )
    proposed_start = models.DateField(_("proposed start"), null=True, blank=True)
    proposed_end = models.DateField(_("proposed end"), null=True, blank=True)
    secondment_months = models.DecimalField(
        _("secondment months"), max_digits=4, decimal_places=1, default=Decimal(0), validators=[MinValueValidator(0)]
    )
    # Step 2: the project.
    title = models.CharField(_("project title"), max_length=200, blank=True)
    research_plan = models.TextField(_("research plan"), blank=True)
    # Step 3: career.
    highest_degree = models.CharField(_("highest degree"), max_length=10, choices=Degree.choices, blank=True)
    masters_date = models.DateField(_("master's degree awarded"), null=True, blank=True)
    phd_date = models.DateField(_("PhD defended"), null=True, blank=True)
    experience_years = models.DecimalField(
        _("years of professional experience"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    # Step 4: documents.
    cv = models.ForeignKey(
        "core.PrivateFile", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("CV")
    )
    plan_file = models.ForeignKey(
        "core.PrivateFile", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("plan")
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    late_submission = models.BooleanField(
        _("submitted late"), default=False, help_text=_("Submitted after the deadline under a late allowance.")
    )
    # Eligibility, computed at submission (fellowships.eligibility) and stored with its explanations.
    eligible = models.BooleanField(
        _("eligible"), null=True, blank=True, help_text=_("As computed at submission, or as overridden.")
    )
    eligibility = models.JSONField(_("eligibility checks"), default=list, blank=True)
    other_national = models.BooleanField(
        _("counts against the quota for other nationals"),
        default=False,
        help_text=_("The applicant is not a national of a member state."),
    )
    eligibility_override = models.BooleanField(_("eligibility overridden to"), null=True, blank=True)
    override_justification = models.TextField(_("justification of the override"), blank=True)
    info_request = models.TextField(_("information requested"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(
        _("reason for the decision"), blank=True, help_text=_("Required for a rejection; sent to the applicant.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    erased_at = models.DateTimeField(
        _("personal data erased at"), null=True, blank=True, help_text=_("At the applicant's request.")
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        constraints = [
            models.UniqueConstraint(fields=["call", "applicant"], name="application_one_per_call"),
            models.CheckConstraint(
                condition=models.Q(proposed_end__isnull=True)
                | models.Q(proposed_start__isnull=True)
                | models.Q(proposed_end__gt=models.F("proposed_start")),
                name="application_dates_ordered",
            ),
        ]
        indexes = [
            models.Index(fields=["call", "status"], name="application_call_status"),
            # Staff page through a call's applications by id (fellowships.views.staff).
            models.Index(fields=["call", "id"], name="application_call_id"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title or _('(untitled)')}"

    @property
    def is_eligible(self) -> bool | None:
        """The staff override, if any, wins over the computed result."""
        return self.eligibility_override if self.eligibility_override is not None else self.eligible

    @property
    def editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.INFO_REQUESTED)

    @property
    def reference(self) -> str:
        return self.reference_of(self.pk)

    @staticmethod
    def reference_of(pk: int) -> str:
        """The reference of the application with this key (for lists read as plain rows)."""
        return f"FEL-{pk:05d}"


class Stay(models.Model):
    """A stay in a country, [start, end) — used for the mobility rule."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="stays")
    country = models.CharField(_("country (ISO code)"), max_length=2)
    start = models.DateField(_("from"))
    end = models.DateField(_("to (exclusive)"))

    class Meta:
        ordering = ["start"]
        constraints = [models.CheckConstraint(condition=models.Q(end__gt=models.F("start")), name="stay_ordered")]

    def __str__(self) -> str:
        return f"{self.country} {self.start}/{self.end}"


class CareerBreak(models.Model):
    """A career break, [start, end), excluded from post-PhD experience."""

    class Kind(models.TextChoices):
        PARENTAL = "parental", _("parental leave")
        ILLNESS = "illness", _("illness")
        NON_RESEARCH = "non_research", _("non-research work")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="career_breaks")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    start = models.DateField(_("from"))
    end = models.DateField(_("to (exclusive)"))

    class Meta:
        ordering = ["start"]
        constraints = [models.CheckConstraint(condition=models.Q(end__gt=models.F("start")), name="break_ordered")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.start}/{self.end}"


@audited
class Referee(models.Model):
    """A referee invited by email to upload a letter through a private, expiring link (no account)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="referees")
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"))
    # The link's token is an HMAC of this salt under SECRET_KEY (so a database leak alone reveals no
    # link); only its hash is stored for look-up.
    token_salt = models.CharField(max_length=32)
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    letter = models.ForeignKey("core.PrivateFile", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(null=True, blank=True)
    # A link takes a bounded number of uploads, each replacing (and deleting) the one before.
    letter_uploads = models.PositiveSmallIntegerField(default=0)
    invitation_sent_at = models.DateTimeField(null=True, blank=True)
    invitation_claimed_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    last_reminder_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [models.UniqueConstraint(fields=["application", "email"], name="referee_once_per_application")]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


@audited
class ReviewAssignment(models.Model):
    """A reviewer assigned to an application; a declared conflict removes access at once."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("application")
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="review_assignments",
        verbose_name=_("reviewer"),
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("assigned by")
    )
    conflict_override = models.BooleanField(
        _("assigned despite a conflict"),
        default=False,
        help_text=_("The secretariat overrode a conflict of interest, with a written justification."),
    )
    override_justification = models.TextField(_("justification of the override"), blank=True)
    conflict_declared_at = models.DateTimeField(
        _("conflict declared at"),
        null=True,
        blank=True,
        help_text=_("The reviewer declared a conflict: they no longer see the application."),
    )
    conflict_reason = models.TextField(_("conflict declared"), blank=True)
    created_at = models.DateTimeField(_("assigned at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("review assignment")
        verbose_name_plural = _("review assignments")
        constraints = [
            models.UniqueConstraint(fields=["application", "reviewer"], name="assignment_once"),
            models.CheckConstraint(
                condition=models.Q(conflict_override=False) | ~models.Q(override_justification=""),
                name="assignment_override_justified",
            ),
        ]
        indexes = [models.Index(fields=["reviewer", "conflict_declared_at"], name="assignment_reviewer_active")]

    def __str__(self) -> str:
        return f"{self.reviewer} → {self.application_id}"


@audited
class Review(models.Model):
    """A reviewer's scores for one revision of an application; confidential to staff."""

    assignment = models.ForeignKey(ReviewAssignment, on_delete=models.CASCADE, related_name="reviews")
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="reviews")
    revision = models.PositiveSmallIntegerField()
    # {"<criterion id>": "4.5", ...}; validated by fellowships.scoring before it is stored.
    scores = models.JSONField()
    total_percent = models.DecimalField(max_digits=5, decimal_places=1)
    comment = models.TextField(_("comment (seen by staff only)"), blank=True)
    outdated = models.BooleanField(default=False)
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["submitted_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["assignment", "revision"], name="review_once_per_revision"),
            models.CheckConstraint(
                condition=models.Q(total_percent__gte=0, total_percent__lte=100), name="review_total_range"
            ),
        ]
        indexes = [models.Index(fields=["application", "outdated"], name="review_current")]

    def __str__(self) -> str:
        return f"{self.assignment} r{self.revision}"


@audited
class Placement(models.Model):
    """An accepted application's stay at a host site, and its return report."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        ACTIVE = "active", _("active")
        COMPLETED = "completed", _("completed")

    application = models.OneToOneField(
        Application, on_delete=models.PROTECT, related_name="placement", verbose_name=_("application")
    )
    host_site = models.ForeignKey(
        HostSite, on_delete=models.PROTECT, related_name="placements", verbose_name=_("host site")
    )
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PLANNED)
    report_due = models.DateField(_("return report due"))
    report_text = models.TextField(_("return report"), blank=True)
    report_submitted_at = models.DateTimeField(_("return report submitted at"), null=True, blank=True)
    # Where the fellow went afterwards (circulation): an institution's state and when they started there.
    returned_country = models.CharField(_("state of the institution after the placement"), max_length=2, blank=True)
    returned_on = models.DateField(_("started there on"), null=True, blank=True)

    class Meta:
        ordering = ["start"]
        verbose_name = _("placement")
        verbose_name_plural = _("placements")
        constraints = [models.CheckConstraint(condition=models.Q(end__gt=models.F("start")), name="placement_ordered")]
        indexes = [models.Index(fields=["report_due", "report_submitted_at"], name="placement_report_due")]

    def __str__(self) -> str:
        return f"{self.application} @ {self.host_site}"

    @property
    def report_overdue(self) -> bool:
        return self.report_submitted_at is None and timezone.localdate() > self.report_due


class ExportJob(models.Model):
    """A CSV or XLSX export of a call's applications, built by a Celery job with progress."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="exports", verbose_name=_("call"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("requested by")
    )
    format = models.CharField(_("format"), max_length=4, choices=Format.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    done = models.PositiveIntegerField(_("applications done"), default=0)
    total = models.PositiveIntegerField(_("applications in all"), default=0)
    file = models.ForeignKey(
        "core.PrivateFile", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("file")
    )
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("asked for at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("export")
        verbose_name_plural = _("exports")

    def __str__(self) -> str:
        return f"{self.call} {self.format} {self.status}"

    @property
    def percent(self) -> int:
        return 100 if self.status == self.Status.DONE else (100 * self.done // self.total if self.total else 0)


@audited
class ErasureRequest(models.Model):
    """An applicant's request to erase their data, carried out after the calls' retention periods."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    due_at = models.DateTimeField()
    carried_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(carried_out_at__isnull=True), name="erasure_one_open_per_user"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.requested_at:%Y-%m-%d}"
