"""Compute quotas: sites and clusters, resources, projects, allocation calls and requests,
allocations, and the usage records, charges and ledger that account for them (rules.md §3)."""

from __future__ import annotations

import pghistory
import pgtrigger
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cernai.core.audit import audited

from . import charging
from .access_modes import AccessMode, ReviewKind


class Unit(models.TextChoices):
    GPU_HOURS = "gpu_hours", _("GPU-hours")
    CORE_HOURS = "core_hours", _("core-hours")
    STORAGE_TB = "storage_tb", _("TB of storage")


def validate_slurm_name(value: str) -> None:
    """A name written into the sacctmgr command file sites run as Slurm administrator (never a shell
    or sacctmgr metacharacter, space or line break)."""
    if not charging.SLURM_NAME.fullmatch(value):
        raise ValidationError(
            _("%(value)r is not a Slurm name: use letters, digits and _ . @ - only (up to 64)."),
            code="slurm_name",
            params={"value": value},
        )


@audited
class Site(models.Model):
    """A place that runs clusters: the flagship campus or a national node."""

    slug = models.SlugField(_("slug"), unique=True)
    name = models.CharField(_("name"), max_length=200)
    is_flagship = models.BooleanField(_("flagship"), default=False)
    node = models.ForeignKey(
        "nodes.Node",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="compute_sites",
        verbose_name=_("national node"),
        help_text=_("The node of the registry this site belongs to."),
    )

    class Meta:
        ordering = ["-is_flagship", "name"]
        verbose_name = _("compute site")
        verbose_name_plural = _("compute sites")

    def __str__(self) -> str:
        return self.name


@audited
class Cluster(models.Model):
    """A Slurm cluster of a site; its sacct times are wall-clock times in ``timezone``."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="clusters", verbose_name=_("compute site"))
    name = models.CharField(_("Slurm cluster name"), max_length=64, unique=True, validators=[validate_slurm_name])
    timezone = models.CharField(_("time zone"), max_length=64, default="UTC", help_text=_("e.g. Europe/Oslo"))

    class Meta:
        ordering = ["name"]
        verbose_name = _("cluster")
        verbose_name_plural = _("clusters")

    def __str__(self) -> str:
        return self.name


# Audited like every model, except that recording its last use (at most once a minute) is not a change.
@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(condition=pghistory.AnyChange(exclude=["last_used_at"])),
    pghistory.DeleteEvent(),
    append_only=True,
)
class SiteToken(models.Model):
    """A site's API credential; only its SHA-256 is stored, the raw token is shown once."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="tokens", verbose_name=_("compute site"))
    label = models.CharField(_("label"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12, help_text=_("The first characters, to recognise it."))
    key_hash = models.CharField(_("token fingerprint (SHA-256)"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("created by")
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["site", "-created_at"]
        verbose_name = _("site API token")
        verbose_name_plural = _("site API tokens")

    def __str__(self) -> str:
        return f"{self.site.slug}: {self.label} ({self.prefix}…)"


@audited
class Resource(models.Model):
    """Something allocated in one unit on one cluster (e.g. fox GPU-hours)."""

    cluster = models.ForeignKey(Cluster, on_delete=models.PROTECT, related_name="resources", verbose_name=_("cluster"))
    name = models.CharField(_("name"), max_length=200)
    unit = models.CharField(_("unit"), max_length=16, choices=Unit.choices)

    class Meta:
        ordering = ["cluster", "unit"]
        verbose_name = _("resource")
        verbose_name_plural = _("resources")
        constraints = [models.UniqueConstraint(fields=["cluster", "unit"], name="compute_resource_one_per_unit")]

    def __str__(self) -> str:
        return self.name


@audited
class ResourcePeriod(models.Model):
    """How much of a resource can be granted over one period; grants never exceed it (T12)."""

    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="periods", verbose_name=_("resource"))
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    capacity = models.PositiveBigIntegerField(_("capacity"), help_text=_("In the resource's unit."))
    granted = models.PositiveBigIntegerField(_("granted"), default=0, editable=False)

    class Meta:
        ordering = ["resource", "-start"]
        verbose_name = _("resource period")
        verbose_name_plural = _("resource periods")
        constraints = [
            models.CheckConstraint(
                condition=Q(granted__lte=models.F("capacity")), name="compute_period_within_capacity"
            ),
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="compute_period_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.resource} {self.start} to {self.end}"

    @property
    def available(self) -> int:
        return self.capacity - self.granted


@audited
class Project(models.Model):
    """A research project that holds allocations; led by its PI."""

    code = models.SlugField(_("code"), unique=True)
    title = models.CharField(_("title"), max_length=300)
    pi = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="led_projects", verbose_name=_("PI")
    )
    home_state = models.ForeignKey(
        "governance.MemberState",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="compute_projects",
        verbose_name=_("home member state"),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="ProjectMembership", related_name="compute_projects", blank=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("project")
        verbose_name_plural = _("projects")

    def __str__(self) -> str:
        return f"{self.code}: {self.title}"


@audited
class ProjectMembership(models.Model):
    """A person in a project; managers are told about thresholds with the PI."""

    class Role(models.TextChoices):
        MANAGER = "manager", _("manager")
        MEMBER = "member", _("member")

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("project")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="compute_memberships", verbose_name=_("person")
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        verbose_name = _("project membership")
        verbose_name_plural = _("project memberships")
        constraints = [models.UniqueConstraint(fields=["project", "user"], name="compute_membership_once")]

    def __str__(self) -> str:
        return f"{self.user} in {self.project.code} ({self.role})"


@audited
class SlurmAccount(models.Model):
    """The Slurm account a project's jobs run under on one cluster."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="slurm_accounts", verbose_name=_("project")
    )
    cluster = models.ForeignKey(Cluster, on_delete=models.PROTECT, related_name="accounts", verbose_name=_("cluster"))
    name = models.CharField(_("Slurm account"), max_length=64, validators=[validate_slurm_name])

    class Meta:
        ordering = ["cluster", "name"]
        verbose_name = _("Slurm account")
        verbose_name_plural = _("Slurm accounts")
        constraints = [models.UniqueConstraint(fields=["cluster", "name"], name="compute_account_once_per_cluster")]

    def __str__(self) -> str:
        return f"{self.name}@{self.cluster.name}"


class ClusterLogin(models.Model):
    """A person's login name on a cluster, so records of their jobs are matched to them."""

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="logins", verbose_name=_("cluster"))
    username = models.CharField(_("username"), max_length=64, validators=[validate_slurm_name])
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cluster_logins", verbose_name=_("person")
    )

    class Meta:
        verbose_name = _("cluster login")
        verbose_name_plural = _("cluster logins")
        constraints = [models.UniqueConstraint(fields=["cluster", "username"], name="compute_login_once")]

    def __str__(self) -> str:
        return f"{self.username}@{self.cluster.name}"


@audited
class AllocationCall(models.Model):
    """A call for allocation requests in one access mode, open until its cut-off."""

    title = models.CharField(_("title"), max_length=200)
    access_mode = models.CharField(_("access mode"), max_length=16, choices=AccessMode.choices)
    opens_at = models.DateTimeField(_("opens at"))
    cutoff_at = models.DateTimeField(_("cut-off"))
    resources = models.ManyToManyField(Resource, related_name="calls", verbose_name=_("resources"))
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["-cutoff_at"]
        verbose_name = _("allocation call")
        verbose_name_plural = _("allocation calls")

    def __str__(self) -> str:
        return self.title


@audited
class AllocationRequest(models.Model):
    """A project's request for an amount of a resource over a period, reviewed then decided.

    A renewal asks, in an open call, for a new allocation that follows ``renews``; an extension asks
    for more time (a later ``end``) or more quota (``amount``, possibly 0) on ``renews`` itself,
    outside any call, and is reviewed under that allocation's access mode."""

    class Kind(models.TextChoices):
        NEW = "new", _("new allocation")
        RENEWAL = "renewal", _("renewal")
        EXTENSION = "extension", _("extension")

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("submitted")
        IN_REVIEW = "in_review", _("in review")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.NEW)
    call = models.ForeignKey(
        AllocationCall, null=True, blank=True, on_delete=models.PROTECT, related_name="requests", verbose_name=_("call")
    )
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="requests", verbose_name=_("project"))
    resource = models.ForeignKey(
        Resource, on_delete=models.PROTECT, related_name="requests", verbose_name=_("resource")
    )
    amount = models.PositiveBigIntegerField(_("amount requested"))
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    justification = models.TextField(_("justification"))
    renews = models.ForeignKey(
        "Allocation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="renewal_requests",
        verbose_name=_("renews allocation"),
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.SUBMITTED)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("submitted by")
    )
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name = _("allocation request")
        verbose_name_plural = _("allocation requests")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0) | Q(kind="extension"), name="compute_request_positive"),
            # A call for new allocations and renewals; none for an extension, which names what it extends.
            models.CheckConstraint(
                condition=(Q(kind="extension") & Q(call__isnull=True) & Q(renews__isnull=False))
                | (~Q(kind="extension") & Q(call__isnull=False)),
                name="compute_request_call_or_extension",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project.code}: {self.amount} {self.resource}"

    @property
    def access_mode(self) -> str:
        """The mode whose reviews and durations apply: the call's, or for an extension its allocation's."""
        return self.call.access_mode if self.call_id else self.renews.access_mode  # type: ignore[union-attr]


@audited
class ReviewerAssignment(models.Model):
    """A reviewer asked by the secretariat for one kind of review of a request; a declared
    conflict ends the assignment at once (the review, if any, then no longer counts)."""

    request = models.ForeignKey(
        AllocationRequest, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("allocation request")
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="compute_assignments",
        verbose_name=_("reviewer"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=ReviewKind.choices)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("assigned by")
    )
    created_at = models.DateTimeField(_("assigned at"), auto_now_add=True)
    conflict_declared_at = models.DateTimeField(_("conflict declared at"), null=True, blank=True)
    conflict_reason = models.TextField(_("conflict"), blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("reviewer assignment")
        verbose_name_plural = _("reviewer assignments")
        constraints = [models.UniqueConstraint(fields=["request", "reviewer", "kind"], name="compute_assignment_once")]
        indexes = [models.Index(fields=["reviewer", "conflict_declared_at"], name="compute_assign_reviewer")]

    def __str__(self) -> str:
        return f"{self.reviewer} → {self.kind} review of {self.request_id}"


@audited
class RequestReview(models.Model):
    """A technical or scientific review of an allocation request."""

    class Verdict(models.TextChoices):
        SUPPORT = "support", _("support")
        REDUCE = "reduce", _("support a reduced amount")
        OPPOSE = "oppose", _("do not support")

    request = models.ForeignKey(
        AllocationRequest, on_delete=models.CASCADE, related_name="reviews", verbose_name=_("allocation request")
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="compute_reviews", verbose_name=_("reviewer")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=ReviewKind.choices)
    verdict = models.CharField(_("verdict"), max_length=8, choices=Verdict.choices)
    score = models.DecimalField(_("score (0 to 5)"), max_digits=2, decimal_places=1, null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("request review")
        verbose_name_plural = _("request reviews")
        constraints = [
            models.UniqueConstraint(fields=["request", "reviewer", "kind"], name="compute_review_once"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=5), name="compute_review_score_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} review of {self.request_id}"


@audited
class Allocation(models.Model):
    """A grant of an amount of a resource to a project for a period, with its usage and latches."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        EXPIRED = "expired", _("expired")

    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, related_name="allocations", verbose_name=_("project")
    )
    period = models.ForeignKey(
        ResourcePeriod, on_delete=models.PROTECT, related_name="allocations", verbose_name=_("resource period")
    )
    resource = models.ForeignKey(
        Resource, on_delete=models.PROTECT, related_name="allocations", verbose_name=_("resource")
    )
    request = models.OneToOneField(
        AllocationRequest,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="allocation",
        verbose_name=_("allocation request"),
    )
    renewal_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="renewals", verbose_name=_("renewal of")
    )
    access_mode = models.CharField(_("access mode"), max_length=16, choices=AccessMode.choices)
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    amount = models.PositiveBigIntegerField(_("granted"), help_text=_("In the resource's unit, top-ups included."))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.ACTIVE)
    # Ledger totals, recomputed from the charges by the accounting task (exact seconds of the unit).
    used_seconds = models.BigIntegerField(_("used (unit-seconds)"), default=0)
    # Threshold latches: set once by a conditional UPDATE; a top-up re-arms those above usage.
    latched_80 = models.BooleanField(
        _("80 % warning sent"),
        default=False,
        help_text=_("Usage has reached 80 % of the grant and the project was told."),
    )
    latched_100 = models.BooleanField(
        _("100 % reached"), default=False, help_text=_("Usage has reached the whole grant and the project was told.")
    )
    arm_generation = models.PositiveIntegerField(
        _("top-ups re-arming the warnings"),
        default=0,
        help_text=_("Counts the top-ups that re-armed the usage warnings; kept by the system."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-start", "id"]
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="compute_allocation_ordered"),
            models.CheckConstraint(condition=Q(used_seconds__gte=0), name="compute_allocation_used_nonnegative"),
        ]
        indexes = [models.Index(fields=["status", "end"], name="compute_alloc_expiry")]

    def __str__(self) -> str:
        return f"{self.project.code}: {self.amount} {self.resource.get_unit_display()}"

    @property
    def used_hours(self) -> float:
        return self.used_seconds / 3600

    @property
    def percent_used(self) -> float:
        return 100 * self.used_seconds / (self.amount * 3600) if self.amount else 0.0

    @property
    def blocked(self) -> bool:
        # The 100 % threshold of charging; an empty grant (amount 0) blocks from the start.
        return self.amount <= 0 or charging.usage_fraction_reached(self.used_seconds, self.amount, 100)

    @property
    def slurm_limit(self) -> str:
        """The limit sites set on the project's Slurm account for this grant (rules.md §3)."""
        tres = {Unit.GPU_HOURS: "gres/gpu", Unit.CORE_HOURS: "cpu"}.get(self.resource.unit)  # type: ignore[call-overload]
        return f"GrpTRESMins={tres}={charging.grp_tres_mins(self.amount)}" if tres else ""

    @property
    def has_ended(self) -> bool:
        return self.end < timezone.now().date()

    @property
    def state_label(self) -> str:
        """What the page says: "ended" once the end date has passed, even before the expiry task ran."""
        if self.has_ended:
            return str(_("ended"))
        if self.start > timezone.now().date():
            return str(_("not started yet"))
        return str(self.get_status_display())  # type: ignore[attr-defined]


@audited
class AllocationChange(models.Model):
    """One grant, top-up or reduction of an allocation (the allocation's amount is their sum)."""

    class Kind(models.TextChoices):
        GRANT = "grant", _("grant")
        TOP_UP = "top_up", _("top-up")

    allocation = models.ForeignKey(
        Allocation, on_delete=models.CASCADE, related_name="changes", verbose_name=_("allocation")
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    amount = models.BigIntegerField(_("amount"), help_text=_("In the resource's unit."))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("changed by")
    )
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("changed at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("allocation change")
        verbose_name_plural = _("allocation changes")

    def __str__(self) -> str:
        return f"{self.kind} {self.amount}"


class ExpiryReminder(models.Model):
    """A reminder of an allocation's end sent to one person (30/14/7 days before), at most once."""

    allocation = models.ForeignKey(Allocation, on_delete=models.CASCADE, related_name="reminders")
    days_before = models.PositiveSmallIntegerField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sent_on = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["allocation", "days_before", "user"], name="compute_reminder_once")
        ]

    def __str__(self) -> str:
        return f"{self.allocation_id} -{self.days_before}d {self.user_id}"


class UsageBatch(models.Model):
    """One POST of usage (or one file of the management command), accounted once after it commits."""

    site = models.ForeignKey(
        Site, null=True, blank=True, on_delete=models.PROTECT, related_name="batches", verbose_name=_("compute site")
    )
    token = models.ForeignKey(
        SiteToken, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("site API token")
    )
    staff_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("uploaded by (staff)"),
    )
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    counts = models.JSONField(_("record counts"), default=dict)
    # (cluster id, account, "YYYY-MM-01") cells whose ledger the batch changed, for the accounting task.
    scope = models.JSONField(
        _("ledger months changed"), default=list, help_text=_("Cluster, account and month of each ledger line changed.")
    )
    processed_at = models.DateTimeField(_("accounted at"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("usage batch")
        verbose_name_plural = _("usage batches")
        indexes = [models.Index(fields=["processed_at", "received_at"], name="compute_batch_due")]

    def __str__(self) -> str:
        return f"batch {self.pk} from {self.site_id}"


# Usage records are many (millions): the audit trail keeps their replacements and late bookings,
# not every first insert, so ingest stays one statement per batch and the trail stays readable.
@pghistory.track(
    pghistory.UpdateEvent("record.replaced"),
    pghistory.InsertEvent("record.late", condition=pgtrigger.Q(new__late=True)),
    append_only=True,
    exclude=["last_batch"],
)
class UsageRecord(models.Model):
    """One Slurm job allocation as a site reported it, keyed by (cluster, JobIDRaw, Submit)."""

    # No index of its own: the record key (cluster, JobIDRaw, Submit) leads with it, and every index is
    # paid for on each of the millions of inserts.
    cluster = models.ForeignKey(
        Cluster, on_delete=models.PROTECT, related_name="records", verbose_name=_("cluster"), db_index=False
    )
    job_id_raw = models.CharField(_("raw job ID (JobIDRaw)"), max_length=20)
    submit = models.CharField(
        _("submitted (local time)"),
        max_length=19,
        help_text=_("The job's Submit time on the cluster's clock, as reported (part of the record's key)."),
    )
    job_id = models.CharField(_("job ID"), max_length=64)
    account = models.CharField(_("Slurm account name"), max_length=64)
    user = models.CharField(_("cluster username"), max_length=64)
    partition = models.CharField(_("partition"), max_length=64, blank=True)
    qos = models.CharField(_("quality of service (QOS)"), max_length=64, blank=True)
    state = models.CharField(_("job state"), max_length=64, blank=True)
    start_local = models.CharField(_("start (local time)"), max_length=19, blank=True)
    end_local = models.CharField(_("end (local time)"), max_length=19, blank=True)
    start_utc = models.DateTimeField(_("start (UTC)"), null=True)
    end_utc = models.DateTimeField(_("end (UTC)"), null=True)
    elapsed = models.BigIntegerField(_("elapsed (seconds)"))
    alloc_tres = models.TextField(_("allocated resources (AllocTRES)"), blank=True)
    gpus = models.IntegerField(_("GPUs"))
    cpus = models.IntegerField(_("CPUs"))
    gpu_seconds = models.BigIntegerField(_("GPU-seconds"))
    core_seconds = models.BigIntegerField(_("core-seconds"))
    slurm_account = models.ForeignKey(
        SlurmAccount,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("project's Slurm account"),
    )
    matched = models.BooleanField(
        _("matched to a project"), default=False, help_text=_("The account is a project's Slurm account.")
    )
    late = models.BooleanField(
        _("reported late"),
        default=False,
        help_text=_("It changed a month already closed; the ledger keeps that usage apart."),
    )
    last_batch = models.ForeignKey(
        UsageBatch, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("last usage batch")
    )
    received_at = models.DateTimeField(_("received at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        ordering = ["-start_utc", "-id"]
        verbose_name = _("usage record")
        verbose_name_plural = _("usage records")
        constraints = [
            models.UniqueConstraint(fields=["cluster", "job_id_raw", "submit"], name="compute_record_key"),
            models.CheckConstraint(
                condition=Q(gpu_seconds__gte=0, core_seconds__gte=0, elapsed__gte=0), name="compute_record_nonneg"
            ),
        ]
        indexes = [
            # An account's jobs by start, the id last: the jobs page's order (newest first) read backwards
            # from the index alone, so skipping to a deep page touches no table rows.
            models.Index(fields=["cluster", "account", "start_utc", "id"], name="compute_record_account_start"),
            models.Index(fields=["matched", "cluster"], name="compute_record_unmatched", condition=Q(matched=False)),
        ]

    def __str__(self) -> str:
        return f"{self.cluster_id}:{self.job_id_raw}"


class UsageCharge(models.Model):
    """The part of a record's charge in one UTC month; the ledger is recomputed from these."""

    # Indexed by the constraint (record, month) and the ledger cell (cluster, account, month) that lead
    # with them: an index of their own would only slow each insert.
    record = models.ForeignKey(UsageRecord, on_delete=models.CASCADE, related_name="charges", db_index=False)
    cluster = models.ForeignKey(Cluster, on_delete=models.PROTECT, related_name="+", db_index=False)
    account = models.CharField(max_length=64)
    user = models.CharField(max_length=64)
    month = models.DateField()
    seconds = models.BigIntegerField()
    gpu_seconds = models.BigIntegerField()
    core_seconds = models.BigIntegerField()
    late = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["record", "month"], name="compute_charge_once_per_month")]
        indexes = [models.Index(fields=["cluster", "account", "month"], name="compute_charge_cell")]

    def __str__(self) -> str:
        return f"{self.record_id} {self.month:%Y-%m}"


class MonthlyUsage(models.Model):
    """The ledger: usage per (cluster, account, user, UTC month), late back-fills kept apart."""

    cluster = models.ForeignKey(Cluster, on_delete=models.PROTECT, related_name="+", verbose_name=_("cluster"))
    account = models.CharField(_("Slurm account name"), max_length=64)
    user = models.CharField(_("cluster username"), max_length=64)
    month = models.DateField(_("month"))
    jobs = models.IntegerField(_("jobs"), default=0)
    gpu_seconds = models.BigIntegerField(_("GPU-seconds"), default=0)
    core_seconds = models.BigIntegerField(_("core-seconds"), default=0)
    late_gpu_seconds = models.BigIntegerField(_("GPU-seconds reported late"), default=0)
    late_core_seconds = models.BigIntegerField(_("core-seconds reported late"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["month", "cluster", "account"]
        verbose_name = _("monthly usage")
        verbose_name_plural = _("monthly usage")
        constraints = [
            models.UniqueConstraint(fields=["cluster", "account", "month", "user"], name="compute_ledger_cell")
        ]

    def __str__(self) -> str:
        return f"{self.account}@{self.cluster_id} {self.month:%Y-%m}"


class LedgerDelta(models.Model):
    """What one batch changed in one ledger cell, written with the batch and applied (then deleted) once
    by the accounting task in one transaction: exactly once under replays, concurrency and kills."""

    batch = models.ForeignKey(UsageBatch, on_delete=models.CASCADE, related_name="deltas")
    cluster_id = models.BigIntegerField()
    account = models.CharField(max_length=64)
    user = models.CharField(max_length=64)
    month = models.DateField()
    jobs = models.IntegerField()
    gpu_seconds = models.BigIntegerField()
    core_seconds = models.BigIntegerField()
    late_gpu_seconds = models.BigIntegerField()
    late_core_seconds = models.BigIntegerField()

    def __str__(self) -> str:
        return f"batch {self.batch_id}: {self.account}@{self.cluster_id} {self.month:%Y-%m}"


# Storage reports are one row per account and day: the trail keeps their replacements and late bookings.
@pghistory.track(
    pghistory.UpdateEvent("storage.replaced"),
    pghistory.InsertEvent("storage.late", condition=pgtrigger.Q(new__late=True)),
    append_only=True,
    exclude=["last_batch"],
)
class StorageUsage(models.Model):
    """Bytes a Slurm account occupied on a cluster's storage on one day (the cluster's local date), as
    the site reported it; keyed by (cluster, account, day). Charged as TB-days (charging.py)."""

    cluster = models.ForeignKey(Cluster, on_delete=models.PROTECT, related_name="storage_reports")
    account = models.CharField(max_length=64)
    day = models.DateField()
    used_bytes = models.BigIntegerField()
    late = models.BooleanField(default=False)
    last_batch = models.ForeignKey(UsageBatch, null=True, on_delete=models.SET_NULL, related_name="+")
    received_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-day", "cluster", "account"]
        constraints = [
            models.UniqueConstraint(fields=["cluster", "account", "day"], name="compute_storage_key"),
            models.CheckConstraint(condition=Q(used_bytes__gte=0), name="compute_storage_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.account}@{self.cluster_id} {self.day}"
